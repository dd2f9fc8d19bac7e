"""The single-request judgements made again from recorded exchanges (rejudge_requests.py), over hand-made
traffic: which requests are judged for what, what is left alone because the evidence cannot decide it, and
the rule's problem lines."""

from __future__ import annotations

import dataclasses
import json

import pytest

from conformance.data.dataset import TestUsers
from conformance.model.exchange import KEY_PLACEHOLDER, OTHER_KEY_PLACEHOLDER, Exchange
from conformance.oracles.rejection import SERVER_ERROR_TRIES
from conformance.reports.rejudge_requests import Judgement, cursor_judgement, judgements, request_problems, seen_ids
from conformance.spec.catalogue import REQUIREMENTS, Req
from conformance.spec.contract import load_contract
from conformance.suite.strategies import malformed_cursors

from .conftest import Clock

RUN_ID = "5eed1234"
MAIN = TestUsers.for_run(RUN_ID).main
BASE = "http://127.0.0.1:5001/v1"
KEY = ("Authorization", f"Bearer {KEY_PLACEHOLDER}")
KNOWN = "00000000-0000-4000-8000-000000000001"
NOWHERE = "6f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f"
EMPTY_PAGE = json.dumps({"limit": 20, "has_more": False, "data": []})
REFUSAL = json.dumps({"code": "invalid_param", "message": "bad input", "status": 400})


CLOCK = Clock()


def listed(params: list[tuple[str, str]], status: int | None = 400, body: str = REFUSAL,
           auth: tuple[str, str] | None = KEY) -> Exchange:
    return Exchange(kind="list", method="GET", base_url=BASE, path="/conversations", params=tuple(params),
                    request_headers=(auth,) if auth else (), started_at=CLOCK.next(), elapsed_s=0.01,
                    status_code=status, response_headers=(("Content-Type", "application/json"),),
                    body=body.encode())


def made(conversation_id: str) -> Exchange:
    return Exchange(kind="create", method="POST", base_url=BASE, path="/chat-messages", request_headers=(KEY,),
                    request_body=json.dumps({"query": "q", "user": MAIN}), started_at=CLOCK.next(), elapsed_s=0.01,
                    status_code=200, body=json.dumps({"conversation_id": conversation_id}).encode())


def judged_for(exchange: Exchange, contract, seen=frozenset({KNOWN})) -> list[Req]:
    return [j.requirement for j in judgements(exchange, contract, {MAIN}, seen)]


@pytest.mark.parametrize(("params", "expected"), [
    ([("user", MAIN), ("limit", "0")], [Req.LIMIT_02]),
    ([("user", MAIN), ("limit", "101")], [Req.LIMIT_02]),
    ([("user", MAIN), ("limit", "1.5")], [Req.LIMIT_05]),
    ([("user", MAIN), ("sort_by", "name")], [Req.SORT_03]),
    ([("limit", "100")], [Req.USER_01]),
    ([("limit", "abc")], [Req.USER_01, Req.LIMIT_05]),  # a generated request: each obligation judged
    ([("user", MAIN), ("last_id", NOWHERE)], [Req.PAGE_03]),
    ([("user", MAIN), ("last_id", NOWHERE.upper())], [Req.PAGE_03]),
    ([("user", MAIN), ("last_id", KNOWN)], []),  # a walk's cursor, a deleted or a foreign one: other checks'
    ([("user", MAIN), ("limit", "20"), ("last_id", NOWHERE)], []),  # no probe of a cursor sends a limit
    ([("user", "someone else"), ("last_id", "not-a-uuid")], []),  # generated: no cursor is judged there
    ([("user", MAIN), ("last_id", "")], []),  # empty: may be read as no cursor
    ([("user", MAIN), ("limit", "20")], []),
    ([("user", MAIN), ("limit", "1.0")], []),  # readable either way: obliges nothing (oracles.params)
])
def test_what_each_request_is_judged_for(contract, params, expected):
    assert judged_for(listed(params), contract) == expected


def test_every_malformed_cursor_the_run_sends_is_judged_for_page_04(contract):
    for value in malformed_cursors(contract.last_id_format):
        assert judged_for(listed([("user", MAIN), ("last_id", value)]), contract) == [Req.PAGE_04], value


