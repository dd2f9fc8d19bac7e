"""USER-01 (optional form) and USER-02: a user's list holds only that user's conversations, whatever
the sort, the cursor, or how near another user's id is to it."""

from __future__ import annotations

import functools
from collections.abc import Collection
from typing import cast

import pytest

from conformance.data.dataset import Dataset
from conformance.data.readonly import Listing, ReadOnlyDataset
from conformance.data.walker import walk_pages
from conformance.http.api import ServiceApi
from conformance.model.exchange import Exchange
from conformance.model.results import Violation
from conformance.oracles import Inconclusive, violation
from conformance.oracles.page import Page, parse_page
from conformance.run.checks import inconclusive
from conformance.run.executor import Probes
from conformance.spec.catalogue import Req
from conformance.spec.contract import Contract
from conformance.suite import strategies
from conformance.suite.probes import known_ids, refused

_LISTING_PAGES = 20  # enough for the run's data at the largest limit; a server that lists everyone may have more


def _strangers(page: Page, allowed: Collection[str]) -> list[str]:
    return [i for i in page.ids if i not in allowed]


def _list_violations(user: str, sort_by: str | None, page: Page, exchange: Exchange, own: set[str],
                     deleted: set[str]) -> list[Violation]:
    """A user's page holds their own conversations only: a deleted one is DATA-01's, anyone else's USER-02's."""
    found: list[Violation] = []
    undead = [i for i in page.ids if i in deleted]
    strangers = [i for i in _strangers(page, own) if i not in deleted]
    if undead:
        found.append(violation(Req.DATA_01, f"user {user!r} (sort_by={sort_by}) is listed {len(undead)} deleted "
                               f"conversation(s), e.g. {undead[0]}", exchange))
    if strangers:
        found.append(violation(Req.USER_02, f"user {user!r} (sort_by={sort_by}) sees {len(strangers)} conversation(s) "
                               f"of another user, e.g. {strangers[0]}", exchange))
    return found


def test_a_missing_optional_user_sees_none_of_the_test_data(probes: Probes, api: ServiceApi, contract: Contract,
                                                            dataset: Dataset) -> None:
    """Without user (optional in the spec): 200 holding none of the test users' conversations"""
    if contract.user_required:
        pytest.skip("the spec marks user required: the required form of USER-01 applies")
    ours = known_ids(dataset)

    def without_user(sort_by: str | None) -> list[Violation]:
        exchange = api.list(limit=contract.limit.maximum, sort_by=sort_by)
        if exchange.status_code is not None and exchange.status_code not in (200, 429) and exchange.status_code < 500:
            return [violation(Req.USER_01, f"user is optional in the spec, but a request without it was answered "
                              f"{exchange.status_code}", exchange)]
        page = parse_page(exchange)
        leaked = [i for i in page.ids if i in ours]
        return [violation(Req.USER_01, f"a request without user lists {len(leaked)} of the test users' "
                          f"conversations, e.g. {leaked[0]}", exchange)] if leaked else []

    probes.each((None, *contract.sort.values), without_user)


def test_each_users_list_holds_only_their_conversations(probes: Probes, api: ServiceApi, contract: Contract,
                                                        dataset: Dataset) -> None:
    """The main user and a near-identical twin see only their own conversations, under every sort"""
    if not dataset.owner_known:
        # Only a read-only run's data has no known owner, and it is a ReadOnlyDataset (runstate.py).
        probes.add(_read_only_overlap(cast(ReadOnlyDataset, dataset)))
        return
    if not dataset.twin_ids:
        pytest.skip("no second user with data in this run")
    owners = [(dataset.users.main, set(dataset.main_ids)), (dataset.users.twin, set(dataset.twin_ids))]
    deleted = set(dataset.deleted_ids)

    def own_list(case: tuple[str, set[str], str | None]) -> list[Violation]:
        user, own, sort_by = case
        page = parse_page(exchange := api.list(user=user, sort_by=sort_by, limit=contract.limit.maximum))
        return _list_violations(user, sort_by, page, exchange, own, deleted)

    probes.each([(user, own, sort_by) for user, own in owners for sort_by in (None, *contract.sort.values)], own_list)


def _read_only_overlap(dataset: ReadOnlyDataset) -> list[Violation]:
    """Read-only: the full walks of --user and --other-user must list no conversation in common.

    Without --other-user nothing proves an item belongs to someone else: the near-miss ids judge USER-02.
    """
    if dataset.other is None:
        inconclusive("read-only without --other-user: whose an item is cannot be proven, so USER-02 is judged "
                     "by the near-miss user ids alone")
    main = cast(Listing, dataset.listing)  # a read-only dataset is made with the main user's listing (runstate.py)
    found: list[Violation] = []
    for listing, other in ((main, dataset.other), (dataset.other, main)):
        for sort_by, walk in listing.walks.items():
            hit = next(((page, i) for page in walk.pages for i in page.ids if i in other.items), None)
            if hit is not None:
                page, conversation_id = hit
                found.append(violation(Req.USER_02, f"user {listing.user!r} (sort_by={sort_by}) is listed "
                                       f"conversation {conversation_id}, which {other.user!r} is listed too: the "
                                       "two users' lists are not disjoint", page.exchange))
                break
    return found


