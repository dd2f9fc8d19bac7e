"""USER-01 (its optional form) and USER-02: a user's list holds that user's conversations only.

Pure: the answers to requests for a user (or for none) and what the run knows of whose each
conversation is go in, violations come out. A deleted conversation listed is DATA-01's, not USER-02's.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from ..model.exchange import Exchange
from ..model.results import Violation
from ..spec.catalogue import Req
from . import Inconclusive, violation
from .page import Page, parse_page
from .walk import Walk

__all__ = ["own_list_violations", "without_user_violations", "near_miss_violations", "odd_user_violations",
           "owner_violations", "foreign_items_violation", "foreign_cursor_violation", "shared_items_violation"]


def _leaked(page: Page, ours: Collection[str]) -> list[str]:
    return [i for i in page.ids if i in ours]


def own_list_violations(user: str, sort_by: str | None, page: Page, exchange: Exchange, own: Collection[str],
                        deleted: Collection[str]) -> list[Violation]:
    """A user's page holds their own conversations only: a deleted one is DATA-01's, anyone else's USER-02's."""
    found: list[Violation] = []
    undead = [i for i in page.ids if i in deleted]
    strangers = [i for i in page.ids if i not in own and i not in deleted]
    if undead:
        found.append(violation(Req.DATA_01, f"user {user!r} (sort_by={sort_by}) is listed {len(undead)} deleted "
                               f"conversation(s), e.g. {undead[0]}", exchange))
    if strangers:
        found.append(violation(Req.USER_02, f"user {user!r} (sort_by={sort_by}) sees {len(strangers)} conversation(s) "
                               f"of another user, e.g. {strangers[0]}", exchange))
    return found


def without_user_violations(exchange: Exchange, ours: Collection[str]) -> list[Violation]:
    """With user optional in the spec, a request without it: answered 200 (a 429 or 5xx is no answer to
    judge), and holding none of the test users' conversations ``ours``."""
    status = exchange.status_code
    if status is not None and status not in (200, 429) and status < 500:
        return [violation(Req.USER_01, f"user is optional in the spec, but a request without it was answered "
                          f"{status}", exchange)]
    leaked = _leaked(parse_page(exchange), ours)
    return [violation(Req.USER_01, f"a request without user lists {len(leaked)} of the test users' "
                      f"conversations, e.g. {leaked[0]}", exchange)] if leaked else []


def near_miss_violations(probe: str, main: str, exchange: Exchange, ours: Collection[str]) -> list[Violation]:
    """A user id near ``main`` (``probe``) is listed none of the test users' conversations ``ours``."""
    leaked = _leaked(parse_page(exchange), ours)
    return [violation(Req.USER_02, f"user {probe!r} sees {len(leaked)} conversation(s) of {main!r} or its twin, "
                      f"e.g. {leaked[0]}", exchange)] if leaked else []


def odd_user_violations(what: str, exchange: Exchange, ours: Collection[str]) -> list[Violation]:
    """A user id with ``what`` in it: no 5xx (ROBUST-01); refusing it is fine; served, it sees nothing of ours."""
    status = exchange.status_code
    if status is None or status == 429:
        raise Inconclusive(f"no answer to {exchange.describe()} (see ROBUST-01, or still throttled)")
    if status >= 500:
        return [violation(Req.ROBUST_01, f"a user id with {what} was answered {status}", exchange)]
    if status != 200:
        return []
    leaked = _leaked(parse_page(exchange), ours)
    return [violation(Req.USER_02, f"a user id with {what} sees {len(leaked)} of the test users' "
                      f"conversations, e.g. {leaked[0]}", exchange)] if leaked else []


def owner_violations(user: str, own: Collection[str], exchange: Exchange, deleted: Collection[str]) -> list[Violation]:
    """A user who owns ``own`` is listed exactly those: none missing (DATA-01), nothing else (own_list_violations)."""
    page = parse_page(exchange)
    missing = [c for c in own if c not in page.ids]
    found = own_list_violations(user, None, page, exchange, set(own), deleted)
    if missing:
        found.append(violation(Req.DATA_01, f"user {user!r}: {len(missing)} of the {len(own)} conversation(s) "
                               f"created for this user are not in their list, e.g. {missing[0]}", exchange))
    return found


def foreign_items_violation(owner: str, page: Page, exchange: Exchange, other_ids: Collection[str]) -> Violation | None:
    """``owner`` with another user's conversation as last_id is served some of that user's ``other_ids``."""
    leaked = _leaked(page, other_ids)
    return violation(Req.USER_02, f"user {owner!r} with another user's conversation as last_id is served "
                     f"{len(leaked)} of that user's conversations", exchange) if leaked else None


def foreign_cursor_violation(owner: str, cursor: str, exchange: Exchange, holding: Exchange | None) -> Violation:
    """Another user's conversation ``cursor`` as last_id was served a page (``exchange``) holding none of
    that user's: when ``owner``'s own list holds ``cursor`` (``holding``: its page) the target counts it
    as theirs, one isolation fault (USER-02); otherwise a cursor that is no conversation of theirs was
    not refused (PAGE-03)."""
    if holding is not None:
        return violation(Req.USER_02, f"user {owner!r} is listed another user's conversation {cursor} "
                         "(and accepts it as last_id)", holding)
    return violation(Req.PAGE_03, f"user {owner!r} with another user's conversation as last_id (one that "
                     "is not theirs) is served a page instead of a 4xx", exchange)


def shared_items_violation(user: str, walks: Mapping[str | None, Walk], other_user: str,
                           other_ids: Collection[str]) -> list[Violation]:
    """Read-only: ``user``'s full walks (by sort) list none of ``other_user``'s conversations ``other_ids``;
    at most one violation, at the first walk and page that does."""
    for sort_by, walk in walks.items():
        hit = next(((page, i) for page in walk.pages for i in page.ids if i in other_ids), None)
        if hit is not None:
            page, conversation_id = hit
            return [violation(Req.USER_02, f"user {user!r} (sort_by={sort_by}) is listed conversation "
                              f"{conversation_id}, which {other_user!r} is listed too: the two users' lists are "
                              "not disjoint", page.exchange)]
    return []
