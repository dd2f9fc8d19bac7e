"""Making the run's data through the documented Service API: the seeding of the main user, the twin
and the special users (the test-data protocol of CONTRACT.md), and APP-01's conversations in each app.
Every write goes through writes.py: one retry rule, every create journaled before it is sent.
"""

from __future__ import annotations

import functools
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ..config.profiles import SeedPlan
from ..http.api import ServiceApi
from .clock import ROUNDING_AHEAD_S
from .dataset import Update
from .ledger import CreatedLedger
from .seeded import SeededDataset
from .users import TestUsers
from .writes import SeedingError, Writes, retrying_write

__all__ = ["Seeder", "AppSeeder"]

_SECOND_MARGIN_S = 0.05  # past a second's boundary: creations and updates may be dated by clocks ms apart


class Seeder:
    """Makes the data of one run through the documented Service API."""

    def __init__(self, api: ServiceApi, users: TestUsers, plan: SeedPlan, ledger: CreatedLedger,
                 *, page_limit: int | None = None, concurrency: int = 4) -> None:
        self.api = api
        self.users = users
        self.plan = plan
        self.ledger = ledger
        self.page_limit = page_limit
        self.concurrency = concurrency
        self.waited_s = 0.0  # time spent waiting for the next second
        self._first_burst_answered: float | None = None
        # The run's writes through this key (DATA-01's and SCHEMA-03's own creates go through them too).
        self.writes = Writes(api, ledger)
        self.stop = self.writes.stop  # set when the run ends early (interrupt): seeding stops at its next step

    def create(self, user: str, label: str) -> str:
        return self.writes.new_conversation(user, label)

    def run(self) -> SeededDataset:
        plan, users = self.plan, self.users
        created_from = time.time()
        main_ids: list[str] = []
        twin_ids: list[str] = []
        doomed: dict[str, str] = {}  # role -> conversation, deleted again below
        sizes = _split(plan.main_count, plan.bursts)
        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            for burst, size in enumerate(sizes):
                if burst:
                    self._next_second()
                if plan.lifecycle and burst == 0:
                    doomed["first created"] = self.create(users.main, f"{users.main} to delete: first created")
                labels = [f"{users.main} #{len(main_ids) + i + 1}" for i in range(size)]
                # One burst fires at once so that several conversations share a second.
                main_ids += list(pool.map(lambda label: self.create(users.main, label), labels))
                if burst == 0:
                    self._first_burst_answered = time.time()  # the updates' targets are of this burst
                if plan.lifecycle and burst == len(sizes) // 2:
                    doomed["middle"] = self.create(users.main, f"{users.main} to delete: middle")
                    doomed["updated last"] = self.create(users.main, f"{users.main} to delete: updated last")
                if burst < plan.twin_count:
                    twin_ids.append(self.create(users.twin, f"{users.twin} #{burst + 1}"))
            for extra in range(len(sizes), plan.twin_count):
                twin_ids.append(self.create(users.twin, f"{users.twin} #{extra + 1}"))
            owned = {user: tuple(pool.map(lambda n, u=user: self.create(u, f"{u} #{n + 1}"), range(plan.owned)))
                     for user in users.owners}
        created_until = time.time()
        updates = self._update(main_ids) if plan.messages + plan.renames else []
        if plan.lifecycle:
            self._lifecycle(doomed)
        listed = self._listed(users.main, len(main_ids))
        known = {*main_ids, *twin_ids, *doomed.values()}
        # A create that failed with a 5xx made its conversation after all: the user is ours alone.
        main_ids += self.writes.reconcile(users.main, listed, known)
        dataset = SeededDataset(users, tuple(main_ids), tuple(twin_ids), created_from, created_until, tuple(updates),
                          deleted_ids=tuple(doomed.values()), owned_ids=owned,
                          items={c: listed[c] for c in main_ids if c in listed})
        dataset.notes.extend(_describe_spread({c: i for c, i in listed.items() if c in main_ids}, made=len(main_ids)))
        if doomed:
            dataset.notes.append(f"{len(doomed)} conversations of the main user made and deleted again "
                                 f"({', '.join(doomed)})")
        return dataset

    def _lifecycle(self, doomed: dict[str, str]) -> None:
        """In the updates' second: the last created one is made, one more is renamed last, then all the
        doomed ones are deleted, so deleted rows sit at both ends and in the middle of every order."""
        user = self.users.main
        doomed["last created"] = self.create(user, f"{user} to delete: last created")
        renamed = retrying_write(lambda: self.api.rename(user, doomed["updated last"], "dify-conformance renamed last"))
        if renamed.status_code is None or not 200 <= renamed.status_code < 300:
            raise SeedingError(f"could not rename a conversation: {renamed.describe()}: {renamed.excerpt(200)}")
        for conversation_id in doomed.values():
            # A 404 after a 5xx: that earlier try deleted it. A 404 to the first try is a conversation the
            # target lost track of: it stays in the ledger, and the cleanup reports it (leftovers.py).
            outcome = self.ledger.delete(self.api, user, conversation_id)
            if not outcome.deleted and not outcome.final:
                raise SeedingError(f"could not delete conversation {conversation_id}: {outcome.reason}")

    def _listed(self, user: str, expected: int) -> dict[str, dict[str, Any]]:
        """The user's conversations as the target lists them now (best effort, bounded)."""
        found: dict[str, dict[str, Any]] = {}
        last_id: str | None = None
        for _ in range(expected + 3):
            exchange = self.api.list(user=user, last_id=last_id, limit=self.page_limit, kind="seed-read")
            body = exchange.json_or_none() if exchange.status_code == 200 else None
            items = body.get("data") if isinstance(body, dict) else None
            if not isinstance(items, list) or not items or not all(isinstance(i, dict) for i in items):
                break
            fresh = [i for i in items if isinstance(i.get("id"), str) and i["id"] not in found]
            if not fresh:
                break
            found.update((i["id"], i) for i in fresh)
            last_id = items[-1].get("id")
            if not isinstance(last_id, str):
                break
        return found

    def _update(self, main_ids: list[str]) -> list[Update]:
        """In a later second than their creation, a new message to the oldest conversations and a new name
        for the next ones, after the last burst: in a later second of the target's clock under every
        reading of its dates (truncated, or rounded up to half a second ahead: see lifecycle/clock.py),
        so at least a second and a half after the first burst's answers, whatever the clocks' offset."""
        before = self._updated_at_of(main_ids)
        if self._first_burst_answered is not None:
            self._sleep_until(self._first_burst_answered + 1.0 + ROUNDING_AHEAD_S + _SECOND_MARGIN_S)
        else:
            self._next_second()
        updates: list[Update] = []
        targets = main_ids[: self.plan.messages + self.plan.renames]
        for index, conversation_id in enumerate(targets):
            if index < self.plan.messages:
                exchange = retrying_write(functools.partial(self.api.send_message, self.users.main, conversation_id,
                                                       "dify-conformance: a later message"))
                action = "message"
            else:
                exchange = retrying_write(functools.partial(self.api.rename, self.users.main, conversation_id,
                                                       "dify-conformance renamed"))
                action = "rename"
            if exchange.status_code is None or not 200 <= exchange.status_code < 300:
                raise SeedingError(f"could not update a conversation ({action}): {exchange.describe()}: "
                                   f"{exchange.excerpt(200)}")
            updates.append(Update(conversation_id, action, before.get(conversation_id), exchange))
        return updates

    def _updated_at_of(self, ids: list[str]) -> dict[str, Any]:
        """updated_at of these conversations as listed now (best effort: a broken list is judged elsewhere)."""
        listed = self._listed(self.users.main, len(ids))
        return {c: listed[c].get("updated_at") for c in ids if c in listed}

    def _sleep_until(self, moment: float) -> None:
        wait = moment - time.time()
        if wait <= 0:
            return
        self.waited_s += wait
        if self.stop.wait(wait):
            raise SeedingError("interrupted before the test data was complete")

    def _next_second(self) -> None:
        """Sleep into the next whole second (plus a margin for clock skew), so timestamps differ."""
        now = time.time()
        wait = (int(now) + 1 - now) + _SECOND_MARGIN_S
        self.waited_s += wait
        if self.stop.wait(wait):
            raise SeedingError("interrupted before the test data was complete")


