"""A transport with no network, for unit tests and benchmarks of the client: canned or computed answers.

It records every request it was sent and how many were in flight at once, so a test can measure
what the client puts on the wire (its concurrency, its pacing) without a server.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from .transport import WireRequest, WireResponse

__all__ = ["FakeTransport", "Sent", "json_response", "EMPTY_LIST"]

Responder = Callable[[WireRequest], WireResponse]


def json_response(status: int = 200, body: bytes = b'{"data": []}',
                  headers: Iterable[tuple[str, str]] = ()) -> WireResponse:
    return WireResponse(status, (("Content-Type", "application/json"), *headers), body)


EMPTY_LIST = json_response()


@dataclass(frozen=True, slots=True)
class Sent:
    """One request the fake received: what, and when it came and went (``time.monotonic``)."""

    request: WireRequest
    started: float
    ended: float
    thread: str


class FakeTransport:
    """Answers with ``answer``: one response for every request, a list of them in turn (the last one
    repeats), or a function of the request.

    ``delay_s`` keeps each request in flight that long (a slow target), so that concurrent sends overlap.
    """

    def __init__(self, answer: WireResponse | Sequence[WireResponse] | Responder = EMPTY_LIST, *,
                 delay_s: float = 0.0) -> None:
        if isinstance(answer, Sequence) and not answer:
            raise ValueError("a FakeTransport needs at least one answer")
        self._answer = answer
        self._answered = 0
        self.delay_s = delay_s
        self.sent: list[Sent] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.closed = False
        self._lock = threading.Lock()

    def send(self, request: WireRequest) -> WireResponse:
        started = time.monotonic()
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.delay_s:
                time.sleep(self.delay_s)
            return self._answer_to(request)
        finally:
            with self._lock:
                self.in_flight -= 1
                self.sent.append(Sent(request, started, time.monotonic(), threading.current_thread().name))

    def _answer_to(self, request: WireRequest) -> WireResponse:
        if isinstance(self._answer, WireResponse):
            return self._answer
        if isinstance(self._answer, Sequence):
            with self._lock:
                turn = min(self._answered, len(self._answer) - 1)
                self._answered += 1
            return self._answer[turn]
        return self._answer(request)

    def close(self) -> None:
        self.closed = True

    @property
    def requests(self) -> list[WireRequest]:
        with self._lock:
            return [s.request for s in self.sent]
