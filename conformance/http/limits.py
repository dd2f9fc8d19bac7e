"""Pacing and limits of the HTTP client, shared by every thread that sends through it.

- :class:`Pacer`: ``--rate-limit`` for all senders together, and the hold after a 429: a shared
  "not before" time no sender goes on the wire ahead of.
- :class:`Throttle`: a 429's ``Retry-After`` (seconds or an HTTP date, capped) and the counts of it.
- :class:`ConcurrencyGate`: at most ``--concurrency`` requests on the wire at once.
- :class:`RequestBudget`: ``--max-requests``, exact under threads; deletes of test data exempt.
- :class:`Breaker`: the target stopped answering one kind of request.
- :class:`Tally`: the sends and refusals of one context (a check), wherever its threads run.
"""

from __future__ import annotations

import email.utils
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from enum import Enum

from ..model.exchange import Exchange
from ..model.results import Stop

__all__ = ["ALWAYS_SENT_KINDS", "budget_spent_reason", "Pacer", "Throttle", "ConcurrencyGate", "RequestBudget",
           "Breaker", "Admission", "Tally", "open_tally", "open_tallies"]

# Deletes of the run's own test data are sent past the request budget: a run never leaves data behind.
ALWAYS_SENT_KINDS = frozenset({"delete"})


def budget_spent_reason(cap: int, share: int | None = None) -> str:
    return f"request budget of {cap} spent" + (f" ({share} for this worker)" if share not in (None, cap) else "")


class Pacer:
    """Spaces requests at most ``rate`` per second across threads, none before the hold a 429 set."""

    def __init__(self, rate: float | None) -> None:
        self._interval = 1.0 / rate if rate else 0.0
        self._next = 0.0
        self._not_before = 0.0  # time.monotonic(): a 429 holds every sender back until then
        self._lock = threading.Lock()

    def hold_until(self, when: float) -> None:
        with self._lock:
            self._not_before = max(self._not_before, when)

    def wait_for_hold(self) -> None:
        """Sleep until no 429 holds the senders back (a hold may be extended meanwhile)."""
        while True:
            with self._lock:
                remaining = self._not_before - time.monotonic()
            if remaining <= 0:
                return
            time.sleep(remaining)

    def wait_turn(self) -> None:
        """Sleep until this sender's slot: the rate's next one, and not inside a hold."""
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._next, self._not_before)
            if self._interval:
                self._next = slot + self._interval
        if slot > now:
            time.sleep(slot - now)


class Throttle:
    """429 answers: how long to wait (``Retry-After``, capped), holding back every sender; counted."""

    def __init__(self, pacer: Pacer, max_wait_s: float) -> None:
        self._pacer = pacer
        self._max_wait_s = max_wait_s
        self.throttled = 0  # 429 answers retried
        self.wait_s = 0.0  # the waits they asked for, summed
        self._lock = threading.Lock()

    def back_off(self, exchange: Exchange) -> float:
        """Count the 429 ``exchange`` and hold every sender back for its wait; returns the wait."""
        wait = self.retry_after(exchange)
        self._pacer.hold_until(time.monotonic() + wait)
        with self._lock:
            self.throttled += 1
            self.wait_s += wait
        return wait

    def retry_after(self, exchange: Exchange) -> float:
        value = (exchange.header("retry-after") or "").strip()
        wait = 1.0
        if value.isdigit():
            wait = float(value)
        elif value:
            parsed = _http_date(value)
            if parsed is not None:
                wait = parsed - time.time()
        return min(max(wait, 0.0), self._max_wait_s)


def _http_date(value: str) -> float | None:
    try:
        return email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        return None


class ConcurrencyGate:
    """At most ``limit`` holders at once, across threads: wraps the transport call only."""

    def __init__(self, limit: int) -> None:
        self.limit = max(1, limit)
        self._slots = threading.BoundedSemaphore(self.limit)

    def __enter__(self) -> ConcurrencyGate:
        self._slots.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self._slots.release()


class RequestBudget:
    """``--max-requests``: at most ``cap`` attempts go on the wire (429 retries included), deletes exempt."""

    def __init__(self, cap: int | None) -> None:
        self.cap = cap
        self.sent = 0  # attempts put on the wire, deletes included
        self.spent = False  # a send was refused for the budget
        self._lock = threading.Lock()

    def take(self, kind: str) -> bool:
        """Count one attempt of ``kind`` as sent if the budget allows it; False (and spent) if not."""
        with self._lock:
            if self.cap is not None and self.sent >= self.cap and kind not in ALWAYS_SENT_KINDS:
                self.spent = True
                return False
            self.sent += 1
            return True

    def give_back(self) -> None:
        """An attempt counted by :meth:`take` that did not go on the wire after all."""
        with self._lock:
            self.sent -= 1


