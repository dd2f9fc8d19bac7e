"""SCHEMA-01/02 on the run's own data (every other 200 list response is held to them too, see
evidence.py) and SCHEMA-03: timestamps are epoch seconds near the time the data was made, and a
quick follow-up is not dated before its creation (a target that rounds creations and truncates
updates, as Dify on PostgreSQL, dates it a second earlier)."""

from __future__ import annotations

import math
import time

import pytest

from conformance.data.dataset import Dataset, NotInThisRun, SeedingError, TestUsers
from conformance.data.writes import Writes
from conformance.http.api import ListParams, ServiceApi
from conformance.model.results import Violation
from conformance.oracles import Inconclusive
from conformance.oracles.page import parse_page
from conformance.oracles.schema import ResponseValidator
from conformance.oracles.timestamps import timestamp_violations
from conformance.run.checks import expect, inconclusive
from conformance.run.executor import Probes
from conformance.spec.catalogue import Req
from conformance.spec.contract import Contract

CLOCK_SKEW_S = 300  # how far the target's clock may be from ours and still be "near"


def test_list_responses_match_the_schema(probes: Probes, api: ServiceApi, contract: Contract, dataset: Dataset,
                                          validator: ResponseValidator) -> None:
    """Pages of data, an empty page and a cursor page: JSON, schema-valid with formats, every property present"""
    requests: list[ListParams] = [{"user": dataset.users.main, "sort_by": s, "limit": contract.limit.maximum}
                                  for s in (None, *contract.sort.values)]
    requests += [{"user": dataset.users.probes[0] if dataset.users.probes else "dify-conformance-nobody"},
                 {"user": dataset.users.main, "limit": contract.limit.minimum, "last_id": dataset.main_ids[0]
                  if dataset.main_ids else None}]

    def valid(params: ListParams) -> list[Violation]:
        exchange = api.list(**params)
        if exchange.status_code != 200:
            raise Inconclusive(f"{exchange.describe()}: not a 200 to judge")
        return validator.schema_violations(exchange) + validator.missing_properties(exchange)

    probes.each(requests, valid)


def test_timestamps_are_epoch_seconds_near_creation(probes: Probes, api: ServiceApi, contract: Contract,
                                                    dataset: Dataset) -> None:
    """created_at and updated_at: epoch seconds near when the data was made, updated_at >= created_at"""

    def timestamps() -> list[Violation]:
        walk = dataset.default_order_walk(api, contract)
        items = [(page, item) for page in walk.pages for item in page.items]
        if not items:
            raise Inconclusive("the user has no conversations to judge")
        earliest = dataset.earliest_creation(CLOCK_SKEW_S)
        latest = time.time() + CLOCK_SKEW_S
        found: list[Violation] = []
        for page, item in items:
            found += timestamp_violations(item, page.exchange, earliest=earliest, latest=latest)
            if len(found) >= 5:
                break
        return found

    probes.judge(timestamps)


# Where in a second of our clock the follow-up probe creates: past the half, a target that rounds its
# creations dates them in the next second, and a message sent at once, truncated, in this one.
FOLLOW_UP_PHASES = (0.6, 0.75, 0.9)


def test_a_quick_follow_up_is_not_dated_before_its_creation(api: ServiceApi, contract: Contract, users: TestUsers,
                                                             writes: Writes | NotInThisRun) -> None:
    """A message sent right after its conversation was created: updated_at >= created_at"""
    if isinstance(writes, NotInThisRun):
        pytest.skip(writes.reason)
    user = f"{users.scratch}-dated"
    began = time.time()
    made: list[str] = []
    for phase in FOLLOW_UP_PHASES:
        now = time.time()
        wait = (math.floor(now) + phase - now) % 1.0
        if writes.stop.wait(wait):
            inconclusive("the run is being stopped")
        try:
            conversation_id = writes.new_conversation(user, "SCHEMA-03 follow-up")
        except SeedingError as error:
            inconclusive(str(error))
        made.append(conversation_id)
        api.send_message(user, conversation_id, "dify-conformance: a quick follow-up")
    try:
        page = parse_page(exchange := api.list(user=user, limit=contract.limit.maximum))
    except Inconclusive as error:
        inconclusive(error)
    items = [item for item in page.items if item.get("id") in made]
    if not items:
        inconclusive(f"none of the {len(made)} conversations just made is listed (see DATA-01)", Req.DATA_01)
    if not any(isinstance(i.get("created_at"), int) and isinstance(i.get("updated_at"), int) for i in items):
        inconclusive("no integer created_at and updated_at to compare (see SCHEMA-01)", Req.SCHEMA_01)
    expect(v for item in items for v in timestamp_violations(
        item, exchange, earliest=began - CLOCK_SKEW_S, latest=time.time() + CLOCK_SKEW_S))
