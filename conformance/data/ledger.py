"""What the run made, by app and user: ``CreatedLedger``, the owner of the run's journal (journal.py).

Every create of the run goes through it (the seeder, the lifecycle machine, DATA-01's own create),
so the run-end cleanup deletes exactly what the run made, and a killed run's journal says the same.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor

from ..http.api import ServiceApi
from .journal import MAIN_APP, Journal
from .leftovers import DeleteOutcome, Leftovers, delete_confirmed, delete_unknown

__all__ = ["CreatedLedger"]


class CreatedLedger:
    """Every conversation the run made, by app and user, so cleanup deletes exactly those; with a journal
    (journal.py), each create is written down before it is sent and when its answer comes, and each
    confirmed delete after it, so a killed run's data can still be found and deleted."""

    def __init__(self, journal: Journal | None = None) -> None:
        self._lock = threading.Lock()
        self._by_user: dict[tuple[str, str], list[str]] = {}
        self._sent: dict[tuple[str, str], int] = {}  # creates sent (each attempt), by (app, user)
        self._answered: dict[tuple[str, str], int] = {}  # creates whose answer named their conversation
        self._known: set[str] = set()  # every conversation ever recorded, deleted ones too
        self.journal = journal
        self.made = 0  # conversations this run made (notes.data counts these, not a listing)

    def attach(self, journal: Journal) -> None:
        self.journal = journal

    def sending(self, user: str, app: str = MAIN_APP) -> None:
        """A create is about to be sent for ``user``: journaled first, so a kill mid-request still leaves
        the user to look at."""
        with self._lock:
            self._sent[(app, user)] = self._sent.get((app, user), 0) + 1
        if self.journal is not None:
            self.journal.create(user, app)

    def not_sent(self, user: str, app: str = MAIN_APP) -> None:
        """The create announced with ``sending`` never went on the wire (budget, breaker, halt): it made
        nothing, so it is no unanswered create (the journal's line stays: a later cleanup looks at the user)."""
        with self._lock:
            if self._sent.get((app, user), 0) > 0:
                self._sent[(app, user)] -= 1

    def add(self, user: str, conversation_id: str, app: str = MAIN_APP) -> None:
        with self._lock:
            ids = self._by_user.setdefault((app, user), [])
            if conversation_id in ids or conversation_id in self._known:
                return
            ids.append(conversation_id)
            self._known.add(conversation_id)
            self._answered[(app, user)] = self._answered.get((app, user), 0) + 1
            self.made += 1
        if self.journal is not None:
            self.journal.created(user, conversation_id, app)

    def forget(self, user: str, conversation_id: str, app: str = MAIN_APP) -> None:
        """The conversation was deleted (the target confirmed it)."""
        with self._lock:
            ids = self._by_user.get((app, user), [])
            if conversation_id not in ids:
                return
            ids.remove(conversation_id)
        if self.journal is not None:
            self.journal.deleted(user, conversation_id, app)

    def items(self) -> list[tuple[str, str]]:
        """(user, conversation) of every live conversation the run made, of every app."""
        return [(user, cid) for _, user, cid in self.entries()]

    def entries(self) -> list[tuple[str, str, str]]:
        with self._lock:
            return [(app, user, cid) for (app, user), ids in self._by_user.items() for cid in ids]

    def users(self, app: str = MAIN_APP) -> list[str]:
        """Every user of ``app`` the run sent a create for."""
        with self._lock:
            return [user for (a, user) in self._sent if a == app]

    def unanswered(self) -> dict[tuple[str, str], int]:
        """Creates sent whose answer named no conversation, by (app, user): each may have made one."""
        with self._lock:
            return {key: sent - self._answered.get(key, 0) for key, sent in self._sent.items()
                    if sent > self._answered.get(key, 0)}

    def delete(self, api: ServiceApi, user: str, conversation_id: str, app: str = MAIN_APP) -> DeleteOutcome:
        """Delete one recorded conversation; forgotten only when the target confirmed it (leftovers.py)."""
        outcome = delete_confirmed(lambda: api.delete(user, conversation_id))
        if outcome.deleted:
            self.forget(user, conversation_id, app)
        return outcome

    def cleanup(self, api: ServiceApi | Mapping[str, ServiceApi], *, concurrency: int = 4,
                page_limit: int | None = None) -> Leftovers:
        """Delete everything recorded, as many at a time as the seeding made them (each app with its own
        ``ServiceApi``), then what the creates that got no answer made after all; ``failures`` has one
        line per conversation that could not be deleted, in the order they were made."""
        apis = {MAIN_APP: api} if isinstance(api, ServiceApi) else dict(api)
        left = Leftovers()

        def delete(app: str, user: str, conversation_id: str) -> tuple[str, DeleteOutcome]:
            target = apis.get(app)
            if target is None:
                return conversation_id, DeleteOutcome(False, f"no API key for app {app!r}")
            return conversation_id, self.delete(target, user, conversation_id, app)

        entries = self.entries()
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            outcomes = list(pool.map(lambda entry: delete(*entry), entries))
        for (_, user, _), (conversation_id, outcome) in zip(entries, outcomes, strict=True):
            if outcome.deleted:
                left.deleted += 1
            else:
                left.fail(f"conversation {conversation_id} of user {user}: {outcome.reason}", final=outcome.final)
        for (app, user), count in self.unanswered().items():
            target = apis.get(app)
            if target is None:
                left.fail(f"{count} unanswered create(s) of user {user}: no API key for app {app!r}", final=False)
                continue
            with self._lock:
                known = set(self._known)
            left.deleted += delete_unknown(target, user, count, known, left, page_limit=page_limit)
        return left