def test_near_identical_user_ids_see_no_test_data(probes: Probes, api: ServiceApi, contract: Contract,
                                                  dataset: Dataset) -> None:
    """Ids a sloppy match would confuse (LIKE wildcards, prefixes, case, full-width, accents) see nothing of ours"""
    ours = known_ids(dataset)

    def near_miss(probe: str) -> list[Violation]:
        page = parse_page(exchange := api.list(user=probe, limit=contract.limit.maximum))
        leaked = [i for i in page.ids if i in ours]
        return [violation(Req.USER_02, f"user {probe!r} sees {len(leaked)} conversation(s) of "
                          f"{dataset.users.main!r} or its twin, e.g. {leaked[0]}", exchange)] if leaked else []

    probes.each(dataset.users.probes, near_miss)


def test_another_users_conversation_is_no_cursor(probes: Probes, api: ServiceApi, contract: Contract,
                                                 dataset: Dataset) -> None:
    """Another user's conversation id as last_id: a 4xx (PAGE-03), and never that user's data (USER-02)"""
    if not dataset.twin_ids:
        inconclusive("no second user with data in this run (read-only: --other-user names one)")

    def foreign_cursor(case: tuple[str, str, set[str]]) -> list[Violation]:
        owner, cursor, other_ids = case
        exchange = api.list(user=owner, last_id=cursor)
        if exchange.status_code != 200:
            return refused(functools.partial(api.list, user=owner, last_id=cursor), Req.PAGE_03,
                           f"user {owner!r} with another user's conversation as last_id (one that is not theirs)",
                           first=exchange)
        page = parse_page(exchange)
        leaked = [i for i in page.ids if i in other_ids]
        if leaked:
            return [violation(Req.USER_02, f"user {owner!r} with another user's conversation as last_id is served "
                              f"{len(leaked)} of that user's conversations", exchange)]
        if (listing := _listing_holding(api, contract, owner, cursor)) is not None:
            # The target counts the conversation as this user's: one isolation fault, not a cursor fault.
            return [violation(Req.USER_02, f"user {owner!r} is listed another user's conversation {cursor} "
                              "(and accepts it as last_id)", listing)]
        return [violation(Req.PAGE_03, f"user {owner!r} with another user's conversation as last_id (one that "
                          "is not theirs) is served a page instead of a 4xx", exchange)]

    probes.each([(dataset.users.main, dataset.twin_ids[0], set(dataset.twin_ids)),
                 (dataset.users.twin, dataset.main_ids[0], set(dataset.main_ids))], foreign_cursor)


def _listing_holding(api: ServiceApi, contract: Contract, user: str, conversation_id: str) -> Exchange | None:
    """The page of ``user``'s list (walked at the largest limit) that holds ``conversation_id``, if any."""
    limit = contract.limit.maximum or contract.limit.default
    try:
        walk = walk_pages(api, user=user, sort_by=None, limit=limit, effective_sort="", effective_limit=limit or 0,
                          bound=_LISTING_PAGES)
    except Inconclusive:
        return None
    return next((p.exchange for p in walk.pages if conversation_id in p.ids), None)


def test_odd_user_ids_are_answered_without_a_server_error(probes: Probes, api: ServiceApi, contract: Contract,
                                                          dataset: Dataset) -> None:
    """User ids that break backends (255+ characters, NUL, control characters, non-ASCII, + % / quotes): no 5xx"""
    ours = known_ids(dataset)

    def odd_user(case: tuple[str, str]) -> list[Violation]:
        what, user = case
        exchange = api.list(user=user, limit=contract.limit.maximum)
        if exchange.status_code is None or exchange.status_code == 429:
            raise Inconclusive(f"no answer to {exchange.describe()} (see ROBUST-01, or still throttled)")
        if exchange.status_code >= 500:
            return [violation(Req.ROBUST_01, f"a user id with {what} was answered {exchange.status_code}", exchange)]
        if exchange.status_code != 200:
            return []  # refusing an odd id is fine
        page = parse_page(exchange)
        leaked = [i for i in page.ids if i in ours]
        return [violation(Req.USER_02, f"a user id with {what} sees {len(leaked)} of the test users' "
                          f"conversations, e.g. {leaked[0]}", exchange)] if leaked else []

    probes.each(strategies.odd_users(max_length=contract.operation.user_max_length), odd_user)


def test_non_ascii_and_special_character_users_see_exactly_their_conversations(
        probes: Probes, api: ServiceApi, contract: Contract, dataset: Dataset) -> None:
    """Users with non-ASCII and URL-special characters in their ids are listed exactly their own conversations"""
    if not dataset.owned_ids:
        pytest.skip("no special users with data in this run (read-only)")
    deleted = set(dataset.deleted_ids)

    def owner(case: tuple[str, tuple[str, ...]]) -> list[Violation]:
        user, own = case
        page = parse_page(exchange := api.list(user=user, limit=contract.limit.maximum))
        missing = [c for c in own if c not in page.ids]
        found = _list_violations(user, None, page, exchange, set(own), deleted)
        if missing:
            found.append(violation(Req.DATA_01, f"user {user!r}: {len(missing)} of the {len(own)} conversation(s) "
                                   f"created for this user are not in their list, e.g. {missing[0]}", exchange))
        return found

    probes.each(list(dataset.owned_ids.items()), owner)
