"""The walks rebuilt from recorded exchanges and judged again (rejudge_walks.py), over hand-made traffic:
what is judged, what is left alone because the evidence cannot decide it, and the rule's problem lines."""

from __future__ import annotations

import dataclasses
import json

import pytest

from conformance.data.dataset import TestUsers
from conformance.model.exchange import KEY_PLACEHOLDER, Exchange
from conformance.reports.rejudge_walks import judged_walks, walk_problems
from conformance.spec.catalogue import REQUIREMENTS, Req

from .conftest import Clock

RUN_ID = "5eed1234"
MAIN = TestUsers.for_run(RUN_ID).main
BASE = "http://127.0.0.1:5001/v1"
AUTH = (("Authorization", f"Bearer {KEY_PLACEHOLDER}"),)
IDS = [f"00000000-0000-4000-8000-00000000000{i}" for i in range(5)]


def create(clock: Clock, conversation_id: str, *, user: str = MAIN, status: int | None = 200) -> Exchange:
    return Exchange(kind="create", method="POST", base_url=BASE, path="/chat-messages", request_headers=AUTH,
                    request_body=json.dumps({"query": "q", "user": user}), started_at=clock.next(), elapsed_s=0.01,
                    status_code=status, body=json.dumps({"conversation_id": conversation_id}).encode())


def page(clock: Clock, ids: list[str], *, has_more: bool, last_id: str | None = None, limit: int = 2) -> Exchange:
    params = [("user", MAIN), ("limit", str(limit))] + ([("last_id", last_id)] if last_id else [])
    # Newest first (the spec's default, -updated_at): the later an id was made, the later its stamp.
    data = [{"id": c, "created_at": 100 + IDS.index(c), "updated_at": 100 + IDS.index(c)} for c in ids]
    body = {"limit": limit, "has_more": has_more, "data": data}
    return Exchange(kind="list", method="GET", base_url=BASE, path="/conversations", params=tuple(params),
                    request_headers=AUTH, started_at=clock.next(), elapsed_s=0.01, status_code=200,
                    response_headers=(("Content-Type", "application/json"),), body=json.dumps(body).encode())


def walk(clock: Clock, chunks: list[list[str]]) -> list[Exchange]:
    """One walk at limit 2 over ``chunks`` (the last one empty), each page asked with the last id before it."""
    sent, last = [], None
    for index, chunk in enumerate(chunks):
        sent.append(page(clock, chunk, has_more=index < len(chunks) - 2, last_id=last))
        last = chunk[-1] if chunk else None
    return sent


def together(clock: Clock, first: list[Exchange], second: list[Exchange]) -> list[Exchange]:
    """Two walks sent at the same time: their pages take turns."""
    return [dataclasses.replace(e, started_at=clock.next()) for pair in zip(first, second, strict=True) for e in pair]


NEWEST_FIRST = list(reversed(IDS))
WHOLE = [NEWEST_FIRST[0:2], NEWEST_FIRST[2:4], NEWEST_FIRST[4:5], []]


def seeded(clock: Clock) -> list[Exchange]:
    return [create(clock, c) for c in IDS]


def test_a_clean_walk_is_rebuilt_and_passes(contract):
    clock = Clock()
    judged = judged_walks(seeded(clock) + walk(clock, WHOLE), contract, RUN_ID)
    assert len(judged) == 1 and len(judged[0].walk.pages) == 4 and judged[0].violations == ()


def test_an_item_missing_from_a_page_is_page_01(contract):
    clock = Clock()
    chunks = [NEWEST_FIRST[0:2], NEWEST_FIRST[3:4], NEWEST_FIRST[4:5], []]
    (judged,) = judged_walks(seeded(clock) + walk(clock, chunks), contract, RUN_ID)
    assert [v.requirement for v in judged.violations] == [Req.PAGE_01]


def test_two_walks_interleaved_are_told_apart_by_their_cursors(contract):
    clock = Clock()
    data = seeded(clock)
    interleaved = together(clock, walk(clock, WHOLE), walk(clock, WHOLE))
    judged = judged_walks(data + interleaved, contract, RUN_ID)
    assert len(judged) == 2 and all(len(j.walk.pages) == 4 and not j.violations for j in judged)


