"""The paging oracle over a window: the first pages of a walk, judged against what full walks listed.

In read-only mode a user may hold thousands of conversations. Full walks at the largest limit, one
per sort, establish them (their union is the user's list); a walk at any other limit follows
``last_id`` over a bounded window only, and is held to what the evidence proves:

- a conversation listed twice in the window, a loop, a refused cursor: PAGE-01;
- a conversation of the union that sorts strictly before the window's last item, yet was not
  visited: a gap, PAGE-01 (ties with the last item may legitimately still follow), judged only when
  the window is in order (else the order is what fails) and its first page is not empty (a short
  page: LIMIT-01);
- on a window without repeats or gaps: pages out of order across a boundary (SORT-01/02), a page
  short of the limit while more follow (LIMIT-01/03), ``has_more`` false while more follow or true
  before an empty page (PAGE-02);
- the response's ``limit`` on every page: the one echo rule (limits.py).

An item no full walk listed is not blamed: without knowing every user's data it is not provably
someone else's (USER-02), and it may simply be new.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from ..model.results import Violation
from ..spec.catalogue import Req
from ..spec.contract import SortRule
from . import violation
from .limits import echo_violations, served_size
from .ordering import sort_key
from .walk import (
    Walk,
    _first_boundary_disorder,
    _stop_violations,
    followed_a_stranger,
    page_violations,
    stranger_violations,
)

__all__ = ["window_bound", "judge_window"]


def window_bound(limit: int, window: int) -> int:
    """Pages a windowed walk takes: enough to cover ``window`` items, plus one to see what follows."""
    return -(-window // max(1, limit)) + 1


def _before(key: int, last: int, sort_value: str) -> bool:
    return key > last if SortRule.descending(sort_value) else key < last


def judge_window(walk: Walk, *, reference: Mapping[str, dict[str, Any]], owner_known: bool = False,
                 deleted: Collection[str] = (), order_broken: bool = False) -> list[Violation]:
    """Everything provably wrong with a windowed walk over a user whose conversations are ``reference``.

    ``owner_known`` and ``deleted`` as in judge_walk (write mode): an item not the user's is blamed, and
    the window's order, gaps and sizes are then left to walks without strangers. ``order_broken``: a
    full walk under this sort showed items out of order. At a small limit a window in another order can
    look sorted and skip a whole second, as a cursor that skips ties would: the order is then to blame,
    and the window's gaps are not judged.
    """
    strangers = stranger_violations(walk, expected=reference, owner_known=owner_known, deleted=deleted)
    found: list[Violation] = list(strangers)
    where = walk.describe()
    pages = walk.pages
    seen: set[str] = set()
    repeat: tuple[str, int] | None = None
    repeats = 0
    sort_broken = order_broken
    for index, page in enumerate(pages):
        inside = page_violations(walk, index)
        sort_broken = sort_broken or any(v.requirement == walk.order_requirement for v in inside)
        found.extend(inside)
        for conversation_id in page.ids:
            if conversation_id in seen:
                repeats += 1
                repeat = repeat or (conversation_id, index)
            seen.add(conversation_id)
    found.extend(echo_violations(pages, limit=walk.limit, limit_explicit=walk.limit_explicit,
                                 served=served_size(pages), where=where))
    if repeat is not None:
        found.append(violation(Req.PAGE_01, f"{where}: {repeats} conversation(s) visited twice, e.g. {repeat[0]} "
                               f"again on page {repeat[1] + 1}", pages[repeat[1]].exchange))
    # The first page comes before any cursor: a conversation of the list that sorts strictly before its
    # first item shows the order is wrong (at small limits, pages in order may still skip whole seconds).
    early = None if sort_broken or strangers else _sorted_before_the_start(walk, reference)
    if early is not None:
        sort_broken = True
        found.append(early)
    # A wrong order makes "sorts before the last item" meaningless: the order fails, not the cursor. So
    # does an empty first page: no cursor was involved, the page is short (LIMIT-01).
    boundary = None if sort_broken else _first_boundary_disorder(walk)
    first_empty = bool(pages) and not pages[0].items and bool(reference)
    if first_empty:
        found.append(violation(walk.size_requirement, f"{where}, page 1: no items, while full walks of this user "
                               f"listed {len(reference)}; expected {min(walk.limit, len(reference))}",
                               pages[0].exchange))
    gaps = [] if strangers or sort_broken or boundary is not None or first_empty else _gaps(walk, reference, seen)
    if gaps:
        last = pages[-1].exchange if pages else None
        found.append(violation(Req.PAGE_01, f"{where}: {len(gaps)} conversation(s) that a full walk of this user "
                               f"listed were skipped within the first {len(seen)} visited, e.g. {gaps[0]}", last))
    if walk.stop != "bound" and not (strangers and followed_a_stranger(walk, reference, owner_known, deleted)):
        found.extend(_stop_violations(walk))
    if strangers or repeat is not None or gaps or walk.stop in ("loop", "rejected") or sort_broken or first_empty:
        return found
    if boundary is not None:
        found.append(violation(walk.order_requirement, f"{where}: page {boundary + 1} starts out of "
                               f"{walk.sort_value} order with the end of the page before it", pages[boundary].exchange))
        return found
    found.extend(_along(walk, total=len(set(reference) | seen)))
    return found


def _sorted_before_the_start(walk: Walk, reference: Mapping[str, dict[str, Any]]) -> Violation | None:
    """The order requirement, when a conversation of ``reference`` sorts strictly before the first item served."""
    first = next((p for p in walk.pages if p.items), None)
    start = sort_key(first.items[0], walk.sort_value) if first is not None else None
    if first is None or start is None or first is not walk.pages[0]:
        return None
    listed = set(first.ids)
    earlier = sorted((c for c, item in reference.items() if c not in listed and (key := sort_key(item, walk.sort_value))
                      is not None and _before(key, start, walk.sort_value)))
    if not earlier:
        return None
    field = SortRule.field(walk.sort_value)
    return violation(walk.order_requirement, f"{walk.describe()}, page 1 starts with {first.items[0]['id']} "
                     f"({field}={start}), yet {len(earlier)} conversation(s) of this user sort before it in "
                     f"{walk.sort_value} order, e.g. {earlier[0]} ({field}={reference[earlier[0]].get(field)})",
                     first.exchange)


def _gaps(walk: Walk, reference: Mapping[str, dict[str, Any]], seen: set[str]) -> list[str]:
    """Conversations of the reference the window must have visited and did not."""
    nonempty = [p for p in walk.pages if p.items]
    if walk.stop == "empty":  # the window reached the end of the list: everything was due
        return sorted(c for c in reference if c not in seen)
    if not nonempty:
        return []
    last = sort_key(nonempty[-1].items[-1], walk.sort_value)
    if last is None:
        return []  # no comparable value: nothing provable (SCHEMA-01 owns it)
    due = []
    for conversation_id, item in reference.items():
        key = sort_key(item, walk.sort_value)
        if conversation_id not in seen and key is not None and _before(key, last, walk.sort_value):
            due.append(conversation_id)
    return sorted(due)


def _along(walk: Walk, *, total: int) -> list[Violation]:
    """has_more and page sizes on a clean window, where what follows each page is known."""
    found: list[Violation] = []
    where = walk.describe()
    visited = 0
    wrong_more: list[int] = []
    short: list[int] = []
    pages = walk.pages
    for index, page in enumerate(pages):
        visited += len(page.items)
        remaining = total - visited
        next_empty = index + 1 < len(pages) and not pages[index + 1].items
        more = page.has_more
        if isinstance(more, bool) and (remaining > 0 and not more or more and (next_empty or not page.items)):
            wrong_more.append(index)
        if page.items and remaining > 0 and len(page.items) < walk.limit:
            short.append(index)
    if wrong_more:
        index = wrong_more[0]
        page = pages[index]
        found.append(violation(Req.PAGE_02, f"{where}: has_more is wrong on {len(wrong_more)} page(s), first on page "
                               f"{index + 1} ({str(page.has_more).lower()}, while "
                               f"{'more' if not page.has_more else 'no more'} conversations follow)", page.exchange))
    if short:
        index = short[0]
        found.append(violation(walk.size_requirement, f"{where}, page {index + 1}: {len(pages[index].items)} items "
                               f"while more conversations followed; expected {walk.limit}", pages[index].exchange))
    return found
