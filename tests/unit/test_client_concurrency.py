"""The HTTP client under many threads, through the fake transport: at most --concurrency requests on
the wire, the rate limit and a 429's hold for every sender together, the budget and the breaker exact,
and each context's sends counted in its own tally."""

from __future__ import annotations

import contextvars
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from conformance.http.client import ClientSettings, HttpClient
from conformance.http.fake_transport import FakeTransport, json_response
from conformance.http.transport import WireRequest, WireResponse

THREADS = 16


def _client(transport: FakeTransport, **settings: object) -> HttpClient:
    return HttpClient(ClientSettings(base_url="http://target.invalid/v1", api_key="app-k", **settings),
                      transport=transport)


def _in_threads(work, threads: int = THREADS) -> None:
    """``work(n)`` in ``threads`` threads at once; re-raises what any of them raised."""
    start = threading.Barrier(threads)

    def run(n: int) -> None:
        start.wait(timeout=10)
        work(n)

    with ThreadPoolExecutor(max_workers=threads) as pool:
        for future in [pool.submit(run, n) for n in range(threads)]:
            future.result()


@pytest.mark.parametrize("concurrency", [1, 3, 8])
def test_never_more_than_n_requests_in_flight(concurrency):
    # The first N requests wait until N are in flight together: the gate lets N through, or this fails.
    together = threading.Barrier(concurrency)
    arrived = iter(range(10_000))
    lock = threading.Lock()

    def answer(request: WireRequest) -> WireResponse:
        with lock:
            n = next(arrived)
        if n < concurrency:
            together.wait(timeout=10)
        return json_response()

    transport = FakeTransport(answer, delay_s=0.005)
    http = _client(transport, concurrency=concurrency)
    _in_threads(lambda n: [http.send("GET", "/conversations", kind="list") for _ in range(5)])
    assert len(transport.sent) == THREADS * 5 and http.sent == THREADS * 5
    assert transport.max_in_flight == concurrency


def test_the_rate_limit_paces_every_thread_together():
    rate = 100.0
    transport = FakeTransport()
    http = _client(transport, rate_limit=rate, concurrency=THREADS)
    _in_threads(lambda n: [http.send("GET", "/conversations") for _ in range(3)])
    starts = sorted(s.started for s in transport.sent)
    assert len(starts) == THREADS * 3
    # Each request has its own slot 1/rate after the one before: the whole is at least that long.
    assert starts[-1] - starts[0] >= (len(starts) - 1) / rate * 0.95, starts[-1] - starts[0]


def test_a_429_holds_back_every_thread_until_its_retry_after():
    throttled = threading.Event()
    first = threading.Lock()
    answered = []

    def answer(request: WireRequest) -> WireResponse:
        if first.acquire(blocking=False):
            return json_response(429, b"{}", [("Retry-After", "1")])
        return json_response()

    def record(exchange):
        answered.append(exchange)
        if exchange.status_code == 429:
            throttled.set()

    transport = FakeTransport(answer)
    http = HttpClient(ClientSettings(base_url="http://target.invalid/v1", max_retry_after_s=0.4, concurrency=8),
                      record=record, transport=transport)

    def work(n: int) -> None:
        if n == 0:
            assert http.send("GET", "/conversations").status_code == 200  # its retry
        else:
            assert throttled.wait(timeout=10)  # the others start once the 429 has come
            http.send("GET", "/conversations")

    _in_threads(work, 8)
    answer_429 = transport.sent[0]
    later = transport.sent[1:]
    assert len(later) == 8  # the retry and the seven others
    assert all(s.started >= answer_429.ended + 0.4 for s in later), [s.started - answer_429.ended for s in later]
    assert http.throttled == 1 and http.throttle_wait_s == 0.4
    assert [e.status_code for e in answered].count(429) == 1


def test_the_budget_is_exact_under_threads_and_deletes_still_go():
    transport = FakeTransport()
    http = _client(transport, max_requests=50)

    _in_threads(lambda n: [http.send("GET", "/conversations", kind="list") for _ in range(10)])
    # Deletes count as requests, but are sent past the budget: all of them, from every thread.
    _in_threads(lambda n: http.send("DELETE", f"/conversations/c{n}", kind="delete"))
    methods = [r.method for r in transport.requests]
    assert methods.count("GET") == 50 and methods.count("DELETE") == THREADS
    assert http.refused == THREADS * 10 - 50 and http.sent == 50 + THREADS
    assert http.budget_spent and http.stopped == "request budget of 50 spent" and http.stop_kind == "request-budget"


