"""--max-requests: a hard cap on what the run sends. Past it nothing more goes on the wire (the client
answers at once, without a status), the checks left are skipped with that reason and the verdict is
error (exit 3); only the deletes of the run's own test data still go, so nothing is left behind."""

from __future__ import annotations

import pytest

from conformance.http.client import ClientSettings, HttpClient

from .conftest import leaks, tracebacks
from .servers import TestServer, Upstream, json_reply
from .test_stopped_targets import _conversations

pytestmark = pytest.mark.slow  # whole runs of the suite against live servers


def test_the_client_sends_no_more_than_the_budget_but_always_deletes():
    answers = iter([json_reply({}, 429, [("Retry-After", "0")])] + [json_reply({"data": []})] * 20)
    with TestServer(lambda request: next(answers)) as target:
        http = HttpClient(ClientSettings(base_url=target.base_url, max_requests=3))
        first = http.send("GET", "/conversations")  # a 429, then its retry: two of the three
        second = http.send("GET", "/conversations")
        third = http.send("GET", "/conversations")
        deleted = http.send("DELETE", "/conversations/c1", kind="delete")
        received = [r.method for r in target.requests]
    assert (first.status_code, first.attempts, second.status_code) == (200, 2, 200)
    assert third.status_code is None and third.attempts == 0 and third.error == "request budget of 3 spent"
    assert deleted.status_code == 200, "a delete of test data is sent past the budget"
    assert received == ["GET", "GET", "GET", "DELETE"]
    assert http.budget_spent and http.stopped == "request budget of 3 spent" and http.refused == 1


@pytest.mark.parametrize("processes", [1, 2], ids=["one-process", "xdist-2-workers"])
def test_a_read_only_run_stops_at_the_budget_with_an_error(cli, key, reference, processes):
    server = reference()
    _conversations(server.base_url, key, "reader", 12)
    xdist = ["--", "-n", str(processes)] if processes > 1 else []
    with TestServer(Upstream(server.base_url)) as target:
        run = cli("--base-url", target.base_url, "--read-only", "--user", "reader", "--max-requests", "50",
                  "--seed", "3", *xdist)
        received = len(target.requests)
    assert run.exit_code == 3, run.explain()
    # One process: exactly the budget. Two workers: 24 each, and the controller's preflight (2).
    assert received == 50 and run.summary["requests"] == 50, (received, run.summary["requests"])
    reason = run.summary["reason"]
    assert reason == "the request budget of 50 (--max-requests) was spent before every check", run.explain()
    assert reason in run.stdout
    skipped = {r["id"]: r["reason"] for r in run.summary["requirements"] if r["status"] == "skipped"}
    assert any("request budget of 50 spent" in why for why in skipped.values()), skipped
    if processes > 1:
        assert any("(24 for this worker)" in why for why in skipped.values()), skipped
    assert not tracebacks(run.stdout + run.stderr, allow_hypothesis_flaky=True), run.stdout
    assert not leaks(run, key)


def test_a_write_run_over_budget_still_deletes_everything_it_made(cli, key, reference):
    with TestServer(Upstream(reference().base_url)) as target:
        run = cli("--base-url", target.base_url, "--max-requests", "60", "--seed", "3")
        requests = target.requests
    sent = [r for r in requests if r.method != "DELETE"]
    created = [r for r in requests if r.is_create()]
    deleted = [r for r in requests if r.method == "DELETE"]
    assert run.exit_code == 3, run.explain()
    assert "request budget of 60" in run.summary["reason"], run.explain()
    assert len(sent) == 60, len(sent)
    assert created and len(deleted) == len(created), (len(created), len(deleted))
    assert "cleanup_failed" not in run.summary.get("notes", {}), run.explain()
    assert not tracebacks(run.stdout + run.stderr, allow_hypothesis_flaky=True), run.stdout
    assert not leaks(run, key)


def test_a_budget_large_enough_changes_nothing(cli, key, reference):
    server = reference()
    _conversations(server.base_url, key, "reader", 12)
    run = cli("--base-url", server.base_url, "--read-only", "--user", "reader", "--max-requests", "100000",
              "--seed", "3")
    assert run.exit_code == 0, run.explain()
    assert run.summary["verdict"] == "pass" and run.summary["requests"] < 100000
