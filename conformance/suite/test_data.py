"""DATA-01 and DATA-02: what is written through the API shows in the list, and moves it."""

from __future__ import annotations

import pytest

from conformance.data.dataset import MISSING_AFTER_CREATE, Dataset, SeedingError, TestUsers
from conformance.data.walker import page_bound, walk_pages
from conformance.http.api import ServiceApi
from conformance.model.exchange import Exchange
from conformance.model.results import Violation
from conformance.oracles import Inconclusive, violation
from conformance.oracles.page import parse_page
from conformance.run.checks import expect, inconclusive
from conformance.run.executor import Probes
from conformance.run.runstate import RunState
from conformance.spec.catalogue import Req
from conformance.spec.contract import Contract
from conformance.suite.probes import refused


def _listed_ids(api: ServiceApi, contract: Contract, user: str, expected: int) -> tuple[list[str], Exchange]:
    limit = contract.limit.maximum or contract.limit.default
    walk = walk_pages(api, user=user, sort_by=None, limit=limit, effective_sort="", effective_limit=limit or 0,
                      bound=page_bound(expected))
    return [i for page in walk.pages for i in page.ids], walk.pages[-1].exchange


def test_a_created_conversation_is_listed_until_deleted(probes: Probes, api: ServiceApi, contract: Contract,
                                                        run_state: RunState, users: TestUsers) -> None:
    """A new conversation appears in its user's list; deleted, it is gone, and no longer a cursor"""
    seeder = run_state.seeder
    if seeder is None:
        pytest.skip("read-only run: this requirement needs writes to the target")
    try:
        conversation_id = seeder.create(users.scratch, "DATA-01")
    except SeedingError as error:
        inconclusive(str(error))

    def listed() -> list[Violation]:
        ids, last = _listed_ids(api, contract, users.scratch, 1)
        return [] if conversation_id in ids else [violation(
            Req.DATA_01, f"conversation {conversation_id}, just created for {users.scratch!r}, is not in that "
            f"user's list: {MISSING_AFTER_CREATE}", last)]

    probes.judge(listed)  # a step that cannot be decided keeps what the steps before it found
    deleted = api.delete(users.scratch, conversation_id)
    if deleted.status_code is None or not 200 <= deleted.status_code < 300:
        probes.undecidable(f"the delete was not accepted: {deleted.describe()}")
        return
    run_state.ledger.forget(users.scratch, conversation_id)

    def gone() -> list[Violation]:
        ids, last = _listed_ids(api, contract, users.scratch, 1)
        return [violation(Req.DATA_01, f"conversation {conversation_id} was deleted (answered "
                          f"{deleted.status_code}) but is still listed", last)] if conversation_id in ids else []

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
    by_id = {item["id"]: item for item in page.items}
    gone = set(dataset.deleted_ids)  # listed anyway, they are DATA-01's: here they would push others down
    ids = [i for i in page.ids if i not in gone]
    found: list[Violation] = []
    judged = False  # whether anything here could be judged: updated_at may not be an integer at all
    for update in dataset.updates:
        item = by_id.get(update.conversation_id)
        now, before = (item or {}).get("updated_at"), update.updated_at_before
        if isinstance(now, int) and isinstance(before, int):
            judged = True
            if now <= before:
                found.append(violation(Req.DATA_02, f"conversation {update.conversation_id}: after a {update.action} "
                                       f"in a later second, updated_at is still {now} (was {before})", exchange))
    updated = {u.conversation_id for u in dataset.updates}
    unjudged: set[str] = set()  # updated conversations whose place could not be judged
    stamps = [by_id[c].get("updated_at") for c in updated if c in by_id]
    if "-updated_at" in contract.sort.values and all(isinstance(v, int) for v in stamps):
        judged = True
        # The updates were made after the last conversation was created, possibly in its second: the
        # front is every conversation sharing the latest second among the updated ones, ties included.
        latest = min((v for v in stamps if isinstance(v, int)), default=None)
        front = 0 if latest is None else sum(1 for i in ids if isinstance(by_id[i].get("updated_at"), int)
                                             and by_id[i]["updated_at"] >= latest)
        missing = updated - set(ids[: max(front, len(updated))])
        if latest is not None and front >= len(ids):
            # The page ended among conversations sharing the updates' second: one not on it may follow.
            unjudged = missing - set(ids)
            missing -= unjudged
        if missing:
            found.append(violation(Req.DATA_02, f"under -updated_at the {len(updated)} conversations updated last "
                                   f"should come first (ties with them aside); {len(missing)} do not, e.g. "
                                   f"{sorted(missing)[0]}", exchange))
    if not judged:
        inconclusive("no integer updated_at in the list: neither its advance nor the order can be judged "
                     "(see SCHEMA-01)", (Req.SCHEMA_01, Req.SCHEMA_02))
    if unjudged and not found:
        inconclusive(f"the page of {len(ids)} conversations ended among those sharing the updates' second: "
                     f"{len(unjudged)} updated conversation(s) not on it may still follow, e.g. {sorted(unjudged)[0]}")
    expect(found)
