"""DATA-01 and DATA-02: what is written through the API shows in the list, and moves it."""

from __future__ import annotations

import pytest

from conformance.data.dataset import Dataset, NotInThisRun, SeedingError, TestUsers
from conformance.data.walker import page_bound, walk_pages
from conformance.data.writes import Writes
from conformance.http.api import ServiceApi
from conformance.model.exchange import Exchange
from conformance.model.results import Violation
from conformance.oracles import Inconclusive
from conformance.oracles.data import created_not_listed, deleted_still_listed, moved_up_violations
from conformance.oracles.page import parse_page
from conformance.run.checks import expect, inconclusive
from conformance.run.executor import Probes
from conformance.spec.catalogue import Req
from conformance.spec.contract import Contract
from conformance.suite.probes import refused


def _listed_ids(api: ServiceApi, contract: Contract, user: str, expected: int) -> tuple[list[str], Exchange]:
    limit = contract.limit.maximum or contract.limit.default
    walk = walk_pages(api, user=user, sort_by=None, limit=limit, effective_sort="", effective_limit=limit or 0,
                      bound=page_bound(expected))
    return [i for page in walk.pages for i in page.ids], walk.pages[-1].exchange


def test_a_created_conversation_is_listed_until_deleted(probes: Probes, api: ServiceApi, contract: Contract,
                                                        writes: Writes | NotInThisRun, users: TestUsers) -> None:
    """A new conversation appears in its user's list; deleted, it is gone, and no longer a cursor"""
    if isinstance(writes, NotInThisRun):
        pytest.skip(writes.reason)
    try:
        conversation_id = writes.new_conversation(users.scratch, "DATA-01")
    except SeedingError as error:
        inconclusive(str(error))

    def listed() -> list[Violation]:
        ids, last = _listed_ids(api, contract, users.scratch, 1)
        return created_not_listed(conversation_id, users.scratch, ids, last)

    probes.judge(listed)  # a step that cannot be decided keeps what the steps before it found
    deleted = api.delete(users.scratch, conversation_id)
    if deleted.status_code is None or not 200 <= deleted.status_code < 300:
        probes.undecidable(f"the delete was not accepted: {deleted.describe()}")
        return
    writes.ledger.forget(users.scratch, conversation_id)

    def gone() -> list[Violation]:
        ids, last = _listed_ids(api, contract, users.scratch, 1)
        return deleted_still_listed(conversation_id, deleted.status_code, ids, last)

    if probes.judge(gone) != []:  # still listed, or not known: the cursor of a deleted one says nothing more
        return
    probes.judge(lambda: refused(lambda: api.list(user=users.scratch, last_id=conversation_id), Req.PAGE_03,
                                 f"last_id={conversation_id} names a deleted conversation"))


def test_a_new_message_or_a_rename_moves_a_conversation_up(api: ServiceApi, contract: Contract,
                                                           dataset: Dataset) -> None:
    """After a new message or a rename, updated_at has advanced and the conversation leads -updated_at"""
    if not dataset.updates:
        pytest.skip("no updates in this run")
    try:
        page = parse_page(exchange := api.list(user=dataset.users.main, sort_by="-updated_at"
                                               if "-updated_at" in contract.sort.values else None,
                                               limit=contract.limit.maximum))
    except Inconclusive as error:
        inconclusive(error)
    # Deleted ones listed anyway are DATA-01's: here they would push others down.
    expect(moved_up_violations(dataset.updates, page, exchange, deleted=set(dataset.deleted_ids),
                               ordered_by_updated="-updated_at" in contract.sort.values))
