"""The lifecycle model and its oracle, without HTTP: predictions with ties, deletes, cursors and
renames, and the requirement each wrong answer is blamed on."""

from __future__ import annotations

import pytest

from conformance.oracles.lifecycle import claims_more, judge_page, judge_pending, judge_repeat, judge_walk
from conformance.oracles.lifecycle_model import LifecycleModel
from conformance.oracles.page import parse_page
from conformance.oracles.walk import Walk
from conformance.spec.catalogue import Req

from .conftest import exchange, item

A, B = "user-a", "user-b"


def answer(items, has_more=False, limit=20, status=200):
    return exchange(status, {"limit": limit, "has_more": has_more, "data": list(items)})


def listed(model, user, *ids):
    """The items the target would list for these ids, with the model's timestamps."""
    return [item(c, model.conversations[c].created_at, model.conversations[c].updated_at) for c in ids]


@pytest.fixture
def model():
    """a1, a2, a3 of A share second 100; a4 at 101; a2 renamed at 105; b1 of B at 100; a5 deleted."""
    m = LifecycleModel([A, B])
    for cid, user in (("a1", A), ("a2", A), ("a3", A), ("a4", A), ("a5", A), ("b1", B)):
        m.created(user, cid, strict=False)
    m.learn(A, [item("a1", 100), item("a2", 100), item("a3", 100), item("a4", 101), item("a5", 102)])
    m.learn(B, [item("b1", 100)])
    m.touched("a2", "rename", strict=True)
    m.learn(A, [item("a2", 100, 105)])
    m.deleted("a5")
    return m


def ids_of(violations):
    return sorted(v.requirement for v in violations)


def test_prediction_groups_ties_and_orders_strictly_later_seconds(model):
    first = model.predict(A, sort_value="-created_at", limit=20)
    assert first.after == (("a4",), ("a1", "a2", "a3"))
    assert first.live == {"a1", "a2", "a3", "a4"} and first.deleted == {"a5"} and first.others == {"b1": B}
    by_update = model.predict(A, sort_value="-updated_at", limit=20)
    assert by_update.after == (("a2",), ("a4",), ("a1", "a3"))  # the rename moved a2 to the front


def test_a_cursor_inside_a_tie_leaves_its_ties_undecided(model):
    after = model.predict(A, sort_value="created_at", limit=20, cursor="a2")
    assert after.ties == {"a1", "a3"} and after.after == (("a4",),) and after.before == frozenset()
    assert model.predict(A, sort_value="-created_at", limit=20, cursor="a4").before == frozenset()


@pytest.mark.parametrize("order", [["a4", "a1", "a2", "a3"], ["a4", "a3", "a2", "a1"], ["a4", "a2", "a1", "a3"]])
def test_any_order_among_ties_passes(model, order):
    prediction = model.predict(A, sort_value="-created_at", limit=20)
    assert judge_page(prediction, answer(listed(model, A, *order))) == []


def test_a_full_page_with_more_left_needs_has_more(model):
    prediction = model.predict(A, sort_value="-created_at", limit=2)
    assert judge_page(prediction, answer(listed(model, A, "a4", "a3"), has_more=True, limit=2)) == []
    wrong = judge_page(prediction, answer(listed(model, A, "a4", "a3"), has_more=False, limit=2))
    assert ids_of(wrong) == [Req.PAGE_02]


def test_has_more_counting_a_deleted_conversation_is_page_02(model):
    prediction = model.predict(A, sort_value="-updated_at", limit=4)
    found = judge_page(prediction, answer(listed(model, A, "a2", "a4", "a1", "a3"), has_more=True, limit=4))
    assert ids_of(found) == [Req.PAGE_02] and claims_more(found[0]) and "1 deleted" in found[0].message


def test_a_deleted_conversation_listed_is_data_01_and_nothing_else(model):
    prediction = model.predict(A, sort_value="-created_at", limit=20)
    page = listed(model, A, "a4", "a1", "a2", "a3") + [item("a5", 102)]
    assert ids_of(judge_page(prediction, answer(page))) == [Req.DATA_01, Req.SORT_01]  # a5 (102) also breaks order
    assert ids_of(judge_page(prediction, answer([item("a5", 102)] + listed(model, A, "a4", "a1", "a2", "a3")))) == [
        Req.DATA_01]


