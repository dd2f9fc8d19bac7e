"""The model of the run's own conversations (pure: no HTTP, no clock).

Per user, each conversation the machine made, its whole-second ``created_at`` / ``updated_at`` as the
target itself listed them (never guessed), and whether it was deleted. From that the model predicts
what a page must hold: which conversations, in which order (any order among those sharing a
second), how many, and whether more follow, relative to a cursor.

A write makes a value unknown until the next list shows it; the machine lists right after every
write, and the write is then judged against what the model knew: a message or a rename made after
the latest second seen so far may not be dated before it, and when the machine waited for a new
second first, it must be dated strictly later (:class:`Pending`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from ..spec.contract import SortRule
from . import DefaultsBlame

__all__ = ["Conversation", "Pending", "Prediction", "LifecycleModel", "CursorState", "TIMESTAMP_FIELDS"]

TIMESTAMP_FIELDS = ("created_at", "updated_at")
CursorState = Literal["none", "live", "deleted", "foreign", "unknown"]
Action = Literal["create", "message", "rename"]


@dataclass
class Conversation:
    id: str
    user: str
    created_at: int | None = None  # None: not listed since it was written
    updated_at: int | None = None
    deleted: bool = False

    def value(self, sort_field: str) -> int | None:
        return getattr(self, sort_field) if sort_field in TIMESTAMP_FIELDS else None


@dataclass(frozen=True, slots=True)
class Pending:
    """A write whose timestamps the next list must show."""

    conversation_id: str
    action: Action
    floor: int | None  # the latest second any earlier write was listed with (None: no earlier write)
    strict: bool  # the machine waited until the server's clock had passed ``floor``


@dataclass(frozen=True)
class Prediction(DefaultsBlame):
    """What one page of ``user``'s list must be, after ``cursor`` (None: the first page)."""

    user: str
    sort_value: str  # the order in effect, e.g. "-updated_at"
    sort_explicit: bool  # False: no sort_by was sent (a wrong order then breaks SORT-02)
    limit: int  # the limit in effect
    limit_explicit: bool  # False: no limit was sent (wrong sizes then break LIMIT-03)
    cursor: str | None
    cursor_state: CursorState
    before: frozenset[str] = frozenset()  # live, strictly before the cursor: never on a page after it
    ties: frozenset[str] = frozenset()  # live, sharing the cursor's second: may or may not follow it
    after: tuple[tuple[str, ...], ...] = ()  # live, strictly after the cursor: groups of one second, in order
    uncertain: frozenset[str] = frozenset()  # live, but no value known for the sort field
    deleted: frozenset[str] = frozenset()  # this user's deleted conversations
    others: Mapping[str, str] = field(default_factory=dict)  # other users' conversations: id -> user

    @property
    def live(self) -> frozenset[str]:
        ids = self.before | self.ties | self.uncertain | {c for group in self.after for c in group}
        return ids | ({self.cursor} if self.cursor_state == "live" and self.cursor else set())

    @property
    def after_ids(self) -> tuple[str, ...]:
        return tuple(c for group in self.after for c in group)

    def describe(self) -> str:
        sort = f"sort_by={self.sort_value}" if self.sort_explicit else f"no sort_by (default {self.sort_value})"
        limit = f"limit={self.limit}" if self.limit_explicit else f"no limit (default {self.limit})"
        cursor = f", last_id={self.cursor} ({self.cursor_state})" if self.cursor else ""
        return f"user {self.user!r}, {sort}, {limit}{cursor}"


class LifecycleModel:
    def __init__(self, users: Iterable[str]) -> None:
        self.users = tuple(users)
        self.conversations: dict[str, Conversation] = {}
        self.floor: int | None = None  # the latest second any conversation was listed with

    # -- writes -----------------------------------------------------------------------------------

    def created(self, user: str, conversation_id: str, *, strict: bool) -> Pending:
        self.conversations[conversation_id] = Conversation(conversation_id, user)
        return Pending(conversation_id, "create", self.floor, strict)

    def touched(self, conversation_id: str, action: Action, *, strict: bool) -> Pending:
        """A message or a rename: ``updated_at`` is unknown until listed again."""
        self.conversations[conversation_id].updated_at = None
        return Pending(conversation_id, action, self.floor, strict)

    def deleted(self, conversation_id: str) -> None:
        self.conversations[conversation_id].deleted = True

    # -- reads ------------------------------------------------------------------------------------

    def live(self, user: str | None = None) -> list[Conversation]:
        return [c for c in self.conversations.values() if not c.deleted and (user is None or c.user == user)]

    def owner(self, conversation_id: str) -> str | None:
        found = self.conversations.get(conversation_id)
        return found.user if found else None

    def learn(self, user: str, items: Iterable[Any]) -> None:
        """Take the timestamps of ``user``'s live conversations from a list answer (integers only)."""
        for item in items:
            key = item.get("id") if isinstance(item, dict) else None
            found = self.conversations.get(key) if isinstance(key, str) else None
            if found is None or found.deleted or found.user != user:
                continue
            for name in TIMESTAMP_FIELDS:
                value = item.get(name)
                if isinstance(value, int) and not isinstance(value, bool):
                    setattr(found, name, value)
                    self.floor = value if self.floor is None else max(self.floor, value)

    def predict(self, user: str, *, sort_value: str, limit: int, cursor: str | None = None,
                sort_explicit: bool = True, limit_explicit: bool = True) -> Prediction:
        sort_field, descending = SortRule.field(sort_value), SortRule.descending(sort_value)
        live = self.live(user)
        others = {c.id: c.user for c in self.conversations.values() if c.user != user}
        deleted = frozenset(c.id for c in self.conversations.values() if c.user == user and c.deleted)
        state = self._cursor_state(user, cursor)
        base = Prediction(user=user, sort_value=sort_value, sort_explicit=sort_explicit, limit=limit,
                          limit_explicit=limit_explicit, cursor=cursor, cursor_state=state, deleted=deleted,
                          others=others)
        if state in ("deleted", "foreign", "unknown"):
            return base
        known = [c for c in live if c.value(sort_field) is not None and c.id != cursor]
        uncertain = frozenset(c.id for c in live if c.value(sort_field) is None and c.id != cursor)
        pivot = self.conversations[cursor].value(sort_field) if cursor else None
        if cursor and pivot is None:  # the cursor's own place is unknown: nothing can be placed
            return replace(base, uncertain=uncertain | {c.id for c in known})

        def later(value: int) -> bool:
            return pivot is None or (value < pivot if descending else value > pivot)

        values = sorted({v for c in known if (v := c.value(sort_field)) is not None and later(v)}, reverse=descending)
        after = tuple(tuple(sorted(c.id for c in known if c.value(sort_field) == v)) for v in values)
        ties = frozenset(c.id for c in known if pivot is not None and c.value(sort_field) == pivot)
        before = frozenset(c.id for c in known) - ties - {c for group in after for c in group}
        return replace(base, before=before, ties=ties, after=after, uncertain=uncertain)

    def _cursor_state(self, user: str, cursor: str | None) -> CursorState:
        if cursor is None:
            return "none"
        found = self.conversations.get(cursor)
        if found is None:
            return "unknown"
        if found.user != user:
            return "foreign"
        return "deleted" if found.deleted else "live"