@pytest.mark.parametrize("auth", [None, ("Authorization", "Bearer app-Xy7"), ("Authorization", "Bearer "),
                                  ("Authorization", "Basic ZGlmeTpjb25mb3JtYW5jZQ=="),
                                  ("Authorization", "Bearer <the API key, last character changed>")])
def test_a_request_without_either_key_is_judged_for_auth_01_only(contract, auth):
    (judgement,) = judgements(listed([("user", MAIN)], status=401, auth=auth), contract, {MAIN}, set())
    assert judgement == Judgement(Req.AUTH_01, judgement.why, 401)
    other = listed([("user", MAIN), ("limit", "0")], auth=("Authorization", f"Bearer {OTHER_KEY_PLACEHOLDER}"))
    assert judged_for(other, contract) == [Req.LIMIT_02]


def test_a_cursor_is_judged_for_page_03_only_where_every_id_the_run_saw_is_known(contract):
    assert cursor_judgement(NOWHERE, contract, None) is None  # a body cut in the HAR may name it
    assert cursor_judgement("not-a-uuid", contract, None) == Judgement(Req.PAGE_04, "last_id='not-a-uuid' is not a uuid")
    assert seen_ids([made(KNOWN.upper())]) == {KNOWN}
    no_format = dataclasses.replace(contract, last_id_format=None)
    assert cursor_judgement("not-a-uuid", no_format, set()) is None


def summary_with(statuses: dict[str, str], violations: list[dict[str, object]] | None = None) -> dict[str, object]:
    return {"run_id": RUN_ID, "requirements": [{"id": r.id, "status": statuses.get(r.id, "passed")}
                                               for r in REQUIREMENTS],
            "checks": [{"check_id": "suite/test_rejections.py::test_x", "violations": violations or []}]}


def cited(exchange: Exchange, requirement: Req) -> dict[str, object]:
    return {"requirement": requirement.value, "request": exchange.curl(), "status_code": exchange.status_code}


def problems(recorded: list[Exchange], contract, summary) -> list[str]:
    return request_problems([made(KNOWN), *recorded], contract, summary, "evidence.har")


def test_a_served_out_of_range_limit_under_a_passed_limit_02_is_a_problem(contract):
    served = listed([("user", MAIN), ("limit", "0")], status=200, body=EMPTY_PAGE)
    assert problems([served], contract, summary_with({})) == [
        f"evidence.har: judged again, GET {served.url} -> 200 violates LIMIT-02, but summary.json records "
        "LIMIT-02 passed"]
    assert problems([served], contract, summary_with({"LIMIT-02": "failed"}, [cited(served, Req.LIMIT_02)])) == []


def test_a_refusal_with_the_wrong_status_or_with_data_is_a_problem_too(contract):
    auth = listed([("user", MAIN)], status=403, auth=None)
    leaked = listed([("limit", "100")], status=400, body=json.dumps({"data": [{"id": KNOWN}]}))
    found = problems([auth, leaked], contract, summary_with({}))
    assert [line.split(" violates ")[1].split(",")[0] for line in found] == ["AUTH-01", "USER-01"]


@pytest.mark.parametrize("status", [500, 503, 429, None])
def test_an_answer_that_is_none_to_the_input_is_not_judged(contract, status):
    """A 5xx was sent again and the last try judged, a 429 refuses the rate: what ended the probe is unknown."""
    assert problems([listed([("user", MAIN), ("limit", "0")], status=status)], contract, summary_with({})) == []


def test_a_recorded_violation_the_exchange_does_not_show_is_a_problem(contract):
    refused = listed([("user", MAIN), ("sort_by", "name")])
    assert problems([refused], contract, summary_with({"SORT-03": "failed"}, [cited(refused, Req.SORT_03)])) == [
        f"evidence.har: judged again, GET {refused.url} -> 400 shows no SORT-03 violation, but summary.json "
        "records one there"]