def test_walks_of_one_request_that_saw_different_pages_are_not_paired_by_guess(contract):
    clock = Clock()
    data = seeded(clock)
    first = walk(clock, WHOLE)
    second = walk(clock, [[NEWEST_FIRST[0], NEWEST_FIRST[1]], NEWEST_FIRST[2:4], NEWEST_FIRST[4:5], []])
    changed = json.loads(second[0].body)
    changed["has_more"] = False  # the same last item, another answer: which page 2 follows which is unknown
    second[0] = dataclasses.replace(second[0], body=json.dumps(changed).encode())
    assert judged_walks(data + together(clock, first, second), contract, RUN_ID) == []


@pytest.mark.parametrize("case", ["a write during the walk", "a create of unknown outcome before it",
                                  "a walk cut short", "another user's walk", "a page that is no 200"])
def test_what_the_evidence_cannot_decide_is_not_judged(contract, case):
    clock = Clock()
    recorded = seeded(clock)
    sent = walk(clock, [NEWEST_FIRST[0:2], NEWEST_FIRST[3:4], NEWEST_FIRST[4:5], []])  # a gap, were it judged
    if case == "a write during the walk":
        between = dataclasses.replace(create(clock, "00000000-0000-4000-8000-0000000000ff"),
                                      started_at=sent[1].started_at + 0.05)
        recorded += sent[:2] + [between] + sent[2:]
    elif case == "a create of unknown outcome before it":
        recorded += [dataclasses.replace(create(clock, "", status=None), started_at=sent[0].started_at - 0.05)] + sent
    elif case == "a walk cut short":
        recorded += sent[:2]
    elif case == "another user's walk":
        recorded = [create(clock, c, user="someone else") for c in IDS] + sent
    else:
        recorded += [*sent[:2], dataclasses.replace(sent[2], status_code=503)]
    assert judged_walks(recorded, contract, RUN_ID) == []


def summary_with(statuses: dict[str, str], violations: list[dict[str, object]] | None = None) -> dict[str, object]:
    return {"run_id": RUN_ID, "requirements": [{"id": r.id, "status": statuses.get(r.id, "passed")}
                                               for r in REQUIREMENTS],
            "checks": [{"check_id": "suite/test_page.py::test_walk", "violations": violations or []}]}


def test_a_violation_of_a_requirement_recorded_passed_is_a_problem(contract):
    clock = Clock()
    data = seeded(clock)
    sent = walk(clock, [NEWEST_FIRST[0:2], NEWEST_FIRST[3:4], NEWEST_FIRST[4:5], []])
    (problem,) = walk_problems(data + sent, contract, summary_with({}), "evidence.har")
    assert problem.startswith(f"evidence.har: judged again, a walk shows a PAGE-01 violation at GET {sent[1].url} ")
    assert problem.endswith("but summary.json records PAGE-01 passed")


def test_a_recorded_violation_the_walk_does_not_show_is_a_problem(contract):
    clock = Clock()
    data = seeded(clock)
    sent = walk(clock, WHOLE)
    cited = {"requirement": "PAGE-02", "request": sent[1].curl(), "status_code": 200}
    problems = walk_problems(data + sent, contract, summary_with({"PAGE-02": "failed"}, [cited]),
                             "evidence.har")
    assert problems == [f"evidence.har: judged again, the walk holding GET {sent[1].url} -> 200 shows no PAGE-02 "
                        "violation, but summary.json records one there"]
    # The same request also sent outside the walk: the evidence does not say which one was blamed.
    probe = dataclasses.replace(sent[1], started_at=clock.next())
    assert walk_problems(data + sent + [probe], contract, summary_with({"PAGE-02": "failed"}, [cited]),
                         "evidence.har") == []


def test_a_har_entry_of_another_shape_is_one_problem_line_not_a_traceback():
    from conformance.reports.rejudge import evidence_problems

    entry = {"request": {"method": "GET", "url": f"{BASE}/conversations", "headers": [{"nom": "x"}]}, "response": {},
             "startedDateTime": "not a date", "time": "slow"}
    har = json.dumps({"log": {"entries": [entry]}}).encode()
    assert evidence_problems({"evidence.har": har}, {"target": {"base_url": BASE}}, "evidence.har", "spec.yaml") == [
        "evidence.har: not readable as a HAR (KeyError: 'name')"]
