"""The test-data protocol of CONTRACT.md: run-unique users, conversations over distinct seconds with
ties inside one second, updates that make the ``updated_at`` order differ from the ``created_at``
order, and a cleanup that deletes exactly what the run made and says what it could not delete.
"""

from __future__ import annotations

import functools
import threading
import time
import unicodedata
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from ..config.profiles import SeedPlan
from ..http.api import ServiceApi
from ..model.exchange import Exchange
from ..oracles.page import is_server_error
from .clock import ROUNDING_AHEAD_S
from .ledger import CreatedLedger

__all__ = ["TestUsers", "Dataset", "Seeder", "SeedingError", "Update", "CreatedLedger",
           "MISSING_AFTER_CREATE", "AppSeeder"]

# What a target may have done with a conversation it created and does not list for its user: the
# evidence says so, since the cleanup cannot delete such a row either (its DELETE answers 404).
MISSING_AFTER_CREATE = (
    "the target may have filed it under another record of this user: a user seen for the first time, "
    "and created concurrently by two requests, is split in two by a target that creates users on first "
    "sight without a unique key (Dify does: two end_users rows, one of them never listed), or it lost the row")

# A 5xx or a dropped connection on a write is retried (ROBUST-01 still records it), so that a target
# failing at random still gets its test data and is judged, not declared unusable.
_WRITE_ATTEMPTS = 8


class SeedingError(Exception):
    """The target would not take the test data; the message says which request and what came back."""


@dataclass(frozen=True, slots=True)
class TestUsers:
    """Users unique to one run (and xdist worker), named to tempt a sloppy implementation.

    ``twin`` differs from ``main`` only in letter case; ``probes`` are near-identical ids that hold
    no data and must never see any: LIKE wildcards, a prefix, an extension, other case, full-width
    and accented letters, leading and trailing space and tab (of every user that owns data), and the
    near misses of the two special users. ``non_ascii`` (accents, CJK,
    an emoji) and ``special`` (space, ``+``, ``%``, ``/``, quotes) own conversations too: ids that a
    wrong charset or a second URL decoding turns into someone else.
    """

    __test__ = False  # not a pytest test class

    main: str
    twin: str
    scratch: str
    probes: tuple[str, ...]
    non_ascii: str = ""
    special: str = ""
    app: str = ""  # APP-01's user: conversations of the same id through both apps' keys (write mode)

    @classmethod
    def for_run(cls, run_id: str, worker: str = "") -> TestUsers:
        stem = f"dify-conformance-{run_id}{'-' + worker if worker else ''}"
        main = f"{stem}-alice"
        non_ascii = f"{stem}-zoë-山田-🦊"
        special = f"{stem}-d a+n%2Fy/'q\""
        return cls(
            main=main,
            twin=f"{stem}-ALICE",
            scratch=f"{stem}-carol",
            probes=(
                f"{stem}-alic_",
                f"{stem}-al%",
                f"{stem}-alic",
                f"{main}x",
                f"{stem}-Alice",
                f"{stem}-ａｌｉｃｅ",
                f"{stem}-alicé",
                *whitespace_twins(main),
                *near_misses(non_ascii, special),
                *(twin for owner in (non_ascii, special) for twin in whitespace_twins(owner)),
            ),
            non_ascii=non_ascii,
            special=special,
            app=f"{stem}-erin",
        )

    @property
    def owners(self) -> tuple[str, ...]:
        """The special users that own conversations (none in read-only mode)."""
        return tuple(u for u in (self.non_ascii, self.special) if u)

    @classmethod
    def read_only(cls, user: str) -> TestUsers:
        """Probes around an existing user's id; no twin or scratch user is made."""
        variants = (user[:-1] + "_" if user else "_", user + "%", user[:-1], user + "x", user.swapcase(), user + "é",
                    *whitespace_twins(user))
        return cls(main=user, twin="", scratch="", probes=tuple(v for v in dict.fromkeys(variants) if v != user))


def whitespace_twins(user: str) -> tuple[str, ...]:
    """The user with a leading and a trailing space and tab: one user to a target that strips ``user`` or
    compares it as MySQL's PAD SPACE collations do (``'a' = 'a '``), another to Dify."""
    return (f" {user}", f"{user} ", f"\t{user}", f"{user}\t")


def near_misses(non_ascii: str, special: str) -> tuple[str, ...]:
    """What a sloppy target may take the special users for: the ASCII-folded and the decomposed (NFD)
    forms and the latin-1 misreading of the non-ASCII one; the special one percent- and form-decoded."""
    folded = "".join(c for c in unicodedata.normalize("NFKD", non_ascii) if not unicodedata.combining(c))
    variants = (folded, unicodedata.normalize("NFD", non_ascii), non_ascii.encode("utf-8").decode("latin-1"),
                special.replace("%2F", "/"), special.replace("+", " "))
    return tuple(v for v in dict.fromkeys(variants) if v not in (non_ascii, special))


