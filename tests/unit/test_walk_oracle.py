"""The paging oracle over hand-made walks: what it blames, and that a clean walk passes."""

from __future__ import annotations

from conformance.oracles.walk import Walk, judge_walk
from conformance.spec.catalogue import Req

from .conftest import item, page

IDS = [f"c{i}" for i in range(7)]
# Descending by created_at, with ties (c1,c2 share 5; c3,c4,c5 share 3): the tie case.
ITEMS = [item("c0", 6), item("c1", 5), item("c2", 5), item("c3", 3), item("c4", 3), item("c5", 3), item("c6", 1)]


def walk_of(chunks, has_more=None, stop="empty"):
    pages = []
    for index, chunk in enumerate(chunks):
        more = has_more[index] if has_more else index < len(chunks) - 2
        pages.append(page(chunk, more, limit=3))
    return Walk("-created_at", 3, True, tuple(pages), stop, bound=5)


def requirements(violations):
    return sorted({v.requirement for v in violations})


def test_a_clean_walk_with_ties_passes():
    walk = walk_of([ITEMS[0:3], ITEMS[3:6], ITEMS[6:7], []])
    assert judge_walk(walk, expected=set(IDS), owner_known=True) == []


def test_a_skipped_conversation_is_a_gap():
    walk = walk_of([ITEMS[0:3], ITEMS[4:7], []])
    found = judge_walk(walk, expected=set(IDS), owner_known=True)
    assert requirements(found) == [Req.PAGE_01]
    assert "never visited" in found[0].message and "c3" in found[0].message


def test_a_repeated_conversation_is_a_repeat_not_a_has_more_fault():
    walk = walk_of([ITEMS[0:3], ITEMS[2:5], ITEMS[5:7], []])
    assert requirements(judge_walk(walk, expected=set(IDS), owner_known=True)) == [Req.PAGE_01]


def test_has_more_false_too_early_is_page_02_only():
    walk = walk_of([ITEMS[0:3], ITEMS[3:6], ITEMS[6:7], []], has_more=[True, False, False, False])
    assert requirements(judge_walk(walk, expected=set(IDS), owner_known=True)) == [Req.PAGE_02]


def test_has_more_true_on_the_last_page_is_page_02():
    walk = walk_of([ITEMS[0:3], ITEMS[3:6], ITEMS[6:7], []], has_more=[True, True, True, False])
    assert requirements(judge_walk(walk, expected=set(IDS), owner_known=True)) == [Req.PAGE_02]


def test_a_short_page_on_a_clean_walk_is_limit_01():
    walk = walk_of([ITEMS[0:2], ITEMS[2:5], ITEMS[5:7], []])
    assert requirements(judge_walk(walk, expected=set(IDS), owner_known=True)) == [Req.LIMIT_01]


def test_another_users_item_is_user_02_in_write_mode_and_page_01_in_read_only():
    stranger = item("x9", 4)
    walk = walk_of([ITEMS[0:3], [ITEMS[3], stranger, ITEMS[4]], ITEMS[5:7], []])
    assert Req.USER_02 in requirements(judge_walk(walk, expected=set(IDS), owner_known=True))
    assert Req.USER_02 not in requirements(judge_walk(walk, expected=set(IDS), owner_known=False))


def test_disorder_inside_a_page_is_sort_01_and_not_also_blamed_on_the_boundary():
    shuffled = [ITEMS[6], ITEMS[0], ITEMS[1]]
    walk = walk_of([shuffled, ITEMS[2:5], [ITEMS[5]], []])
    assert requirements(judge_walk(walk, expected=set(IDS), owner_known=True)) == [Req.SORT_01]


def test_disorder_across_a_boundary_of_a_complete_walk_is_an_order_fault():
    walk = walk_of([ITEMS[3:6], ITEMS[0:3], ITEMS[6:7], []])
    assert requirements(judge_walk(walk, expected=set(IDS), owner_known=True)) == [Req.SORT_01]


def test_without_sort_by_a_wrong_order_is_sort_02():
    walk = walk_of([[ITEMS[6], ITEMS[0], ITEMS[1]], ITEMS[2:5], [ITEMS[5]], []])
    walk = Walk(walk.sort_value, walk.limit, False, walk.pages, walk.stop, bound=walk.bound)
    assert requirements(judge_walk(walk, expected=set(IDS), owner_known=True)) == [Req.SORT_02]


def test_a_walk_that_never_ends_and_a_loop_are_page_01():
    endless = walk_of([ITEMS[0:3]] * 5, has_more=[True] * 5, stop="bound")
    assert Req.PAGE_01 in requirements(judge_walk(endless, expected=set(IDS), owner_known=True))
    loop = walk_of([ITEMS[0:3], ITEMS[0:3]], has_more=[True, True], stop="loop")
    assert Req.PAGE_01 in requirements(judge_walk(loop, expected=set(IDS), owner_known=True))


def test_an_empty_user_walks_clean():
    walk = Walk("-created_at", 3, True, (page([], False, limit=3),), "empty", bound=2)
    assert judge_walk(walk, expected=set(), owner_known=True) == []


def test_evidence_names_the_request_without_the_key():
    walk = walk_of([ITEMS[0:3], ITEMS[4:7], []])
    found = judge_walk(walk, expected=set(IDS), owner_known=True)
    assert found[0].request.startswith("curl") and found[0].status_code == 200


