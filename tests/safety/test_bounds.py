"""Every run is bounded, whatever the target does: --timeout bounds each request, a huge, endless or
dripping body is cut (and reported as SCHEMA-01) without the memory growing, a has_more that never
ends or a cursor that loops back fails PAGE-01/PAGE-02 and the run still reaches its verdict, and
--time-budget ends a run that would take too long (verdict error, exit 3)."""

from __future__ import annotations

import time

import pytest

from conformance.spec.catalogue import Req

from .conftest import REQUEST_HEAVY, leaks, peak_rss_run, tracebacks
from .servers import Reply, TestServer, Upstream, endless

pytestmark = pytest.mark.slow  # whole runs of the suite against live servers

MB = 1024 * 1024


def _messages(run, requirement):
    """Every violation message of this requirement, from every check (the requirement keeps only 5)."""
    return [v["message"] for c in run.summary["checks"] for v in c["violations"] if v["requirement"] == requirement]


def _assert_clean(run, key):
    assert not tracebacks(run.stdout + run.stderr, allow_hypothesis_flaky=True), run.stdout
    assert not leaks(run, key)


def test_requests_slower_than_the_timeout_are_cut_and_reported(cli, key, reference):
    upstream = Upstream(reference().base_url)
    slow = []

    def app(request):
        if request.is_list() and request.number % 30 == 0 and len(slow) < 4:
            slow.append(request)
            time.sleep(4)  # the client gave up after 1 s
        return upstream(request)

    with TestServer(app) as target:
        start = time.monotonic()
        run = cli("--base-url", target.base_url, "--timeout", "1", "--seed", "2", *REQUEST_HEAVY)
        elapsed = time.monotonic() - start
    assert len(slow) == 4
    assert run.exit_code == 1, run.explain()
    assert Req.ROBUST_01 in run.failed, run.explain()
    messages = _messages(run, Req.ROBUST_01)
    assert any("no response within 1 s" in m for m in messages), messages
    assert elapsed < 60, f"{elapsed:.0f} s"
    _assert_clean(run, key)


def test_huge_endless_and_dripping_bodies_are_cut_and_reported(tmp_path, key, reference):
    upstream = Upstream(reference().base_url)
    served: dict[str, int] = {"endless": 0, "50mb": 0, "drip": 0}
    json_type = [("Content-Type", "application/json")]

    bad_last: dict[bool, bool] = {}  # per kind of list request (with a cursor or not): was the last one cut?

    def app(request):
        kind = request.param("last_id") is not None
        # Never twice in a row for one kind: three in a row is a target that stopped answering (test_stopped_targets).
        if request.is_list() and request.number > 1 and request.number % 10 == 0 and not bad_last.get(kind):
            bad_last[kind] = True
            if served["endless"] < 3:  # as fast as the socket takes it, never ending
                served["endless"] += 1
                return Reply(200, endless(b'{"data": [' + b'{"id": "x"}, ' * 5000), json_type)
            if served["50mb"] < 2:
                served["50mb"] += 1
                return Reply(200, endless(b" " * 65536, total=50 * MB), json_type, length=50 * MB)
            if served["drip"] < 2:  # one byte every 50 ms: each read is quick, the body never completes
                served["drip"] += 1
                return Reply(200, endless(b" ", interval=0.05), json_type)
        if request.is_list():
            bad_last[kind] = False
        return upstream(request)

    with TestServer(app) as target:
        start = time.monotonic()
        run, peak_kb = peak_rss_run(tmp_path / "run" / "reports", key, "--base-url", target.base_url,
                                     "--timeout", "2", "--seed", "3", *REQUEST_HEAVY)
        elapsed = time.monotonic() - start
    assert served == {"endless": 3, "50mb": 2, "drip": 2}, served
    assert run.exit_code == 1, run.explain()
    assert Req.SCHEMA_01 in run.failed, run.explain()
    messages = _messages(run, Req.SCHEMA_01)
    assert any("size cap" in m for m in messages), messages
    assert any("not complete within 2 s" in m for m in messages), messages
    assert elapsed < 60, f"{elapsed:.0f} s"
    # Endless bodies at full speed would have taken gigabytes in 2 s; the cap (8 MB) keeps the run small,
    # with up to --concurrency (4) capped bodies read and parsed at once.
    assert 0 < peak_kb < 600 * 1024, f"peak RSS {peak_kb / 1024:.0f} MB"
    _assert_clean(run, key)


def test_a_has_more_that_never_ends_fails_page_02_and_the_run_ends(cli, key, reference):
    server = reference(faults=["has-more-always-true"])
    run = cli("--base-url", server.base_url, "--timeout", "5", "--seed", "5", "--", "-k", "test_page")
    assert run.exit_code == 1, run.explain()
    assert Req.PAGE_02 in run.failed, run.explain()
    assert run.summary["verdict"] == "fail"
    _assert_clean(run, key)


def test_a_cursor_that_loops_back_fails_page_01_and_the_run_ends(cli, key, reference):
    """A server that ignores last_id: every 'next' page is the first page again, has_more stays true."""
    upstream = Upstream(reference().base_url)

    def app(request):
        if request.is_list() and request.param("last_id") is not None:
            kept = "&".join(f"{k}={v}" for k, v in request.query if k != "last_id")
            request = type(request)(request.method, f"{request.path}?{kept}", request.headers, request.body,
                                    request.at, request.number)
        return upstream(request)

    with TestServer(app) as target:
        start = time.monotonic()
        run = cli("--base-url", target.base_url, "--timeout", "5", "--seed", "5", "--", "-k", "test_page")
        elapsed = time.monotonic() - start
    assert run.exit_code == 1, run.explain()
    assert Req.PAGE_01 in run.failed, run.explain()
    assert elapsed < 90, f"{elapsed:.0f} s"
    _assert_clean(run, key)


def test_a_small_time_budget_ends_the_run_with_an_error(cli, key, reference):
    server = reference()
    start = time.monotonic()
    run = cli("--base-url", server.base_url, "--time-budget", "2")
    assert time.monotonic() - start < 30
    assert run.exit_code == 3, run.explain()
    assert run.summary["verdict"] == "error"
    assert "time budget of 2 s ran out" in run.summary["reason"], run.explain()
    assert "time budget of 2 s ran out" in run.stdout
    assert any(r["status"] == "skipped" and "time budget" in (r["reason"] or "") for r in run.summary["requirements"])
    _assert_clean(run, key)