@dataclass(frozen=True, slots=True)
class Update:
    conversation_id: str
    action: str  # "message" or "rename"
    updated_at_before: Any
    exchange: Exchange


@dataclass
class Dataset:
    users: TestUsers
    main_ids: tuple[str, ...]
    twin_ids: tuple[str, ...]
    created_from: float  # client clock around the creations, for SCHEMA-03
    created_until: float
    updates: tuple[Update, ...] = ()
    owner_known: bool = True  # False in read-only mode: the ids come from what the target listed
    notes: list[str] = field(default_factory=list)
    deleted_ids: tuple[str, ...] = ()  # the main user's conversations the seeder deleted again
    owned_ids: dict[str, tuple[str, ...]] = field(default_factory=dict)  # special user -> conversations
    items: dict[str, dict[str, Any]] = field(default_factory=dict)  # main's items as listed after seeding

    @property
    def total(self) -> int:
        return len(self.main_ids)


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
        self._uncertain = 0  # creates retried after a 5xx or no answer: the first try may have made one
        self._lock = threading.Lock()
        self.stop = threading.Event()  # set when the run ends early (interrupt): seeding stops at its next step

    def create(self, user: str, label: str) -> str:
        if self.stop.is_set():
            raise SeedingError("interrupted before the test data was complete")

        def attempt() -> Exchange:
            self.ledger.sending(user)
            exchange = self.api.create_conversation(user, f"dify-conformance test data: {label}")
            if not exchange.attempts:
                self.ledger.not_sent(user)
            elif exchange.status_code is None or is_server_error(exchange):
                with self._lock:
                    self._uncertain += 1
            return exchange

        exchange = _retrying(attempt)
        body = exchange.json_or_none() if exchange.status_code == 200 else None
        conversation_id = body.get("conversation_id") if isinstance(body, dict) else None
        if not isinstance(conversation_id, str) or not conversation_id:
            raise SeedingError(f"could not create a conversation: {exchange.describe()}: {exchange.excerpt(200)}")
        self.ledger.add(user, conversation_id)
        return conversation_id

    def run(self) -> Dataset:
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
        unknown = [c for c in listed if c not in known]
        if unknown and len(unknown) <= self._uncertain:
            # A create that failed with a 5xx made its conversation after all: the user is ours alone.
            for conversation_id in unknown:
                self.ledger.add(users.main, conversation_id)
            main_ids += unknown
        dataset = Dataset(users, tuple(main_ids), tuple(twin_ids), created_from, created_until, tuple(updates),
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
        renamed = _retrying(lambda: self.api.rename(user, doomed["updated last"], "dify-conformance renamed last"))
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
                exchange = _retrying(functools.partial(self.api.send_message, self.users.main, conversation_id,
                                                       "dify-conformance: a later message"))
                action = "message"
            else:
                exchange = _retrying(functools.partial(self.api.rename, self.users.main, conversation_id,
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


def retrying_write(send: Callable[[], Exchange], attempts: int = _WRITE_ATTEMPTS) -> Exchange:
    """``send`` again after a 5xx or no answer (ROBUST-01 records each), ``attempts`` times in all; the one
    retry rule of the seeding, the lifecycle machine and the cleanup. A send that never went on the wire
    (the budget, the breaker, a halt) is not tried again: nothing would change."""
    exchange = send()
    for _ in range(attempts - 1):
        if not exchange.attempts or exchange.status_code is not None and not is_server_error(exchange):
            break
        time.sleep(0.2)
        exchange = send()
    return exchange


_retrying = retrying_write


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

    def make(self, user: str, count: int) -> tuple[str, ...]:
        """``count`` new conversations of ``user``; SeedingError (with the request) if the target refuses one."""
        made: list[str] = []
        for number in range(count):
            def create(n: int = number) -> Exchange:
                self.ledger.sending(user, self.journal_app)  # journaled before it is sent
                sent = self.api.create_conversation(user, f"dify-conformance test data: {user} in {self.app} #{n + 1}")
                if not sent.attempts:
                    self.ledger.not_sent(user, self.journal_app)
                return sent

            exchange = _retrying(create)
            body = exchange.json_or_none() if exchange.status_code == 200 else None
            conversation_id = body.get("conversation_id") if isinstance(body, dict) else None
            if not isinstance(conversation_id, str) or not conversation_id:
                raise SeedingError(f"could not create a conversation in {self.app}: {exchange.describe()}: "
                                   f"{exchange.excerpt(200)}")
            self.ledger.add(user, conversation_id, self.journal_app)
            made.append(conversation_id)
        return tuple(made)

    def remove(self, user: str, conversation_ids: tuple[str, ...]) -> None:
        """Delete them now; what is not deleted stays in the ledger for the run's final cleanup."""
        for conversation_id in conversation_ids:
            self.ledger.delete(self.api, user, conversation_id, self.journal_app)