def test_the_breaker_trips_after_three_unusable_answers_of_one_kind_under_threads():
    def answer(request: WireRequest) -> WireResponse:
        if request.path == "/conversations":
            return WireResponse(None, error="connection failed: connection reset by the target")
        return json_response()

    concurrency = 4
    transport = FakeTransport(answer, delay_s=0.002)
    http = _client(transport, concurrency=concurrency)

    def work(n: int) -> None:
        for _ in range(10):  # usable answers to another kind in between do not hide the dead one
            http.send("GET", "/conversations", kind="list")
            http.send("GET", "/other", kind="other")

    _in_threads(work)
    dead = [r for r in transport.requests if r.path == "/conversations"]
    # Three in a row trip it; at most the others then on the wire still arrive, nothing is sent after.
    assert 3 <= len(dead) <= 3 + concurrency - 1, len(dead)
    assert http.stop_kind == "target-stopped"
    assert "3 GET /conversations requests in a row" in (http.stopped or "")
    assert http.refused == THREADS * 20 - len(transport.sent)


def test_after_the_breaker_deletes_get_exactly_three_tries_however_many_threads():
    transport = FakeTransport(WireResponse(None, error="no response within 1 s"))
    http = _client(transport)
    for _ in range(3):
        http.send("GET", "/conversations", kind="list")
    assert http.stopped
    _in_threads(lambda n: http.send("DELETE", f"/conversations/c{n}", kind="delete"))
    assert [r.method for r in transport.requests] == ["GET"] * 3 + ["DELETE"] * 3


def test_a_tally_counts_the_sends_of_its_own_context_only():
    transport = FakeTransport(delay_s=0.001)
    http = _client(transport, max_requests=40)
    tallies = {}

    def work(n: int) -> None:
        with http.tally() as tally:
            for _ in range(n + 1):
                http.send("GET", "/conversations")
        tallies[n] = tally

    _in_threads(work, 8)  # 36 requests: within the budget
    assert {n: (t.sent, t.refused, t.stop_kind) for n, t in tallies.items()} == {n: (n + 1, 0, None) for n in range(8)}
    with http.tally() as outer:
        # Work handed to a pool with a copy of this context counts here; the budget runs out on the way.
        with http.tally() as inner, ThreadPoolExecutor(max_workers=4) as pool:
            for future in [pool.submit(contextvars.copy_context().run, http.send, "GET", "/conversations")
                           for _ in range(10)]:
                future.result()
        http.send("GET", "/conversations")
    assert (inner.sent, inner.refused, inner.stop_kind) == (4, 6, "request-budget")
    assert inner.stopped == "request budget of 40 spent"
    assert (outer.sent, outer.refused) == (4, 7)
    assert http.refused == 7  # the old global counter still counts everything


def test_a_tally_counts_no_other_client_and_no_thread_outside_it():
    transport = FakeTransport()
    http, other = _client(transport), _client(transport)
    with http.tally() as tally:
        other.send("GET", "/conversations")
        outside = threading.Thread(target=http.send, args=("GET", "/conversations"))  # no copy of the context
        outside.start()
        outside.join()
        http.send("GET", "/conversations")
    assert tally.sent == 1


def test_the_key_goes_on_the_wire_only():
    transport = FakeTransport()
    recorded = []
    http = HttpClient(ClientSettings(base_url="http://target.invalid/v1", api_key="app-k3y"), record=recorded.append,
                      transport=transport)
    http.send("GET", "/conversations", params=[("user", "u")])
    http.close()
    (request,) = transport.requests
    assert ("Authorization", "Bearer app-k3y") in request.headers
    assert "app-k3y" not in repr(request) and "app-k3y" not in repr(recorded[0])
    assert ("Authorization", "Bearer ${DIFY_API_KEY}") in recorded[0].request_headers
    assert transport.closed


def test_the_fake_answers_a_list_in_turn_and_records_what_it_was_sent():
    transport = FakeTransport([json_response(429, b"{}", [("Retry-After", "0")]), json_response(201)])
    http = _client(transport)
    exchange = http.send("POST", "/chat-messages", json_body={"query": "q"}, kind="create")
    assert (exchange.status_code, exchange.attempts, http.throttled) == (201, 2, 1)
    assert [r.body for r in transport.requests] == [b'{"query": "q"}'] * 2
    assert http.send("GET", "/conversations").status_code == 201  # the last answer repeats