def test_a_missing_conversation_on_the_first_page_is_data_01(model):
    prediction = model.predict(A, sort_value="-created_at", limit=20)
    assert ids_of(judge_page(prediction, answer([]))) == [Req.DATA_01]  # e.g. a user whose list is never found
    assert ids_of(judge_page(prediction, answer(listed(model, A, "a4", "a1", "a3")))) == [Req.DATA_01]


def test_a_gap_after_a_cursor_is_page_01(model):
    prediction = model.predict(A, sort_value="-updated_at", limit=1, cursor="a2")
    assert judge_page(prediction, answer(listed(model, A, "a4"), has_more=True, limit=1)) == []
    skipped = judge_page(prediction, answer(listed(model, A, "a1"), has_more=True, limit=1))
    assert ids_of(skipped) == [Req.PAGE_01]
    again = judge_page(prediction, answer(listed(model, A, "a2"), has_more=True, limit=1))
    assert ids_of(again) == [Req.PAGE_01]


def test_after_the_last_item_nothing_follows(model):
    last = model.predict(A, sort_value="-created_at", limit=2, cursor="a3")  # a3 ends its tie group here
    assert last.ties == {"a1", "a2"} and last.after == ()
    assert judge_page(last, answer([], limit=2)) == []
    assert judge_page(last, answer(listed(model, A, "a1"), limit=2)) == []  # a tie the target puts after a3
    # Only ties on a full page: whether more ties follow is the target's choice, so has_more is not judged;
    # with every tie on the page, nothing can follow.
    one = model.predict(A, sort_value="-created_at", limit=1, cursor="a3")
    assert judge_page(one, answer(listed(model, A, "a1"), has_more=True, limit=1)) == []
    assert judge_page(one, answer(listed(model, A, "a1"), has_more=False, limit=1)) == []
    assert ids_of(judge_page(last, answer(listed(model, A, "a1", "a2"), has_more=True, limit=2))) == [Req.PAGE_02]


@pytest.mark.parametrize("status, expected", [(404, []), (400, []), (200, [Req.PAGE_03]), (500, [])])
def test_a_deleted_cursor_must_be_refused(model, status, expected):
    prediction = model.predict(A, sort_value="-updated_at", limit=20, cursor="a5")
    assert prediction.cursor_state == "deleted"
    body = {"limit": 20, "has_more": False, "data": listed(model, A, "a1")} if status == 200 else {"code": "x"}
    assert ids_of(judge_page(prediction, exchange(status, body))) == expected


def test_another_users_cursor_serving_their_data_is_user_02(model):
    prediction = model.predict(B, sort_value="-updated_at", limit=20, cursor="a4")
    assert prediction.cursor_state == "foreign"
    assert ids_of(judge_page(prediction, answer(listed(model, A, "a1", "a3")))) == [Req.USER_02]
    assert ids_of(judge_page(prediction, answer([]))) == [Req.PAGE_03]


def test_another_users_item_is_user_02(model):
    prediction = model.predict(B, sort_value="-updated_at", limit=20)
    assert ids_of(judge_page(prediction, answer(listed(model, B, "b1") + [item("a1", 100)]))) == [Req.USER_02]
    assert ids_of(judge_page(prediction, answer(listed(model, B, "b1") + [item("zz", 90)]))) == [Req.USER_02]


def test_the_response_limit_must_be_the_limit_in_effect(model):
    prediction = model.predict(B, sort_value="-updated_at", limit=7)
    assert ids_of(judge_page(prediction, answer(listed(model, B, "b1"), limit=1))) == [Req.LIMIT_04]
    default = model.predict(B, sort_value="-updated_at", limit=20, limit_explicit=False)
    # One item, nothing after it: limit=1 may be a true other default (LIMIT-03) or a count (LIMIT-04).
    assert ids_of(judge_page(default, answer(listed(model, B, "b1"), limit=1))) == []
    assert ids_of(judge_page(default, answer(listed(model, B, "b1"), limit=0))) == [Req.LIMIT_04]
    # Two of A's four served with more to come: the size the target serves, said truthfully, is another default.
    full = model.predict(A, sort_value="-updated_at", limit=20, limit_explicit=False)
    assert ids_of(judge_page(full, answer(listed(model, A, "a2", "a4"), has_more=True, limit=2))) == [Req.LIMIT_03,
                                                                                                       Req.LIMIT_03]
    assert ids_of(judge_page(full, answer(listed(model, A, "a2", "a4"), has_more=True, limit=3))) == [Req.LIMIT_03,
                                                                                                       Req.LIMIT_04]


