"""The paging oracle, written once (as Kubernetes' chunking test does) and used for every sort and limit.

A walk follows ``last_id`` from the first page until a page comes back empty, past the point where
``has_more`` said false, so that a lying ``has_more`` (PAGE-02) is told apart from a cursor that
skips or repeats (PAGE-01). Page sizes (LIMIT-01) and ``has_more`` on later pages are judged only on
walks that visited every conversation exactly once, so a cursor fault is not blamed twice. The
response's ``limit`` on every page is judged by the one echo rule (limits.py).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from ..model.exchange import Exchange
from ..model.results import Violation
from ..spec.catalogue import Req
from ..spec.contract import SortRule
from . import DefaultsBlame, violation
from .limits import echo_violations, served_size
from .ordering import first_disorder, in_order, sort_key
from .page import Page

__all__ = ["Walk", "judge_walk", "page_violations", "shows_disorder", "stranger_violations", "followed_a_stranger",
           "StopReason"]

StopReason = Literal["empty", "bound", "loop", "rejected"]


@dataclass(frozen=True)
class Walk(DefaultsBlame):
    sort_value: str  # the order in effect (explicit, or the spec's default)
    limit: int  # the limit in effect
    sort_explicit: bool  # False: no sort_by was sent, so a wrong order breaks SORT-02, not SORT-01
    pages: tuple[Page, ...]
    stop: StopReason
    rejected: Exchange | None = None  # the non-200 answer to a cursor the server itself served
    bound: int = 0  # how many pages the walk was allowed

    def describe(self) -> str:
        sort = f"sort_by={self.sort_value}" if self.sort_explicit else f"no sort_by (default {self.sort_value})"
        return f"walk {sort} limit={self.limit}"

    limit_explicit: bool = True  # False: no limit was sent, so wrong page sizes break LIMIT-03


def stranger_violations(walk: Walk, *, expected: Collection[str], owner_known: bool,
                        deleted: Collection[str] = ()) -> list[Violation]:
    """Items that are not the user's to list: deleted ones (DATA-01) and, where the suite made every
    conversation of the user (``owner_known``), anything outside ``expected`` (USER-02)."""
    where, found = walk.describe(), []
    undead = [(c, i) for i, page in enumerate(walk.pages) for c in page.ids if c in deleted]
    foreign = [(c, i) for i, page in enumerate(walk.pages) for c in page.ids
               if owner_known and c not in deleted and c not in expected]
    if undead:
        conversation_id, index = undead[0]
        found.append(violation(Req.DATA_01, f"{where}, page {index + 1}: {len(undead)} deleted conversation(s) still "
                               f"listed, e.g. {conversation_id}", walk.pages[index].exchange))
    if foreign:
        conversation_id, index = foreign[0]
        found.append(violation(Req.USER_02, f"{where}, page {index + 1}: {len(foreign)} item(s) are another user's "
                               f"conversation, e.g. {conversation_id}", walk.pages[index].exchange))
    return found


def followed_a_stranger(walk: Walk, expected: Collection[str], owner_known: bool, deleted: Collection[str]) -> bool:
    """Whether the refused cursor was an item not the user's to list (blamed as such: USER-02, DATA-01).
    Another user's conversation or a deleted one may well be refused as a cursor, and may have been
    deleted meanwhile by whoever owns it: the refusal says nothing of the cursor (PAGE-01)."""
    if walk.stop != "rejected" or not walk.pages or not walk.pages[-1].items:
        return False
    cursor = walk.pages[-1].items[-1]["id"]
    return cursor in deleted or (owner_known and cursor not in expected)


def shows_disorder(walk: Walk) -> bool:
    """Whether a page of the walk holds items out of its order: the order itself is proved wrong."""
    return any(first_disorder(page.items, walk.sort_value) is not None for page in walk.pages)


def page_violations(walk: Walk, index: int) -> list[Violation]:
    """What one page of a walk shows by itself: items out of order inside it, more items than the limit."""
    page, where = walk.pages[index], walk.describe()
    found = []
    disorder = first_disorder(page.items, walk.sort_value)
    if disorder is not None:
        found.append(violation(walk.order_requirement, f"{where}, page {index + 1}: item {disorder + 1} is out of "
                               f"{walk.sort_value} order with the item before it", page.exchange))
    if len(page.items) > walk.limit:
        found.append(violation(walk.size_requirement, f"{where}, page {index + 1}: {len(page.items)} items, "
                               f"more than the limit {walk.limit}", page.exchange))
    return found


def judge_walk(walk: Walk, *, expected: Collection[str], owner_known: bool, deleted: Collection[str] = (),
               reference: Mapping[str, Mapping[str, Any]] | None = None) -> list[Violation]:
    """Everything wrong with one walk over a user whose conversations are ``expected``.

    ``owner_known``: the suite made every conversation of this user (write mode), so an item outside
    ``expected`` belongs to someone else (USER-02). In read-only mode nothing proves whose it is (it may
    be new), so it is not blamed; ``expected`` there is what every full walk of the user listed.
    ``deleted``: conversations of this user the suite deleted; listed, they break DATA-01.
    ``reference``: items by id as listed elsewhere, for the sort values of conversations this walk missed.
    """
    found: list[Violation] = []
    where = walk.describe()
    pages = walk.pages
    seen: dict[str, int] = {}
    repeats: list[tuple[str, int]] = []
    sort_broken = False
    for index, page in enumerate(pages):
        inside = page_violations(walk, index)
        sort_broken = sort_broken or any(v.requirement == walk.order_requirement for v in inside)
        found.extend(inside)
        for conversation_id in page.ids:
            if conversation_id in seen:
                repeats.append((conversation_id, index))
            else:
                seen[conversation_id] = index

    found.extend(echo_violations(pages, limit=walk.limit, limit_explicit=walk.limit_explicit,
                                 served=served_size(pages), where=where))
    strangers = stranger_violations(walk, expected=expected, owner_known=owner_known, deleted=deleted)
    found.extend(strangers)
    if repeats:
        conversation_id, index = repeats[0]
        found.append(violation(Req.PAGE_01, f"{where}: {len(repeats)} conversation(s) visited twice, e.g. "
                               f"{conversation_id} again on page {index + 1} (first on page "
                               f"{seen[conversation_id] + 1}){_after_cursor(walk, index)}", pages[index].exchange))
    gaps = [c for c in expected if c not in seen]
    if gaps and walk.stop == "empty":
        if len(pages) == 1:
            # No cursor was ever sent: the first page is short, the cursor is not to blame.
            found.append(violation(walk.size_requirement, f"{where}, page 1: no items while {len(expected)} "
                                   f"conversation(s) exist; expected {min(walk.limit, len(expected))}",
                                   pages[0].exchange))
        else:
            found.append(_gap_violation(walk, gaps, len(expected), reference or {}))
    # Items that are not the user's (another user's, or deleted) may lengthen a walk past its bound:
    # they are blamed above, the cursor is not.
    moot = strangers and (walk.stop == "bound" or followed_a_stranger(walk, expected, owner_known, deleted))
    found.extend([] if moot else _stop_violations(walk))
    clean = not (strangers or repeats or gaps) and walk.stop == "empty"
    # Pages in order inside, out of order across a boundary, every conversation visited once: the
    # order is wrong, not the cursor (at limit 1 this is the only way a wrong order shows).
    boundary = None if sort_broken or not clean else _first_boundary_disorder(walk)
    if boundary is not None:
        found.append(violation(walk.order_requirement, f"{where}: page {boundary + 1} starts out of "
                               f"{walk.sort_value} order with the end of the page before it", pages[boundary].exchange))
    found.extend(_first_page_has_more(walk, expected))
    if clean and boundary is None:
        found.extend(_has_more_along(walk))
        found.extend(_page_sizes(walk))
    return found


def _gap_violation(walk: Walk, gaps: list[str], total: int, reference: Mapping[str, Mapping[str, Any]]) -> Violation:
    """PAGE-01 for conversations never visited, with the transition that lost them as evidence: the
    request sent with the cursor (the page after it), the cursor and its sort value, and what came next."""
    field = SortRule.field(walk.sort_value)
    known = {c: dict(reference[c]) for c in gaps if c in reference and sort_key(dict(reference[c]), walk.sort_value)
             is not None}
    index = _losing_transition(walk, known)
    after = walk.pages[index]
    value = walk.pages[index - 1].items[-1].get(field)
    message = (f"{walk.describe()}: {len(gaps)} of {total} conversation(s) never visited, e.g. {sorted(gaps)[0]}"
               f"{_after_cursor(walk, index)}")
    ties = [c for c, item in known.items() if item.get(field) == value]
    if ties:
        message += f"; {len(ties)} missing item(s) tie with the cursor at {field}={value}"
    elif not known:
        message += "; the missing items' sort values are unknown"
    return violation(Req.PAGE_01, message, after.exchange)


def _after_cursor(walk: Walk, index: int) -> str:
    """The transition into page ``index + 1``: the cursor, its sort value, and what the page after it holds."""
    if index < 1:
        return ""
    field = SortRule.field(walk.sort_value)
    cursor, after = walk.pages[index - 1].items[-1], walk.pages[index].items
    nxt = f"starts with {after[0]['id']} ({field}={after[0].get(field)})" if after else "is empty"
    return (f"; after the cursor {cursor['id']} ({field}={cursor.get(field)}, last item of page {index}), "
            f"page {index + 1} (the request with that last_id) {nxt}")


def _losing_transition(walk: Walk, missing: Mapping[str, dict[str, Any]]) -> int:
    """The index of the first page after a cursor where a missing item belongs (1 when nothing tells)."""
    for index in range(1, len(walk.pages)):
        cursor, after = walk.pages[index - 1].items[-1], walk.pages[index].items
        for item in missing.values():
            if in_order(cursor, item, walk.sort_value) and (not after or in_order(item, after[0], walk.sort_value)):
                return index
    return 1


def _stop_violations(walk: Walk) -> list[Violation]:
    where = walk.describe()
    last = walk.pages[-1].exchange if walk.pages else None
    if walk.stop == "bound":
        return [violation(Req.PAGE_01, f"{where}: no empty page after {walk.bound} pages, more than the "
                          "conversations allow: the cursor does not advance", last)]
    if walk.stop == "loop":
        return [violation(Req.PAGE_01, f"{where}: a page ended on a conversation already used as a cursor: "
                          "the walk loops", last)]
    if walk.stop == "rejected" and walk.rejected is not None:
        return [violation(Req.PAGE_01, f"{where}: the id of the last item of page {len(walk.pages)}, served by "
                          f"the target itself, was rejected as last_id with {walk.rejected.status_code}",
                          walk.rejected)]
    return []


def _first_boundary_disorder(walk: Walk) -> int | None:
    for index in range(1, len(walk.pages)):
        before, after = walk.pages[index - 1], walk.pages[index]
        if before.items and after.items and not in_order(before.items[-1], after.items[0], walk.sort_value):
            return index
    return None


def _first_page_has_more(walk: Walk, expected: Collection[str]) -> list[Violation]:
    """The first page depends on no cursor: has_more must say whether any conversation is left."""
    if not walk.pages or not isinstance(walk.pages[0].has_more, bool):
        return []
    first = walk.pages[0]
    if len(set(first.ids)) != len(first.ids) or not all(i in expected for i in first.ids):
        return []  # judged as PAGE-01/USER-02 already
    more = len(expected) > len(first.ids)
    if first.has_more != more:
        return [violation(Req.PAGE_02, f"{walk.describe()}, page 1: has_more is {str(first.has_more).lower()} "
                          f"with {len(expected) - len(first.ids)} of {len(expected)} conversation(s) after it",
                          first.exchange)]
    return []


def _has_more_along(walk: Walk) -> list[Violation]:
    """On a clean walk, has_more is true on every page but the last non-empty one and the empty one."""
    nonempty = [i for i, p in enumerate(walk.pages) if p.items]
    last_nonempty = nonempty[-1] if nonempty else -1
    wrong = [
        (index, page)
        for index, page in enumerate(walk.pages)
        if isinstance(page.has_more, bool) and page.has_more != (index < last_nonempty)
    ]
    if not wrong:
        return []
    index, page = wrong[0]
    return [violation(Req.PAGE_02, f"{walk.describe()}: has_more is wrong on {len(wrong)} page(s), first on page "
                      f"{index + 1} ({str(page.has_more).lower()}, while "
                      f"{'more' if index < last_nonempty else 'no more'} conversations follow)", page.exchange)]


def _page_sizes(walk: Walk) -> list[Violation]:
    """On a clean walk every page but the last non-empty one holds exactly ``limit`` items."""
    nonempty = [p for p in walk.pages if p.items]
    short = [(i, p) for i, p in enumerate(nonempty[:-1]) if len(p.items) < walk.limit]
    if not short:
        return []
    index, page = short[0]
    return [violation(walk.size_requirement, f"{walk.describe()}, page {index + 1}: {len(page.items)} items while more "
                      f"conversations followed; expected {walk.limit}", page.exchange)]
