"""A target that never answers, answers HTML or broken JSON, resets connections, or fails at random:
the run ends (never a hang: every run here is under a subprocess timeout), with failures or a reason
that say what happened, and never a Python traceback on the terminal."""

from __future__ import annotations

import time

import pytest

from conformance.server.process import ReferenceServer
from conformance.spec.catalogue import Req
from tests.selftest.conftest import run_suite

from .conftest import REQUEST_HEAVY, RUN_TIMEOUT, canary_key, leaks, one_line_reason, tracebacks
from .servers import Hang, Reply, Reset, TestServer, Upstream

pytestmark = pytest.mark.slow  # whole runs of the suite against live servers

HTML = b"<!doctype html><html><head><title>Dify</title></head><body>Welcome</body></html>"
BROKEN_JSON = b'{"limit": 20, "has_more": false, "data": [{"id": "8c1f'


def _messages(run, requirement):
    return [v["message"] for c in run.summary["checks"] for v in c["violations"] if v["requirement"] == requirement]


@pytest.mark.parametrize(("behaviour", "outcome", "words"), [
    (Hang(), Hang, "no response within 1 s"),
    (Reset(), Reset, "connection reset by the target"),
], ids=["never-answers", "resets"])
def test_a_target_that_never_answers_or_resets_is_unusable(cli, key, behaviour, outcome, words):
    with TestServer(lambda request: behaviour) as target:
        start = time.monotonic()
        run = cli("--base-url", target.base_url, "--timeout", "1")
        elapsed = time.monotonic() - start
    assert run.exit_code == 3, run.explain()
    assert elapsed < 20, f"{elapsed:.0f} s"
    assert words in one_line_reason(run)
    assert not tracebacks(run.stdout + run.stderr), run.stdout + run.stderr
    assert not leaks(run, key)


@pytest.mark.parametrize(("body", "content_type", "words"), [
    (HTML, "text/html; charset=utf-8", "not JSON"),
    (BROKEN_JSON, "application/json", "not JSON"),
], ids=["html", "broken-json"])
def test_a_target_answering_html_or_broken_json_fails_with_clear_messages(cli, key, body, content_type, words):
    with TestServer(lambda request: Reply(200, body, [("Content-Type", content_type)])) as target:
        start = time.monotonic()
        run = cli("--base-url", target.base_url, "--timeout", "2", "--seed", "1")
        elapsed = time.monotonic() - start
    assert run.exit_code in (1, 3), run.explain()  # 3: no test data could be made on it
    assert elapsed < 60, f"{elapsed:.0f} s"
    assert Req.SCHEMA_01 in run.failed, run.explain()
    assert any(words in m for m in _messages(run, Req.SCHEMA_01)), _messages(run, Req.SCHEMA_01)
    if run.exit_code == 3:
        assert "test data could not be made" in run.summary["reason"], run.explain()
    assert not tracebacks(run.stdout + run.stderr), run.stdout
    assert not leaks(run, key)


def test_a_target_misbehaving_now_and_then_fails_with_clear_messages(cli, key, reference):
    upstream = Upstream(reference().base_url)
    kinds = ["hang", "html", "broken", "reset"]
    served = {kind: 0 for kind in kinds}

    def app(request):
        if request.is_list() and request.number > 1 and request.number % 15 == 0:
            kind = kinds[(request.number // 15) % len(kinds)]
            if served[kind] < 2:
                served[kind] += 1
                return {"hang": Hang(3), "reset": Reset(),
                        "html": Reply(200, HTML, [("Content-Type", "text/html")]),
                        "broken": Reply(200, BROKEN_JSON, [("Content-Type", "application/json")])}[kind]
        return upstream(request)

    with TestServer(app) as target:
        start = time.monotonic()
        run = cli("--base-url", target.base_url, "--timeout", "1", "--seed", "8", *REQUEST_HEAVY)
        elapsed = time.monotonic() - start
    assert all(served.values()), served
    assert run.exit_code == 1, run.explain()
    assert elapsed < 60, f"{elapsed:.0f} s"
    robust, schema = _messages(run, Req.ROBUST_01), _messages(run, Req.SCHEMA_01)
    assert any("no response within 1 s" in m for m in robust), robust
    assert any("connection reset by the target" in m for m in robust), robust
    assert any("Content-Type 'text/html'" in m for m in schema), schema
    assert any("not JSON" in m for m in schema), schema
    assert not tracebacks(run.stdout + run.stderr, allow_hypothesis_flaky=True), run.stdout
    assert not leaks(run, key)


@pytest.fixture(scope="module")
def random_5xx_run(tmp_path_factory):
    """One whole run against the reference's random-5xx fault (one request in five answered 503)."""
    key = canary_key()
    with ReferenceServer(api_keys=[key], faults=["random-5xx"], seed=2) as server:
        directory = tmp_path_factory.mktemp("random-5xx")
        start = time.monotonic()
        run = run_suite(directory / "reports", "--base-url", server.base_url, "--timeout", "2", "--seed", "6",
                        api_key=key, timeout=RUN_TIMEOUT)
    return run, key, time.monotonic() - start


def test_random_5xx_answers_are_failures_with_clear_messages(random_5xx_run):
    run, key, elapsed = random_5xx_run
    assert run.exit_code in (1, 3), run.explain()  # 3 when the test data could not be made through the 503s
    assert elapsed < 60
    assert Req.ROBUST_01 in run.failed, run.explain()
    assert any("answered 503, a server error" in m for m in _messages(run, Req.ROBUST_01)), run.explain()
    if run.exit_code == 3:
        assert "503" in run.summary["reason"], run.explain()
    assert not tracebacks(run.stdout + run.stderr, allow_hypothesis_flaky=True), run.stdout
    assert not leaks(run, key)


def test_random_5xx_answers_show_no_traceback_at_all(random_5xx_run):
    run, _, _ = random_5xx_run
    assert not tracebacks(run.stdout + run.stderr), "\n\n".join(tracebacks(run.stdout + run.stderr))
    assert "FlakyFailure" not in run.stdout