def test_an_empty_first_page_is_a_short_page_not_a_cursor_fault():
    # No cursor was ever sent: LIMIT-01 (the page is short), never PAGE-01.
    walk = Walk("-created_at", 3, True, (page([], True, limit=3),), "empty", bound=9)
    found = judge_walk(walk, expected=set(IDS), owner_known=True)
    assert requirements(found) == [Req.LIMIT_01]
    assert "expected 3" in found[0].message


def test_another_users_items_that_outlast_the_bound_are_user_02_only():
    strangers = [[item(f"x{i}", 0)] for i in range(4)]
    walk = walk_of([ITEMS[0:3], ITEMS[3:6], ITEMS[6:7], *strangers], has_more=[True] * 7, stop="bound")
    assert requirements(judge_walk(walk, expected=set(IDS), owner_known=True)) == [Req.USER_02]


def test_a_listed_deleted_conversation_is_data_01_only():
    gone = item("d1", 2)
    walk = walk_of([ITEMS[0:3], [ITEMS[3], ITEMS[4], ITEMS[5]], [gone, ITEMS[6]], []])
    found = judge_walk(walk, expected=set(IDS), owner_known=True, deleted={"d1"})
    assert requirements(found) == [Req.DATA_01]


def test_a_gap_names_the_transition_and_the_ties_with_the_cursor():
    # Ties with the cursor c1 (created_at 5) are lost: c2 never comes.
    walk = walk_of([ITEMS[0:2], ITEMS[3:6], ITEMS[6:7], []])
    found = judge_walk(walk, expected=set(IDS), owner_known=True, reference={"c2": ITEMS[2]})
    (gap,) = [v for v in found if v.requirement == Req.PAGE_01]
    assert "after the cursor c1 (created_at=5, last item of page 1)" in gap.message
    assert "1 missing item(s) tie with the cursor at created_at=5" in gap.message
    assert gap.request == walk.pages[1].exchange.curl()  # the page after the cursor, not the final empty page


def test_a_gap_without_known_sort_values_says_so_and_shows_the_first_cursor_page():
    walk = walk_of([ITEMS[0:3], ITEMS[4:7], []])
    (gap,) = judge_walk(walk, expected=set(IDS), owner_known=True)
    assert "sort values are unknown" in gap.message and gap.request == walk.pages[1].exchange.curl()


def _default_walk(chunks, echoes):
    pages = tuple(page(chunk, index < len(chunks) - 2, limit=echo) for index, (chunk, echo) in
                  enumerate(zip(chunks, echoes, strict=True)))
    return Walk("-created_at", 3, True, pages, "empty", bound=9, limit_explicit=False)


def test_without_limit_a_response_limit_that_counts_the_items_is_a_wrong_echo():
    walk = _default_walk([ITEMS[0:3], ITEMS[3:6], ITEMS[6:7], []], [3, 3, 1, 0])
    assert requirements(judge_walk(walk, expected=set(IDS), owner_known=True)) == [Req.LIMIT_04]


def test_without_limit_another_default_said_truthfully_is_limit_03():
    walk = _default_walk([ITEMS[0:2], ITEMS[2:4], ITEMS[4:6], ITEMS[6:7], []], [2, 2, 2, 2, 2])
    assert requirements(judge_walk(walk, expected=set(IDS), owner_known=True)) == [Req.LIMIT_03]


def test_read_only_never_blames_an_unknown_item_on_another_user_or_a_walk():
    stranger = item("new", 6)
    walk = walk_of([[stranger, *ITEMS[0:2]], ITEMS[2:5], ITEMS[5:7], []])
    assert judge_walk(walk, expected=set(IDS), owner_known=False) == []
    assert requirements(judge_walk(walk, expected=set(IDS), owner_known=True)) == [Req.USER_02]


def test_a_refused_cursor_that_is_another_users_item_is_not_the_cursors_fault():
    """Listed another user's conversation (USER-02), the walk follows it; its owner may delete it meanwhile,
    so its refusal as last_id is no PAGE-01 (at any concurrency the same blame)."""
    from conformance.model.exchange import Exchange
    from conformance.oracles.page import Page
    from conformance.oracles.walk import Walk, judge_walk

    def page(ids, more):
        exchange = Exchange(kind="list", method="GET", base_url="http://t/v1", path="/conversations", status_code=200)
        items = tuple({"id": i, "created_at": 10 - n, "updated_at": 10 - n} for n, i in enumerate(ids))
        return Page(exchange=exchange, items=items, has_more=more, limit=2)

    refused = Exchange(kind="list", method="GET", base_url="http://t/v1", path="/conversations", status_code=404)
    walk = Walk("-created_at", 2, True, (page(["a", "stranger"], True),), "rejected", refused, bound=5)
    blamed = {v.requirement for v in judge_walk(walk, expected={"a", "b"}, owner_known=True)}
    assert blamed == {Req.USER_02}, blamed
    own = Walk("-created_at", 2, True, (page(["a", "b"], True),), "rejected", refused, bound=5)
    assert Req.PAGE_01 in {v.requirement for v in judge_walk(own, expected={"a", "b", "c"}, owner_known=True)}
