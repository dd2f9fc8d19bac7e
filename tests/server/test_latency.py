"""Injected response latency (``--latency-ms``, ``--latency-jitter``): every response waits, side by side."""

from __future__ import annotations

import statistics
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from conformance.server.__main__ import main
from conformance.server.latency import ResponseLatency
from conformance.server.process import ReferenceServer
from tests.server_client import ServerClient

LATENCY_S = 0.4
CONCURRENT = 8


def _timed_listing(server: ReferenceServer) -> float:
    with ServerClient(server.base_url, server.api_key) as api:
        started = time.perf_counter()
        assert api.list_raw({"user": "latency"}).status_code == 200
        return time.perf_counter() - started


def test_every_response_waits_and_concurrent_requests_wait_side_by_side() -> None:
    with ReferenceServer(extra_args=["--latency-ms", str(LATENCY_S * 1000)]) as server:
        assert all(_timed_listing(server) >= LATENCY_S for _ in range(2))
        with ThreadPoolExecutor(CONCURRENT) as pool:
            started = time.perf_counter()
            each = list(pool.map(lambda _: _timed_listing(server), range(CONCURRENT)))
            together = time.perf_counter() - started
    assert min(each) >= LATENCY_S
    # One after another they would take CONCURRENT x LATENCY_S (3.2 s); side by side about one
    # LATENCY_S. Half the serial time leaves seconds of slack for a busy machine.
    assert together < CONCURRENT * LATENCY_S / 2, (together, each)


def test_errors_wait_too() -> None:
    with ReferenceServer(extra_args=["--latency-ms", str(LATENCY_S * 1000)]) as server, \
            ServerClient(server.base_url, "app-not-a-key") as api:
        started = time.perf_counter()
        assert api.list_raw({"user": "latency"}).status_code == 401
        assert time.perf_counter() - started >= LATENCY_S


def test_lognormal_delays_have_the_given_median_and_a_long_tail() -> None:
    latency = ResponseLatency(20.0, "lognormal")
    rng = latency.sampler(seed=3)
    draws = [latency.draw_s(rng) * 1000 for _ in range(4000)]
    assert 18 < statistics.median(draws) < 22
    assert min(draws) > 0
    assert 30 < statistics.quantiles(draws, n=10)[-1] < 47  # p90: exp(0.5 x 1.28) x 20 ms = 38 ms
    again = latency.sampler(seed=3)
    assert [latency.draw_s(again) * 1000 for _ in range(4000)] == draws  # seeded: the same delays


def test_fixed_delay_is_the_given_one() -> None:
    latency = ResponseLatency(40.0)
    rng = latency.sampler(seed=0)
    assert {latency.draw_s(rng) for _ in range(10)} == {0.04}
    assert not ResponseLatency().active


@pytest.mark.parametrize("args", [["--latency-ms", "-1"], ["--latency-ms", "nan"], ["--latency-ms", "soon"],
                                  ["--latency-jitter", "gaussian"]])
def test_bad_latency_is_a_usage_error(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "latency" in err
