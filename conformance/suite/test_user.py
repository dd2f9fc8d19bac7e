"""USER-01 (optional form) and USER-02: a user's list holds only that user's conversations, whatever
the sort, the cursor, or how near another user's id is to it."""

from __future__ import annotations

import functools

import pytest

from conformance.data.dataset import Dataset, NotInThisRun
from conformance.data.walker import walk_pages
from conformance.http.api import ServiceApi
from conformance.model.exchange import Exchange
from conformance.model.results import Violation
from conformance.oracles import Inconclusive
from conformance.oracles.page import parse_page
from conformance.oracles.users import (
    foreign_cursor_violation,
    foreign_items_violation,
    near_miss_violations,
    odd_user_violations,
    owner_violations,
    without_user_violations,
)
from conformance.run.checks import inconclusive
from conformance.run.executor import Probes
from conformance.spec.catalogue import Req
from conformance.spec.contract import Contract
from conformance.suite import strategies
from conformance.suite.probes import known_ids, refused

_LISTING_PAGES = 20  # enough for the run's data at the largest limit; a server that lists everyone may have more


def test_a_missing_optional_user_sees_none_of_the_test_data(probes: Probes, api: ServiceApi, contract: Contract,
                                                            dataset: Dataset) -> None:
    """Without user (optional in the spec): 200 holding none of the test users' conversations"""
    if contract.user_required:
        pytest.skip("the spec marks user required: the required form of USER-01 applies")
    ours = known_ids(dataset)

    def without_user(sort_by: str | None) -> list[Violation]:
        return without_user_violations(api.list(limit=contract.limit.maximum, sort_by=sort_by), ours)

    probes.each((None, *contract.sort.values), without_user)


def test_each_users_list_holds_only_their_conversations(probes: Probes, api: ServiceApi, contract: Contract,
                                                        dataset: Dataset) -> None:
    """The main user and a near-identical twin see only their own conversations, under every sort"""
    own_lists = dataset.own_list_probes(api, contract)
    if isinstance(own_lists, NotInThisRun):
        pytest.skip(own_lists.reason)
    probes.each(own_lists, lambda probe: probe())


def test_near_identical_user_ids_see_no_test_data(probes: Probes, api: ServiceApi, contract: Contract,
                                                  dataset: Dataset) -> None:
    """Ids a sloppy match would confuse (LIKE wildcards, prefixes, case, full-width, accents) see nothing of ours"""
    ours = known_ids(dataset)

    def near_miss(probe: str) -> list[Violation]:
        exchange = api.list(user=probe, limit=contract.limit.maximum)
        return near_miss_violations(probe, dataset.users.main, exchange, ours)

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
        leaked = foreign_items_violation(owner, parse_page(exchange), exchange, other_ids)
        if leaked is not None:
            return [leaked]
        return [foreign_cursor_violation(owner, cursor, exchange, _listing_holding(api, contract, owner, cursor))]

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
        return odd_user_violations(what, api.list(user=user, limit=contract.limit.maximum), ours)

    probes.each(strategies.odd_users(max_length=contract.operation.user_max_length), odd_user)


def test_non_ascii_and_special_character_users_see_exactly_their_conversations(
        probes: Probes, api: ServiceApi, contract: Contract, dataset: Dataset) -> None:
    """Users with non-ASCII and URL-special characters in their ids are listed exactly their own conversations"""
    if not dataset.owned_ids:
        pytest.skip("no special users with data in this run (read-only)")
    deleted = set(dataset.deleted_ids)

    def owner(case: tuple[str, tuple[str, ...]]) -> list[Violation]:
        user, own = case
        return owner_violations(user, own, api.list(user=user, limit=contract.limit.maximum), deleted)

    probes.each(list(dataset.owned_ids.items()), owner)