def test_a_recorded_leak_is_judged_again_with_every_id_the_har_shows(contract):
    """The run knew the ids it made: a refusal naming one of them shows again with the ids of the HAR."""
    leaked = listed([("user", MAIN)], status=401, body=json.dumps({"message": f"not yours: {KNOWN}"}), auth=None)
    assert problems([leaked], contract, summary_with({"AUTH-01": "failed"}, [cited(leaked, Req.AUTH_01)])) == []


def test_a_recorded_persistent_5xx_shows_again_only_with_every_try_in_the_har(contract):
    tries = [listed([("user", MAIN), ("last_id", NOWHERE)], status=500) for _ in range(SERVER_ERROR_TRIES)]
    summary = summary_with({"PAGE-03": "failed", "ROBUST-01": "failed"}, [cited(tries[-1], Req.PAGE_03)])
    assert problems(tries, contract, summary) == []
    (problem,) = problems(tries[1:], contract, summary)
    assert problem.endswith(f"{tries[-1].url} -> 500 shows no PAGE-03 violation, but summary.json records one there")


def test_a_recorded_violation_on_a_request_other_checks_send_too_is_left_alone(contract):
    """The same URL with the key (another check's list) and without (the auth probe): told apart by the header."""
    probe = listed([("user", MAIN)], status=200, body=EMPTY_PAGE, auth=None)
    own = listed([("user", MAIN)], status=200, body=EMPTY_PAGE)
    summary = summary_with({"AUTH-01": "failed"}, [cited(probe, Req.AUTH_01)])
    assert problems([probe, own], contract, summary) == []
    wrong = dict(cited(probe, Req.AUTH_01), request=own.curl())  # cited with the key: nothing here decides it
    assert problems([probe, own], contract, summary_with({"AUTH-01": "failed"}, [wrong])) == []


def test_a_run_without_a_key_is_not_judged_for_auth(contract):
    unkeyed = listed([("user", MAIN)], status=200, body=EMPTY_PAGE, auth=None)
    assert request_problems([unkeyed], contract, summary_with({}), "evidence.har") == []


@pytest.fixture(scope="module")
def optional_user():
    from conftest import DIFY_SPECS

    contract = load_contract(DIFY_SPECS / "openapi_chatflow.en.2026-07-03.json")
    assert not contract.user_required
    return contract


def test_where_user_is_optional_its_probes_are_judged_served(optional_user):
    maximum = str(optional_user.limit.maximum)
    assert judged_for(listed([("limit", maximum)]), optional_user) == [Req.USER_01]
    assert judged_for(listed([("limit", maximum), ("sort_by", "created_at")]), optional_user) == [Req.USER_01]
    assert judged_for(listed([("limit", "20")]), optional_user) == []  # no probe: a generated request
    assert judged_for(listed([("limit", maximum), ("sort_by", "name")]), optional_user) == [Req.SORT_03]


def test_a_refused_optional_user_is_a_problem_only_where_the_probe_is_told_apart(optional_user):
    refused = listed([("limit", str(optional_user.limit.maximum))])
    (problem,) = problems([refused], optional_user, summary_with({}))
    assert problem.endswith("-> 400 violates USER-01, but summary.json records USER-01 passed")
    generated = dataclasses.replace(refused, started_at=CLOCK.next(), status_code=200, body=EMPTY_PAGE.encode())
    assert problems([refused, generated], optional_user, summary_with({})) == []


def test_a_recorded_leak_without_user_shows_again_with_the_conversations_the_har_shows_made(optional_user):
    page = json.dumps({"limit": 100, "has_more": False, "data": [{"id": KNOWN}]})
    leaked = listed([("limit", str(optional_user.limit.maximum))], status=200, body=page)
    summary = summary_with({"USER-01": "failed"}, [cited(leaked, Req.USER_01)])
    assert problems([leaked], optional_user, summary) == []
    clean = dataclasses.replace(leaked, body=EMPTY_PAGE.encode())
    assert problems([clean], optional_user, summary_with({"USER-01": "failed"}, [cited(clean, Req.USER_01)])) == [
        f"evidence.har: judged again, GET {clean.url} -> 200 shows no USER-01 violation, but summary.json records "
        "one there"]