class Admission(Enum):
    """Why the breaker let a request go: the target still answers, or a delete's own try after it stopped."""

    OPEN = "open"
    DELETE_TRY = "delete-try"


class Breaker:
    """Declares a target unresponsive after ``failures`` consecutive unusable answers to one kind of request.

    Unusable: no answer (timeout, refused or reset connection) or a body cut off (size cap, too slow).
    A kind is the method, the API call and whether a cursor was sent, so a target that stops answering
    only some requests (every one with ``last_id``, say) trips it too, while the answers it still gives
    to others do not hide that; any usable answer of that kind starts the count again. "In a row" is
    in the order the answers come, whichever thread sent them. Once tripped it stays so; deletes of
    test data get ``failures`` more tries of their own (counted when let through, so threads cannot
    take more).
    """

    def __init__(self, failures: int = 3) -> None:
        self.failures = failures
        self.reason: str | None = None  # set once tripped
        self._delete_failures = 0  # deletes after the trip that got no usable answer, in a row
        self._consecutive: dict[tuple[str, str, bool], int] = {}
        self._lock = threading.Lock()

    def admit(self, kind: str) -> Admission | None:
        """Let a request of ``kind`` go (how), or None: the target stopped answering."""
        with self._lock:
            if self.reason is None:
                return Admission.OPEN
            # The run's own test data is always deleted while the target answers deletes: they stop only
            # after ``failures`` of them in a row got no usable answer (at most that many plus those in
            # flight reach a target that answers nothing).
            if kind in ALWAYS_SENT_KINDS and self._delete_failures < self.failures:
                return Admission.DELETE_TRY
            return None

    def observe(self, exchange: Exchange, admission: Admission = Admission.OPEN) -> None:
        unusable = exchange.status_code is None or exchange.truncated
        with self._lock:
            if admission is Admission.DELETE_TRY:
                self._delete_failures = self._delete_failures + 1 if unusable else 0
                return
            if self.reason is not None:
                return
            cursor = any(name == "last_id" for name, _ in exchange.params)
            shape = (exchange.method, exchange.kind, cursor)
            count = self._consecutive[shape] = self._consecutive.get(shape, 0) + 1 if unusable else 0
            if count >= self.failures:
                what = f"{exchange.method} {exchange.path}{' with last_id' if cursor else ''}"
                why = exchange.error or "a body over the size cap"
                self.reason = (f"the target stopped answering: {count} {what} requests in a row got no usable "
                               f"response (last: {why})")


class Tally:
    """The sends of one context (a check and the threads it hands work to): how many went, how many
    were refused, and why the last refused one was not sent."""

    def __init__(self, owner: object) -> None:
        self.owner = owner  # the client whose sends count here
        self.sent = 0  # attempts put on the wire (429 retries included), as HttpClient.sent
        self.refused = 0  # sends not put on the wire: budget spent, target stopped answering
        self.stop_kind: Stop | None = None  # why a send was refused, as a kind (the target stopping wins)
        self.stopped: str | None = None  # why, in words
        self._lock = threading.Lock()

    def count_sent(self) -> None:
        with self._lock:
            self.sent += 1

    def count_refused(self, kind: Stop, reason: str) -> None:
        with self._lock:
            self.refused += 1
            if self.stop_kind != "target-stopped":
                self.stop_kind, self.stopped = kind, reason


_OPEN_TALLIES: ContextVar[tuple[Tally, ...]] = ContextVar("dify_conformance_open_tallies", default=())


@contextmanager
def open_tally(owner: object) -> Iterator[Tally]:
    """A tally of ``owner``'s sends made in this context (threads started with a copy of it included)."""
    tally = Tally(owner)
    token = _OPEN_TALLIES.set((*_OPEN_TALLIES.get(), tally))
    try:
        yield tally
    finally:
        _OPEN_TALLIES.reset(token)


def open_tallies(owner: object) -> list[Tally]:
    """The tallies open in this context that count ``owner``'s sends (nested ones too)."""
    return [tally for tally in _OPEN_TALLIES.get() if tally.owner is owner]
