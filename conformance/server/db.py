"""Schema and queries of the reference server: SQLAlchemy 2 Core, the same code for every database.

SQLite (the default, in memory or in a file) gets one lock around every database call, since
SQLite allows one writer at a time and the in-memory database is a single shared connection;
other databases (PostgreSQL) rely on their transactions.

Users are stored as *owner keys*: ``"u:" + the user string`` (NUL escaped) for real users and a key
without that prefix for the default end user, so the default user can never equal any user string.
Owner keys are compared with ``=`` (binary in SQLite and PostgreSQL), never normalised.
"""

from __future__ import annotations

import contextlib
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from enum import Enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import StaticPool

Dated = Callable[[int], int]  # a conversation's created_at -> the second an update to it is dated with

__all__ = [
    "Database", "ConversationRow", "Owner", "UserMatch", "CursorMode", "PageQuery",
    "DEFAULT_OWNER_KEY", "owner_key", "MAX_OWNER_KEY_BYTES", "conversation_name",
]

DEFAULT_OWNER_KEY = "default-end-user"  # no "u:" prefix: never the key of a real user string
MAX_OWNER_KEY_BYTES = 1024  # keeps an index entry well under PostgreSQL's btree limit (~2.7 kB)

metadata = sa.MetaData()

conversations = sa.Table(
    "conversations",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("app_id", sa.String(64), nullable=False),
    sa.Column("owner", sa.String, nullable=False),
    sa.Column("name", sa.String, nullable=False),
    sa.Column("inputs", sa.JSON, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("introduction", sa.String, nullable=False),
    sa.Column("created_at", sa.BigInteger, nullable=False),  # Unix seconds, as Dify serves them
    sa.Column("updated_at", sa.BigInteger, nullable=False),
    sa.Column("is_deleted", sa.Boolean, nullable=False),
    # One index per sort field, in keyset order: equality prefix, then (field, id).
    sa.Index("ix_conversations_created", "app_id", "owner", "is_deleted", "created_at", "id"),
    sa.Index("ix_conversations_updated", "app_id", "owner", "is_deleted", "updated_at", "id"),
)

messages = sa.Table(
    "messages",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("conversation_id", sa.String(36), sa.ForeignKey("conversations.id"), nullable=False),
    sa.Column("query", sa.String, nullable=False),
    sa.Column("answer", sa.String, nullable=False),
    sa.Column("created_at", sa.BigInteger, nullable=False),
    sa.Index("ix_messages_conversation", "conversation_id", "created_at"),
)


def owner_key(user: str) -> str:
    """The stored key of a user string: one-to-one, and storable in any database.

    NUL is written as a backslash and a zero (PostgreSQL text cannot hold NUL); backslashes are
    doubled so that no two user strings share a key.
    """
    return "u:" + user.replace("\\", "\\\\").replace("\x00", "\\0")


class UserMatch(Enum):
    """How a list or cursor lookup matches the owner (only EXACT conforms; the rest serve faults)."""

    EXACT = "exact"
    CASE_INSENSITIVE = "case-insensitive"
    LIKE = "like"
    ANY = "any"


@dataclass(frozen=True, slots=True)
class Owner:
    key: str
    match: UserMatch = UserMatch.EXACT


class CursorMode(Enum):
    """Where a page after a cursor starts (only KEYSET conforms)."""

    KEYSET = "keyset"  # strictly after (field, id)
    INCLUSIVE = "inclusive"  # at (field, id): the cursor itself comes again
    FIELD_ONLY = "field-only"  # strictly after field: ties with the cursor are lost


@dataclass(frozen=True, slots=True)
class ConversationRow:
    id: str
    owner: str
    name: str
    inputs: dict[str, Any]
    status: str
    introduction: str
    created_at: int
    updated_at: int

    def sort_value(self, field: str) -> int:
        return self.created_at if field == "created_at" else self.updated_at


@dataclass(frozen=True, slots=True)
class PageQuery:
    app_id: str | None  # None: every app's (only the apps-not-isolated fault asks so)
    owner: Owner
    field: str  # "created_at" or "updated_at"
    descending: bool
    fetch: int  # rows to fetch: the page size plus one, to know whether more follow
    after: ConversationRow | None = None
    cursor_mode: CursorMode = CursorMode.KEYSET
    skip: int = 0
    include_deleted: bool = False


def _engine(url: str) -> Engine:
    parsed = sa.make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return sa.create_engine(parsed, pool_pre_ping=True)
    if parsed.database in (None, "", ":memory:"):
        # One connection shared by every thread: each new connection would be a new, empty database.
        return sa.create_engine(parsed, poolclass=StaticPool, connect_args={"check_same_thread": False})
    engine = sa.create_engine(parsed, connect_args={"check_same_thread": False})

    @sa.event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()

    return engine


def _row(mapping: Any) -> ConversationRow:
    return ConversationRow(
        id=mapping["id"], owner=mapping["owner"], name=mapping["name"], inputs=dict(mapping["inputs"] or {}),
        status=mapping["status"], introduction=mapping["introduction"],
        created_at=int(mapping["created_at"]), updated_at=int(mapping["updated_at"]),
    )


class Database:
    def __init__(self, url: str) -> None:
        self.engine = _engine(url)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self._lock: contextlib.AbstractContextManager[Any] = (
            threading.Lock() if self.is_sqlite else contextlib.nullcontext()
        )
        metadata.create_all(self.engine)

    def accepts_text(self, text: str) -> bool:
        """Whether a string can be stored and compared: PostgreSQL refuses NUL characters in text."""
        return self.is_sqlite or "\x00" not in text

    def close(self) -> None:
        self.engine.dispose()

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[Connection]:
        with self._lock, self.engine.begin() as connection:
            yield connection

    # -- writes ---------------------------------------------------------------------------------

    def create_conversation(self, app_id: str, owner: str, name: str, inputs: dict[str, Any], query: str,
                            answer: str, now: int) -> tuple[ConversationRow, str]:
        """A new conversation with its first message; the row and the message id."""
        conversation_id, message_id = str(uuid.uuid4()), str(uuid.uuid4())
        values = {"id": conversation_id, "app_id": app_id, "owner": owner, "name": name, "inputs": inputs,
                  "status": "normal", "introduction": "", "created_at": now, "updated_at": now,
                  "is_deleted": False}
        with self._transaction() as connection:
            connection.execute(conversations.insert().values(values))
            connection.execute(messages.insert().values(id=message_id, conversation_id=conversation_id,
                                                        query=query, answer=answer, created_at=now))
        return _row(values), message_id

    def add_message(self, app_id: str, owner: str, conversation_id: str, query: str, answer: str, now: int,
                    *, touch: bool = True, dated: Dated | None = None) -> tuple[ConversationRow, str] | None:
        """A message in the owner's live conversation (None if there is none); touch advances updated_at.

        ``dated``: the write's second from the conversation's created_at (server/dating.py), else ``now``."""
        message_id = str(uuid.uuid4())
        with self._transaction() as connection:
            row = self._live(connection, app_id, owner, conversation_id)
            if row is None:
                return None
            now = dated(row.created_at) if dated is not None else now
            connection.execute(messages.insert().values(id=message_id, conversation_id=conversation_id,
                                                        query=query, answer=answer, created_at=now))
            if touch:
                row = self._touch(connection, row, now)
        return row, message_id

    def rename(self, app_id: str, owner: str, conversation_id: str, name: str | None, now: int,
               *, touch: bool = True, dated: Dated | None = None) -> ConversationRow | None:
        """Rename the owner's live conversation; name None derives it from the first message."""
        with self._transaction() as connection:
            row = self._live(connection, app_id, owner, conversation_id)
            if row is None:
                return None
            now = dated(row.created_at) if dated is not None else now
            if name is None:
                first = connection.execute(
                    sa.select(messages.c.query).where(messages.c.conversation_id == conversation_id)
                    .order_by(messages.c.created_at, messages.c.id).limit(1)).scalar()
                name = conversation_name(first or "")
            values: dict[str, Any] = {"name": name}
            if touch:
                values["updated_at"] = now
            connection.execute(conversations.update().where(conversations.c.id == conversation_id).values(values))
            return replace(row, **values)

    def delete(self, app_id: str, owner: str, conversation_id: str) -> bool:
        """Soft-delete the owner's live conversation; False if there is none."""
        with self._transaction() as connection:
            result = connection.execute(
                conversations.update()
                .where(conversations.c.id == conversation_id, conversations.c.app_id == app_id,
                       conversations.c.owner == owner, conversations.c.is_deleted == sa.false())
                .values(is_deleted=True))
            return bool(result.rowcount)

    # -- reads ----------------------------------------------------------------------------------

    def first_query(self, conversation_id: str) -> str | None:
        """The query of a conversation's first message (None if it has none). Under the write lock: the
        delete-404-kept fault asks it inside DELETE, while other deletes write (SQLite's one connection)."""
        with self._lock, self.engine.connect() as connection:
            found = connection.execute(
                sa.select(messages.c.query).where(messages.c.conversation_id == conversation_id)
                .order_by(messages.c.created_at, messages.c.id).limit(1)).scalar()
        return None if found is None else str(found)

    def find(self, app_id: str | None, owner: Owner, conversation_id: str, *,
             include_deleted: bool = False) -> ConversationRow | None:
        """The conversation named by a cursor, if the owner matches."""
        where = [*_app_clause(app_id), conversations.c.id == conversation_id, _owner_clause(owner)]
        if not include_deleted:
            where.append(conversations.c.is_deleted == sa.false())
        with self._transaction() as connection:
            found = connection.execute(sa.select(conversations).where(*where)).mappings().first()
        return None if found is None else _row(found)

    def page(self, query: PageQuery) -> list[ConversationRow]:
        """Up to ``query.fetch`` conversations in (field, id) order, after the cursor if any."""
        field, key = conversations.c[query.field], conversations.c.id
        where = [*_app_clause(query.app_id), _owner_clause(query.owner)]
        if not query.include_deleted:
            where.append(conversations.c.is_deleted == sa.false())
        if query.after is not None:
            where.append(_after_clause(field, key, query.after, query.field, query.descending, query.cursor_mode))
        order = (field.desc(), key.desc()) if query.descending else (field.asc(), key.asc())
        statement = sa.select(conversations).where(*where).order_by(*order).limit(query.fetch)
        if query.skip:
            statement = statement.offset(query.skip)
        with self._transaction() as connection:
            return [_row(found) for found in connection.execute(statement).mappings()]

    @staticmethod
    def _live(connection: Connection, app_id: str, owner: str, conversation_id: str) -> ConversationRow | None:
        found = connection.execute(
            sa.select(conversations).where(
                conversations.c.id == conversation_id, conversations.c.app_id == app_id,
                conversations.c.owner == owner, conversations.c.is_deleted == sa.false())
        ).mappings().first()
        return None if found is None else _row(found)

    @staticmethod
    def _touch(connection: Connection, row: ConversationRow, now: int) -> ConversationRow:
        connection.execute(conversations.update().where(conversations.c.id == row.id).values(updated_at=now))
        return replace(row, updated_at=now)


def conversation_name(query: str) -> str:
    """The name a conversation gets from its first query (Dify asks a model; the first 30 characters do)."""
    name = " ".join(query.split())[:30]
    return name or "New conversation"


def _app_clause(app_id: str | None) -> list[sa.ColumnElement[bool]]:
    """The rows of one app; None (a fault) every app's."""
    return [] if app_id is None else [conversations.c.app_id == app_id]


def _owner_clause(owner: Owner) -> sa.ColumnElement[bool]:
    column = conversations.c.owner
    if owner.match is UserMatch.EXACT:
        return column == owner.key
    if owner.match is UserMatch.CASE_INSENSITIVE:
        return sa.func.lower(column) == sa.func.lower(owner.key)
    if owner.match is UserMatch.LIKE:
        return column.like(owner.key)
    return sa.true()


def _after_clause(field: sa.ColumnElement[Any], key: sa.ColumnElement[Any], cursor: ConversationRow,
                  field_name: str, descending: bool, mode: CursorMode) -> sa.ColumnElement[bool]:
    """Keyset condition on the (field, id) pair; ids break ties in the same direction as the field."""
    value = cursor.sort_value(field_name)
    if mode is CursorMode.FIELD_ONLY:
        return field < value if descending else field > value
    if descending:
        tie = key <= cursor.id if mode is CursorMode.INCLUSIVE else key < cursor.id
        return sa.or_(field < value, sa.and_(field == value, tie))
    tie = key >= cursor.id if mode is CursorMode.INCLUSIVE else key > cursor.id
    return sa.or_(field > value, sa.and_(field == value, tie))
