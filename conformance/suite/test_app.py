"""APP-01: two apps (two API keys, ``--other-api-key``) on one deployment never mix their conversations.

Write mode: the run's own APP-01 user gets conversations through each app's key (the same user id in
both apps); each app's list of that user is walked under every sort, page by page, and must hold none
of the other app's, and the other app's conversation as ``last_id`` must be refused with a 4xx. The
conversations are deleted again at the end, each through the key that made it.
Read-only mode: the ``--user``'s lists under the two keys must be disjoint, and one app's conversation
is no cursor for the other.
"""

from __future__ import annotations

import pytest

from conformance.data.dataset import NotInThisRun, SeedingError
from conformance.data.journal import MAIN_APP
from conformance.data.listing import Listing, read_listing
from conformance.data.seeding import AppSeeder
from conformance.data.walker import walk_pages
from conformance.data.writes import Writes
from conformance.http.api import ServiceApi
from conformance.oracles.apps import foreign_cursor_violations, foreign_items_violations, shared_items_violations
from conformance.oracles.walk import Walk
from conformance.run.checks import inconclusive
from conformance.run.executor import Probes
from conformance.run.runstate import RunState
from conformance.spec.contract import Contract

from ..data import journal

THIS_APP, OTHER_APP = "this app", "the other app"
_PER_APP = 3  # conversations per app: with a page limit of 2, several pages under every sort


def _page_limit(contract: Contract) -> int | None:
    """Small pages, so that a leak shows on a later page too; within the spec's bounds."""
    low, high = contract.limit.minimum, contract.limit.maximum
    limit = max(2, low if low is not None else 2)
    return limit if high is None or limit <= high else high


def _walks(probes: Probes, api: ServiceApi, contract: Contract, user: str, limit: int | None,
           bound: int) -> list[Walk]:
    def walk(sort_by: str | None) -> Walk:
        return walk_pages(api, user=user, sort_by=sort_by, limit=limit,
                          effective_sort=sort_by if sort_by is not None else (contract.sort.default or ""),
                          effective_limit=limit or contract.limit.default or 0, bound=bound)

    return [made for made in probes.gather((None, *contract.sort.values), walk) if made is not None]


def _cursor(probes: Probes, api: ServiceApi, app: str, other: str, user: str, cursor: str) -> None:
    probes.judge(lambda: foreign_cursor_violations(app, other, user, api.list(user=user, last_id=cursor), cursor))


def test_neither_app_lists_the_other_apps_conversations(probes: Probes, run_state: RunState, api: ServiceApi,
                                                         contract: Contract, writes: Writes | NotInThisRun) -> None:
    """Conversations made through a second app's key are never listed, nor taken as last_id, by this app"""
    other_api = run_state.other_api
    if other_api is None:
        pytest.skip("no --other-api-key (DIFY_OTHER_API_KEY): APP-01 needs the API key of a second app")
    if isinstance(writes, NotInThisRun):  # nothing can be made: the lists the user has under the two keys
        _existing_lists(probes, run_state.dataset().main_listing(api, contract), api, other_api, contract)
        return
    user = run_state.users.app
    this = AppSeeder(api, run_state.ledger, THIS_APP, MAIN_APP)
    other = AppSeeder(other_api, run_state.ledger, OTHER_APP, journal.OTHER_APP)
    made: dict[str, tuple[str, ...]] = {}
    try:
        try:
            made[THIS_APP] = this.make(user, _PER_APP)
            made[OTHER_APP] = other.make(user, _PER_APP)
        except SeedingError as error:
            inconclusive(f"APP-01's conversations could not be made: {error}")
        _judge(probes, api, other_api, contract, user, made[THIS_APP], made[OTHER_APP])
    finally:
        this.remove(user, made.get(THIS_APP, ()))
        other.remove(user, made.get(OTHER_APP, ()))


def _judge(probes: Probes, api: ServiceApi, other_api: ServiceApi, contract: Contract, user: str,
           mine: tuple[str, ...], theirs: tuple[str, ...]) -> None:
    limit = _page_limit(contract)
    bound = len(mine) + len(theirs) + 2  # one new conversation a page at the least, and the empty end page
    for app, other, client, foreign in ((THIS_APP, OTHER_APP, api, theirs), (OTHER_APP, THIS_APP, other_api, mine)):
        walks = _walks(probes, client, contract, user, limit, bound)
        if walks:
            probes.add(foreign_items_violations(app, other, user, walks, set(foreign)))
        _cursor(probes, client, app, other, user, foreign[0])


def _existing_lists(probes: Probes, mine: Listing, api: ServiceApi, other_api: ServiceApi,
                    contract: Contract) -> None:
    """The user's full walks under each key: disjoint lists, and no cursor of the other app's."""
    theirs = read_listing(other_api, contract, mine.user)
    if not theirs.walks:
        inconclusive(f"the other app's list of {mine.user!r} could not be read: {theirs.why_undecided()}")
    if not theirs.items:
        inconclusive(f"{mine.user!r} has no conversations in the other app: nothing of it could show in this "
                     "app's list")
    probes.add(shared_items_violations(THIS_APP, OTHER_APP, mine.user, mine.walks.values(), set(theirs.items)))
    probes.add(shared_items_violations(OTHER_APP, THIS_APP, mine.user, theirs.walks.values(), set(mine.items)))
    only_theirs = next((i for i in theirs.items if i not in mine.items), None)
    only_mine = next((i for i in mine.items if i not in theirs.items), None)
    if only_theirs is not None:
        _cursor(probes, api, THIS_APP, OTHER_APP, mine.user, only_theirs)
    if only_mine is not None:
        _cursor(probes, other_api, OTHER_APP, THIS_APP, mine.user, only_mine)
