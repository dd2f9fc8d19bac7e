"""Redirects are never followed, so the key never reaches another server: a target whose list redirects
is unusable (exit 3, one line naming the redirect); a redirect on some requests mid-run is a failure
(ROBUST-01). The redirect points at a recording server on another loopback port, which must see nothing."""

from __future__ import annotations

import pytest

from conformance.spec.catalogue import Req

from .conftest import REQUEST_HEAVY, leaks, one_line_reason, tracebacks
from .servers import Reply, TestServer, Upstream, json_reply

pytestmark = pytest.mark.slow  # whole runs of the suite against live servers


@pytest.fixture
def elsewhere():
    """Where the redirects point: records every request, answers a plausible empty list."""
    with TestServer(lambda request: json_reply({"limit": 20, "has_more": False, "data": []})) as server:
        yield server


@pytest.mark.parametrize("status", [302, 307])
def test_a_redirecting_target_is_unusable_and_the_key_stays_home(cli, key, elsewhere, status):
    def app(request):
        return Reply(status, b"", [("Location", f"{elsewhere.url}{request.target}")])

    with TestServer(app) as target:
        run = cli("--base-url", target.base_url, "--timeout", "2")
    assert run.exit_code == 3, run.explain()
    reason = one_line_reason(run)
    assert f"redirects ({status})" in reason and elsewhere.url in reason, reason
    assert not elsewhere.requests, "the client followed the redirect"
    assert target.requests and all(r.path == "/v1/conversations" for r in target.requests)
    assert not tracebacks(run.stdout + run.stderr)
    assert not leaks(run, key)


def test_redirects_mid_run_are_failures_and_the_key_stays_home(cli, key, reference, elsewhere):
    upstream = Upstream(reference().base_url)
    redirected = []

    def app(request):
        if request.is_list() and request.number % 25 == 0 and len(redirected) < 6:  # a few, past the preflight
            redirected.append(request)
            return Reply(307, b"", [("Location", f"{elsewhere.url}{request.target}")])
        return upstream(request)

    with TestServer(app) as target:
        run = cli("--base-url", target.base_url, "--seed", "4", "--timeout", "5", *REQUEST_HEAVY)
    assert redirected, "the run was too short to meet a redirect"
    assert not elsewhere.requests, "the client followed a redirect mid-run"
    assert run.exit_code == 1, run.explain()
    assert Req.ROBUST_01 in run.failed, run.explain()
    robust = next(r for r in run.summary["requirements"] if r["id"] == Req.ROBUST_01)
    assert any("redirect" in e["message"] and elsewhere.url in e["message"] for e in robust["evidence"]), robust
    assert not tracebacks(run.stdout + run.stderr, allow_hypothesis_flaky=True), run.stdout
    assert not leaks(run, key)
