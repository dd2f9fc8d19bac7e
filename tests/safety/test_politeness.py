"""Politeness: --rate-limit caps the requests per second, across every thread of the run; a 429 is
honoured (Retry-After, in seconds or as a date, capped), retried a bounded number of times, and
reported ("throttled: ..." on the terminal, notes.throttled in summary.json)."""

from __future__ import annotations

import email.utils
import time

import pytest

from conformance.http.client import ClientSettings, HttpClient

from .conftest import REQUEST_HEAVY, leaks, tracebacks
from .servers import Reply, TestServer, Upstream, json_reply

pytestmark = pytest.mark.slow  # whole runs of the suite against live servers


def _busiest_second(times: list[float]) -> int:
    """The most requests that arrived within any one-second window."""
    times = sorted(times)
    best, first = 0, 0
    for last, at in enumerate(times):
        while at - times[first] >= 1.0:
            first += 1
        best = max(best, last - first + 1)
    return best


@pytest.mark.parametrize("processes", [1, 2], ids=["one-process", "xdist-2-workers"])
def test_the_rate_limit_caps_requests_per_second(cli, key, reference, processes):
    upstream = Upstream(reference().base_url)
    xdist = ["-n", str(processes)] if processes > 1 else []
    with TestServer(upstream) as target:
        # Writes (4 seeding threads) and reads (the checks) at once, in one or several processes: the cap
        # is for the whole run.
        run = cli("--base-url", target.base_url, "--rate-limit", "40",
                  "--", "-k", "test_rejections", *xdist)
    times = [r.at for r in target.requests]
    assert len(times) > 120, f"only {len(times)} requests: too few to measure a rate\n{run.explain()}"
    assert {r.method for r in target.requests} >= {"GET", "POST", "DELETE"}
    # 40 per second; arrivals jitter on a loaded machine (the pacing is at send time, in each process), so
    # a window may catch a few more. Unpaced, or each process at the full rate, it is twice that or more.
    assert _busiest_second(times) <= 50, _busiest_second(times)
    overall = (len(times) - 1) / (max(times) - min(times))
    assert overall <= 41, overall
    assert not tracebacks(run.stdout + run.stderr), run.stdout
    assert not leaks(run, key)


def test_429_answers_are_honoured_and_reported(cli, key, reference):
    upstream = Upstream(reference().base_url)
    throttle = {b"alice #5\"": 2, b"limit=0": 1}  # request signature -> how many times it is answered 429
    seen: dict[bytes, list] = {signature: [] for signature in throttle}

    def app(request):
        for signature, times in throttle.items():
            if signature in request.body or signature in request.target.encode():
                seen[signature].append(request)
                if len(seen[signature]) <= times:
                    return json_reply({"code": "too_many_requests"}, 429, [("Retry-After", "1")])
        return upstream(request)

    with TestServer(app) as target:
        run = cli("--base-url", target.base_url, "--seed", "3", *REQUEST_HEAVY)
    assert run.exit_code == 0, run.explain()  # the throttling is not the target's fault
    for signature, times in throttle.items():
        arrivals = seen[signature][: times + 1]  # the throttled ones and the retry that got through
        assert len(arrivals) == times + 1, (signature, arrivals)
        for first, again in zip(arrivals, arrivals[1:], strict=False):
            assert (again.method, again.target, again.body) == (first.method, first.target, first.body)
            assert again.at - first.at >= 0.95, "Retry-After was not honoured"
    notes = run.summary["notes"]["throttled"]
    assert notes["responses_429"] == 3 and notes["waited_s"] >= 2.9, notes
    line = next((li for li in run.stdout.splitlines() if "throttled:" in li), "")
    assert "throttled: 3 answer(s) 429, waited 3" in line and "as asked" in line, run.stdout
    assert not leaks(run, key)


def test_429_retries_are_bounded_and_long_waits_capped():
    """Direct, through the suite's one HTTP client: a target that answers only 429."""
    with TestServer(lambda request: json_reply({}, 429, [("Retry-After", "1")])) as always:
        client = HttpClient(ClientSettings(base_url=always.base_url, api_key="app-x", max_429_retries=3))
        start = time.monotonic()
        exchange = client.send("GET", "/conversations")
        elapsed = time.monotonic() - start
    assert exchange.status_code == 429 and exchange.attempts == 4
    assert len(always.requests) == 4, "retries are bounded: one request and three retries"
    assert 2.9 <= elapsed < 6, elapsed
    assert client.throttled == 3 and client.throttle_wait_s == 3

    later = email.utils.formatdate(time.time() + 3600, usegmt=True)
    for value in ("3600", later):  # seconds, or an HTTP date: either way capped
        with TestServer(lambda request, v=value: Reply(429, b"", [("Retry-After", v)])) as patient:
            client = HttpClient(ClientSettings(base_url=patient.base_url, max_429_retries=2, max_retry_after_s=0.5))
            start = time.monotonic()
            assert client.send("GET", "/conversations").status_code == 429
            assert 0.9 <= time.monotonic() - start < 3
            assert len(patient.requests) == 3
