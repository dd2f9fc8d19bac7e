"""Writes of test data, by one rule for the whole run: the seeding, APP-01's data, DATA-01's and
SCHEMA-03's own creates and the lifecycle machine all write through :class:`Writes`.

- A write answered 5xx or not at all is sent again (ROBUST-01 records every try), so that a target
  failing at random still gets its test data and is judged; one never sent (the budget, the breaker,
  a halt) is not: nothing would change.
- Every create is journaled before it is sent (the ledger, journal.py), and the conversation its
  answer names goes into the ledger at once, so the cleanup deletes exactly what the run made.
- A create answered 5xx or not at all may have made its conversation anyway: such tries are counted
  per user, and a listing of that user tells which listed conversations they made (``reconcile``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Container, Iterable
from dataclasses import dataclass

from ..http.api import ServiceApi, conversation_id_of
from ..model.exchange import Exchange
from ..oracles.page import is_server_error
from .journal import MAIN_APP
from .ledger import CreatedLedger

__all__ = ["Writes", "retrying_write", "WRITE_ATTEMPTS", "SeedingError", "NotInThisRun", "NO_WRITES"]

WRITE_ATTEMPTS = 8  # tries of one write in all


class SeedingError(Exception):
    """The target would not take the test data; the message says which request and what came back."""


@dataclass(frozen=True, slots=True)
class NotInThisRun:
    """What a check asked of the run's data that this run cannot give (no writes in a read-only run, no
    second user with data): the check turns it into its skip, with this reason."""

    reason: str


NO_WRITES = NotInThisRun("read-only run: this requirement needs writes to the target")


def retrying_write(send: Callable[[], Exchange], attempts: int = WRITE_ATTEMPTS) -> Exchange:
    """``send`` again after a 5xx or no answer (ROBUST-01 records each), ``attempts`` times in all. A send
    that never went on the wire (the budget, the breaker, a halt) is not tried again: nothing would change."""
    exchange = send()
    for _ in range(attempts - 1):
        if not exchange.attempts or exchange.status_code is not None and not is_server_error(exchange):
            break
        time.sleep(0.2)
        exchange = send()
    return exchange


class Writes:
    """The writes of one app's key (``app``: the journal's name of it) into the run's one ledger."""

    def __init__(self, api: ServiceApi, ledger: CreatedLedger, *, app: str = MAIN_APP,
                 stop: threading.Event | None = None) -> None:
        self.api = api
        self.ledger = ledger
        self.app = app
        self.stop = stop if stop is not None else threading.Event()  # set when the run ends early
        self._uncertain: dict[str, int] = {}  # user -> creates whose try may have made a conversation unsaid
        self._lock = threading.Lock()

    def retrying(self, send: Callable[[], Exchange], attempts: int = WRITE_ATTEMPTS) -> Exchange:
        """Any write but a create (message, rename), by the one retry rule (``retrying_write``)."""
        return retrying_write(send, attempts)

    def create(self, user: str, send: Callable[[], Exchange]) -> Exchange:
        """``send``, one create of a conversation for ``user`` (blocking or streaming), by the retry rule,
        each try journaled before it is sent; the conversation the answer names is in the ledger on return."""
        def attempt() -> Exchange:
            self.ledger.sending(user, self.app)
            exchange = send()
            if not exchange.attempts:
                self.ledger.not_sent(user, self.app)
            elif exchange.status_code is None or is_server_error(exchange):
                with self._lock:
                    self._uncertain[user] = self._uncertain.get(user, 0) + 1
            return exchange

        exchange = retrying_write(attempt)
        conversation_id = conversation_id_of(exchange)
        if conversation_id is not None:
            self.ledger.add(user, conversation_id, self.app)
        return exchange

    def new_conversation(self, user: str, label: str, *, where: str = "") -> str:
        """A new conversation of ``user`` whose first message names it test data (``label``); SeedingError,
        with the request and its answer, if the target would not make one (``where``: for that message)."""
        if self.stop.is_set():
            raise SeedingError("interrupted before the test data was complete")
        exchange = self.create(user, lambda: self.api.create_conversation(user, f"dify-conformance test data: {label}"))
        conversation_id = conversation_id_of(exchange)
        if conversation_id is None:
            raise SeedingError(f"could not create a conversation{where}: {exchange.describe()}: "
                               f"{exchange.excerpt(200)}")
        return conversation_id

    def uncertain(self, user: str) -> int:
        """Creates of ``user`` not yet reconciled whose try was answered 5xx or not at all."""
        with self._lock:
            return self._uncertain.get(user, 0)

    def reconcile(self, user: str, listed: Iterable[str], known: Container[str]) -> list[str]:
        """The conversations ``listed`` for ``user`` (the run's own user) that are not ``known`` and that the
        user's uncertain creates made: all of them when they are no more than those creates, else none (some
        are then not the run's, and which cannot be told: none is claimed, the cleanup's own look at the
        user's unanswered creates stays). Each goes into the ledger and settles one uncertain create."""
        unknown = list(dict.fromkeys(c for c in listed if c not in known))
        with self._lock:
            count = self._uncertain.get(user, 0)
            if not unknown or len(unknown) > count:
                return []
            self._uncertain[user] = count - len(unknown)
        for conversation_id in unknown:
            self.ledger.add(user, conversation_id, self.app)
        return unknown
