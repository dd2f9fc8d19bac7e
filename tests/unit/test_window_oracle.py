"""The windowed paging oracle of read-only runs: it blames only what the walks prove."""

from __future__ import annotations

from conformance.oracles.walk import Walk
from conformance.oracles.window import judge_window, window_bound
from conformance.spec.catalogue import Req

from .conftest import item, page

# Descending by created_at, ties: c1,c2 share 5; c3,c4,c5 share 3.
ITEMS = [item("c0", 6), item("c1", 5), item("c2", 5), item("c3", 3), item("c4", 3), item("c5", 3), item("c6", 1)]
REFERENCE = {i["id"]: i for i in ITEMS}


def window(chunks, has_more=None, stop="bound", limit=2):
    pages = tuple(page(chunk, has_more[n] if has_more else True, limit=limit) for n, chunk in enumerate(chunks))
    return Walk("-created_at", limit, True, pages, stop, bound=len(chunks))


def requirements(found):
    return sorted({v.requirement for v in found})


def test_the_bound_is_the_window_in_pages_plus_one():
    assert window_bound(1, 100) == 101
    assert window_bound(99, 100) == 3
    assert window_bound(100, 100) == 2


def test_a_clean_window_passes_and_reaching_its_bound_is_no_fault():
    assert judge_window(window([ITEMS[0:2], ITEMS[2:4]]), reference=REFERENCE) == []


def test_ties_with_the_last_item_may_still_follow():
    # c4 and c5 share c3's second: not yet visited is not skipped.
    assert judge_window(window([ITEMS[0:2], ITEMS[2:4]]), reference=REFERENCE) == []


def test_a_skipped_conversation_before_the_last_one_is_page_01_only():
    found = judge_window(window([ITEMS[0:2], [ITEMS[3], ITEMS[4]]]), reference=REFERENCE)
    assert requirements(found) == [Req.PAGE_01]
    assert "c2" in found[0].message and "a full walk of this user listed" in found[0].message


def test_a_repeat_within_the_window_is_page_01():
    found = judge_window(window([ITEMS[0:2], ITEMS[1:3]]), reference=REFERENCE)
    assert requirements(found) == [Req.PAGE_01] and "visited twice" in found[0].message


def test_an_item_no_full_walk_listed_is_not_blamed():
    stranger = item("new", 6)
    assert judge_window(window([[ITEMS[0], stranger], ITEMS[1:3]]), reference=REFERENCE) == []


def test_has_more_false_while_more_follow_is_page_02():
    found = judge_window(window([ITEMS[0:2], ITEMS[2:4]], has_more=[True, False]), reference=REFERENCE)
    assert requirements(found) == [Req.PAGE_02]


def test_has_more_true_before_an_empty_page_is_page_02():
    chunks = [ITEMS[0:3], ITEMS[3:6], ITEMS[6:7], []]
    found = judge_window(window(chunks, has_more=[True, True, True, False], stop="empty", limit=3),
                         reference=REFERENCE)
    assert requirements(found) == [Req.PAGE_02]


def test_a_short_page_while_more_follow_is_limit_01():
    found = judge_window(window([ITEMS[0:1], ITEMS[1:3]]), reference=REFERENCE)
    assert requirements(found) == [Req.LIMIT_01]


def test_a_window_that_reached_the_end_owes_every_conversation():
    found = judge_window(window([ITEMS[0:3], ITEMS[4:7], []], has_more=[True, False, False], stop="empty", limit=3),
                         reference=REFERENCE)
    assert requirements(found) == [Req.PAGE_01] and "c3" in found[0].message


def test_pages_out_of_order_across_a_boundary_are_the_order_not_the_cursor():
    # Each page in order, page 2 starts before the end of page 1, and nothing due was skipped.
    found = judge_window(window([[ITEMS[0], ITEMS[3]], [ITEMS[1], ITEMS[2]]]), reference=REFERENCE)
    assert requirements(found) == [Req.SORT_01] and "starts out of -created_at order" in found[0].message


def test_a_loop_is_page_01():
    found = judge_window(window([ITEMS[0:2], ITEMS[2:4]], stop="loop"), reference=REFERENCE)
    assert requirements(found) == [Req.PAGE_01]


def test_a_window_in_the_wrong_order_fails_the_order_not_the_cursor():
    # Ascending asked, descending served: everything "before" the last item looks skipped, but it is the order.
    ascending = Walk("created_at", 1, True, tuple(page([i], True, limit=1) for i in ITEMS[:3]), "bound", bound=3)
    assert requirements(judge_window(ascending, reference=REFERENCE)) == [Req.SORT_01]


def test_an_empty_first_page_is_a_short_page_not_a_skip():
    found = judge_window(window([[]], has_more=[True], stop="empty", limit=1), reference=REFERENCE)
    assert requirements(found) == [Req.LIMIT_01] and "page 1: no items" in found[0].message


def test_in_write_mode_another_users_item_in_a_window_is_user_02_only():
    # The suite made every conversation of the user: an item outside them is someone else's, and the
    # window's gaps and sizes (shifted by it) are left to walks without strangers.
    stranger = item("theirs", 5)
    found = judge_window(window([[ITEMS[0], stranger], ITEMS[1:3]]), reference=REFERENCE, owner_known=True)
    assert requirements(found) == [Req.USER_02] and "theirs" in found[0].message


def test_in_write_mode_a_deleted_conversation_in_a_window_is_data_01_only():
    deleted = item("gone", 6)
    found = judge_window(window([[ITEMS[0], deleted], ITEMS[1:3]]), reference=REFERENCE, owner_known=True,
                         deleted={"gone"})
    assert requirements(found) == [Req.DATA_01] and "gone" in found[0].message


def test_a_window_in_order_that_starts_late_is_the_order_not_the_cursor():
    # Served in another order that happens to look sorted at limit 1: page 1 starts after c0 and c1.
    found = judge_window(window([[ITEMS[2]], [ITEMS[3]], [ITEMS[4]]], limit=1), reference=REFERENCE)
    assert requirements(found) == [Req.SORT_01]
    assert "page 1 starts with c2" in found[0].message and "c0" in found[0].message


def test_a_window_under_an_order_a_full_walk_proved_wrong_blames_no_gap():
    # c0 is served first, then c3..: in order, but c1 and c2 were skipped. If a full walk under this sort
    # showed items out of order, that is the order's doing (another order looks sorted at limit 1).
    chunks = [[ITEMS[0]], [ITEMS[3]], [ITEMS[4]]]
    assert requirements(judge_window(window(chunks, limit=1), reference=REFERENCE)) == [Req.PAGE_01]
    assert judge_window(window(chunks, limit=1), reference=REFERENCE, order_broken=True) == []