def _describe_spread(listed: dict[str, dict[str, Any]], *, made: int) -> list[str]:
    """What the data lets the checks observe: distinct seconds, ties, and orders that differ. ``made``
    comes from the run's own record: a listing through the target's cursor may skip ties."""
    created = [i.get("created_at") for i in listed.values()]
    values = [v for v in created if isinstance(v, int)]
    if not values:
        return [f"{made} conversations of the main user made; created_at could not be read from the list: "
                "order checks rely on the target's own values"]
    groups: dict[int, int] = {}
    for value in values:
        groups[value] = groups.get(value, 0) + 1
    by_created = sorted(listed, key=lambda c: (listed[c].get("created_at") or 0, c))
    by_updated = sorted(listed, key=lambda c: (listed[c].get("updated_at") or 0, c))
    return [
        f"{made} conversations of the main user made ({len(values)} of them listed after seeding) over "
        f"{len(groups)} distinct created_at seconds; "
        f"largest group sharing one second: {max(groups.values())}",
        "updated_at order differs from created_at order" if by_created != by_updated
        else "updated_at order equals created_at order: the updates did not reorder anything",
    ]


def _split(total: int, parts: int) -> list[int]:
    parts = max(1, min(parts, total)) if total else 1
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


class AppSeeder:
    """APP-01's data: conversations of one user made through one app's key, and removed again.

    One per app (this app, the other app of ``--other-api-key``), each with that app's ServiceApi, in the
    run's one ledger under that app's journal name, so that a conversation is always deleted through the
    key that made it (also by ``dify-conformance cleanup`` after a killed run).
    """

    def __init__(self, api: ServiceApi, ledger: CreatedLedger, app: str, journal_app: str) -> None:
        self.api = api
        self.ledger = ledger
        self.app = app  # "this app" or "the other app": for messages
        self.journal_app = journal_app  # journal.MAIN_APP or journal.OTHER_APP
        self.writes = Writes(api, ledger, app=journal_app)

    def make(self, user: str, count: int) -> tuple[str, ...]:
        """``count`` new conversations of ``user``; SeedingError (with the request) if the target refuses one."""
        return tuple(self.writes.new_conversation(user, f"{user} in {self.app} #{number + 1}", where=f" in {self.app}")
                     for number in range(count))

    def remove(self, user: str, conversation_ids: tuple[str, ...]) -> None:
        """Delete them now; what is not deleted stays in the ledger for the run's final cleanup."""
        for conversation_id in conversation_ids:
            self.ledger.delete(self.api, user, conversation_id, self.journal_app)