def test_order_against_the_displayed_values_is_sort_01(model):
    prediction = model.predict(A, sort_value="created_at", limit=20)
    assert ids_of(judge_page(prediction, answer(listed(model, A, "a4", "a1", "a2", "a3")))) == [Req.SORT_01]


def test_a_rename_in_a_later_second_must_advance_updated_at(model):
    pending = model.touched("a4", "rename", strict=True)
    assert pending.floor == 105
    stale = answer([item("a2", 100, 105), item("a4", 101, 101), item("a1", 100), item("a3", 100)], limit=20)
    model.learn(A, parse_page(stale).items)
    prediction = model.predict(A, sort_value="-updated_at", limit=20)
    assert ids_of(judge_pending(pending, prediction, stale)) == [Req.DATA_02]
    same_second = answer([item("a4", 101, 105), item("a2", 100, 105)], limit=20)
    assert ids_of(judge_pending(pending, prediction, same_second)) == [Req.DATA_02]  # strict: 105 is not later
    moved = answer([item("a4", 101, 106), item("a2", 100, 105), item("a1", 100), item("a3", 100)], limit=20)
    assert judge_pending(pending, prediction, moved) == []
    model.learn(A, parse_page(moved).items)
    assert model.predict(A, sort_value="-updated_at", limit=20).after[0] == ("a4",)


def test_a_rename_in_the_same_second_may_tie_but_not_go_back(model):
    pending = model.touched("a4", "rename", strict=False)
    prediction = model.predict(A, sort_value="-updated_at", limit=20)
    assert judge_pending(pending, prediction, answer([item("a4", 101, 105), item("a2", 100, 105)])) == []
    assert ids_of(judge_pending(pending, prediction, answer([item("a4", 101, 101)]))) == [Req.DATA_02]
    # A second of slack without a wait: creations and updates may be dated by two clocks.
    assert judge_pending(pending, prediction, answer([item("a4", 101, 104)])) == []


def test_a_created_conversation_missing_after_the_create_is_data_01(model):
    pending = model.created(A, "a6", strict=False)
    prediction = model.predict(A, sort_value="-updated_at", limit=20)
    assert "a6" in prediction.uncertain
    assert ids_of(judge_pending(pending, prediction, answer(listed(model, A, "a2", "a4", "a1", "a3")))) == [Req.DATA_01]
    # An unplaced conversation: the page's extent is not judged (only its items).
    assert judge_page(prediction, answer(listed(model, A, "a2", "a4", "a1", "a3"))) == []


def _walk(model, *pages, limit=2, sort="-updated_at", stop="empty"):
    parsed = tuple(parse_page(answer(p, has_more=more, limit=limit)) for p, more in pages)
    return Walk(sort, limit, True, parsed, stop)


def test_a_clean_walk_with_ties_passes_and_a_repeat_across_pages_is_page_01(model):
    def predict(cursor):
        return model.predict(A, sort_value="-updated_at", limit=2, cursor=cursor)

    good = _walk(model, (listed(model, A, "a2", "a4"), True), (listed(model, A, "a3", "a1"), False), ([], False))
    assert judge_walk(good, predict) == []
    # Page 2 after a4 repeats a1 across the tie boundary: the cursor does not keep the tie order.
    bad = _walk(model, (listed(model, A, "a2", "a4"), True), (listed(model, A, "a1", "a3"), False),
                (listed(model, A, "a1"), False), ([], False))
    assert ids_of(judge_walk(bad, predict)) == [Req.PAGE_01]


def test_a_walk_that_meets_a_deleted_conversation_blames_data_01_not_has_more(model):
    def predict(cursor):
        return model.predict(A, sort_value="created_at", limit=4, cursor=cursor)

    walk = _walk(model, (listed(model, A, "a1", "a2", "a3", "a4"), True), ([item("a5", 102)], False), ([], False),
                 limit=4, sort="created_at")
    assert ids_of(judge_walk(walk, predict)) == [Req.DATA_01]


def test_the_same_request_must_return_the_same_body():
    one = answer([item("x", 1), item("y", 1)])
    assert judge_repeat(one, answer([item("x", 1), item("y", 1)]), "w") == []
    assert ids_of(judge_repeat(one, answer([item("y", 1), item("x", 1)]), "w")) == [Req.STABLE_01]
    assert judge_repeat(one, exchange(503, {"code": "x"}), "w") == []
