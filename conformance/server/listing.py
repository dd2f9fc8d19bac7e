"""``GET /conversations``: validate the query per the policy, fetch one keyset page, render it.

Every fault that concerns the list is applied here, each at the one place its deviation lives, so
that a fault changes nothing but what it names.
"""

from __future__ import annotations

import json
import math
import random
import re
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from starlette.responses import Response

from .db import DEFAULT_OWNER_KEY, ConversationRow, CursorMode, Database, Owner, PageQuery, UserMatch, owner_key
from .errors import invalid_param, not_found, server_error
from .faults import Faults
from .policy import ServerPolicy, split_sort

__all__ = ["ConversationLister", "parse_query", "render_item", "UUID_PATTERN"]

UUID_PATTERN = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_INTEGER = re.compile(r"[+-]?[0-9]+")  # ASCII digits only: int() would also take "１０", "1_0", " 5 "
_HUGE = 10**18  # what a limit of more than 18 digits is read as: out of range either way
_FETCH_CAP = 2**31  # the most rows one page asks the database for, whatever limit a fault lets through


def parse_query(raw: bytes) -> dict[str, str]:
    """The query string's parameters, the first value of each; invalid UTF-8 is a 400, not a guess."""
    try:
        pairs = parse_qsl(raw.decode("utf-8"), keep_blank_values=True, encoding="utf-8", errors="strict")
    except (UnicodeDecodeError, ValueError):
        raise invalid_param("The query string is not valid UTF-8.") from None
    params: dict[str, str] = {}
    for name, value in pairs:
        params.setdefault(name, value)
    return params


def render_item(row: ConversationRow) -> dict[str, Any]:
    """A conversation as Dify serves it in lists and rename answers."""
    return {"id": row.id, "name": row.name, "inputs": row.inputs, "status": row.status,
            "introduction": row.introduction, "created_at": row.created_at, "updated_at": row.updated_at}


@dataclass(frozen=True, slots=True)
class _Request:
    owner: Owner
    limit: int  # the limit in effect, as the response reports it
    served: int  # how many items the page holds at most (differs from limit only under faults)
    field: str
    descending: bool
    last_id: str | None


class ConversationLister:
    def __init__(self, db: Database, policy: ServerPolicy, faults: Faults, seed: int) -> None:
        self.db = db
        self.policy = policy
        self.faults = faults
        self._rng = random.Random(seed)  # only the unstable-ties fault draws from it
        self._rng_lock = threading.Lock()
        self._last_orders: dict[tuple[Any, ...], tuple[str, ...]] = {}  # by request, for unstable-ties

    def respond(self, app_id: str, raw_query: bytes) -> Response:
        request = self._validate(parse_query(raw_query))
        listed_app: str | None = None if "apps-not-isolated" in self.faults else app_id
        cursor, owner = self._cursor(listed_app, request)
        rows, has_more = self._page(listed_app, request, owner, cursor)
        return self._render(request, rows, has_more)

    # -- validation -----------------------------------------------------------------------------

    def _validate(self, params: dict[str, str]) -> _Request:
        owner = self._owner(params.get("user") or None)
        limit, served = self._limit(params.get("limit"))
        field, descending = self._sort(params.get("sort_by"))
        last_id = self._last_id(params.get("last_id"))
        return _Request(owner, limit, served, field, descending, last_id)

    def _owner(self, user: str | None) -> Owner:
        faults = self.faults
        if user is None:
            if "user-missing-lists-all" in faults:
                return Owner("", UserMatch.ANY)
            required = self.policy.user_required or "user-missing-rejected" in faults
            if required and "user-missing-served" not in faults:
                raise invalid_param("user is required.")
            return Owner(DEFAULT_OWNER_KEY)
        if "server-error-on-odd-input" in faults and not user.isascii():
            raise server_error()
        if "user-too-long-5xx" in faults and len(user) > 255:
            raise server_error()  # Dify's end_users.session_id is varchar(255): the insert fails
        if "user-non-ascii-unlisted" in faults:
            user = user.encode("utf-8").decode("latin-1")  # the query decoded with the wrong charset
        if "user-whitespace-stripped" in faults:
            user = user.strip()  # as MySQL's PAD SPACE collations compare 'a' = 'a '
        if "users-not-isolated" in faults:
            return Owner("", UserMatch.ANY)
        if "user-case-insensitive" in faults:
            return Owner(owner_key(user), UserMatch.CASE_INSENSITIVE)
        if "user-like-match" in faults:
            return Owner(owner_key(user), UserMatch.LIKE)
        return Owner(owner_key(user))

    def _limit(self, raw: str | None) -> tuple[int, int]:
        """(the limit in effect, the number of items to serve at most)."""
        policy, faults = self.policy, self.faults
        if raw is None or raw == "":
            default = max(1, policy.limit_default // 2) if "limit-default-wrong" in faults else policy.limit_default
            return default, default
        limit = self._integer(raw)
        if "limit-above-max-clamped" in faults and limit > policy.limit_max:
            limit = policy.limit_max
        if not policy.limit_min <= limit <= policy.limit_max and "limit-bounds-not-enforced" not in faults:
            raise invalid_param(f"limit must be an integer from {policy.limit_min} to {policy.limit_max}.")
        served = max(0, min(limit, _FETCH_CAP))
        if "limit-max-clamped" in faults:
            served = min(served, policy.limit_max // 2)
        return limit, served

    def _integer(self, raw: str) -> int:
        if _INTEGER.fullmatch(raw):
            digits = raw.lstrip("+-").lstrip("0") or "0"  # int() refuses more than 4300 digits, zeros too
            magnitude = _HUGE if len(digits) > 18 else int(digits)  # far out of any range either way
            return -magnitude if raw.startswith("-") else magnitude
        if "limit-non-integer-accepted" in self.faults:
            try:
                number = float(raw)
            except ValueError:
                number = math.nan
            if math.isfinite(number):
                return int(number)
        raise invalid_param(f"limit must be an integer from {self.policy.limit_min} to {self.policy.limit_max}.")

    def _sort(self, raw: str | None) -> tuple[str, bool]:
        policy, faults = self.policy, self.faults
        if raw is None or raw == "":
            value = policy.sort_default
            if "sort-default-wrong" in faults:
                value = "-created_at" if policy.sort_default != "-created_at" else "-updated_at"
        elif raw in policy.sort_values:
            value = raw
        elif "sort-invalid-accepted" in faults:
            value = policy.sort_default
        else:
            raise invalid_param(f"sort_by must be one of {', '.join(policy.sort_values)}.")
        if "sort-ignored" in faults:
            value = "-updated_at"
        field, descending = split_sort(value)
        if "sort-direction-inverted" in faults and field == "created_at":
            descending = not descending
        return field, descending

    def _last_id(self, raw: str | None) -> str | None:
        if raw is None or raw == "":
            return None
        if not UUID_PATTERN.fullmatch(raw):
            if "malformed-cursor-ignored" in self.faults:
                return None
            raise invalid_param("last_id must be a UUID.")
        return raw.lower()

    # -- the page -------------------------------------------------------------------------------

    def _cursor(self, app_id: str | None, request: _Request) -> tuple[ConversationRow | None, Owner]:
        """The cursor's conversation and the owner whose list continues after it."""
        owner = request.owner
        if request.last_id is None:
            return None, owner
        other_user = "cursor-other-user" in self.faults
        lookup = Owner("", UserMatch.ANY) if other_user else owner
        deleted_found = "delete-not-hidden" in self.faults or "deleted-cursor-accepted" in self.faults
        cursor = self.db.find(app_id, lookup, request.last_id, include_deleted=deleted_found)
        if cursor is None:
            if "unknown-cursor-5xx" in self.faults:
                raise server_error()
            if "unknown-cursor-ignored" in self.faults:
                return None, owner
            raise not_found("Last Conversation Not Exists.")
        if other_user and cursor.owner != owner.key:
            owner = Owner(cursor.owner)
        return cursor, owner

    def _page(self, app_id: str | None, request: _Request, owner: Owner,
              cursor: ConversationRow | None) -> tuple[list[ConversationRow], bool]:
        faults = self.faults
        if cursor is None:
            mode = CursorMode.KEYSET
        elif "cursor-ties-skipped" in faults:
            mode = CursorMode.FIELD_ONLY
        elif "cursor-inclusive" in faults:
            mode = CursorMode.INCLUSIVE
        else:
            mode = CursorMode.KEYSET
        query = PageQuery(
            app_id=app_id, owner=owner, field=request.field, descending=request.descending,
            # one more than served: has_more is then exact (two more to know that exactly one follows)
            fetch=request.served + (2 if "has-more-false-one-left" in faults else 1),
            after=cursor, cursor_mode=mode, skip=1 if cursor is not None and "cursor-off-by-one" in faults else 0,
            include_deleted="delete-not-hidden" in faults,
        )
        rows = self.db.page(query)
        has_more = len(rows) > request.served
        if "has-more-false-one-left" in faults and len(rows) == request.served + 1:
            has_more = False  # exactly one conversation follows the page
        rows = rows[:request.served]
        if "has-more-counts-deleted" in faults:
            after = rows[-1] if rows else cursor
            has_more = bool(self.db.page(PageQuery(
                app_id=app_id, owner=owner, field=request.field, descending=request.descending, fetch=1,
                after=after, include_deleted=True)))
        if "limit-short-page" in faults and has_more and rows:
            rows = rows[:-1]  # more still follow, so has_more stays true and the last item is the cursor
        if "unstable-ties" in faults:
            rows = self._shuffle_ties((app_id, owner, request, cursor and cursor.id), rows, request.field)
        return rows, has_more

    def _shuffle_ties(self, key: tuple[Any, ...], rows: list[ConversationRow],
                      field: str) -> list[ConversationRow]:
        """Reorder the items sharing a sort value at random, never as the same request was last answered.

        The page's last item stays in place: it is the next cursor, and paging must stay correct.
        """
        body, last = rows[:-1], rows[-1:]
        groups: list[list[ConversationRow]] = []
        for row in body:
            if groups and groups[-1][0].sort_value(field) == row.sort_value(field):
                groups[-1].append(row)
            else:
                groups.append([row])
        with self._rng_lock:
            for group in groups:
                self._rng.shuffle(group)
            order = tuple(row.id for group in groups for row in group)
            if order == self._last_orders.get(key):  # the same body twice would hide the fault
                for group in groups:
                    if len(group) > 1:
                        group.append(group.pop(0))
                        break
            if len(self._last_orders) > 10_000:
                self._last_orders.clear()
            self._last_orders[key] = tuple(row.id for group in groups for row in group)
        return [row for group in groups for row in group] + last

    def _render(self, request: _Request, rows: list[ConversationRow], has_more: bool) -> Response:
        faults = self.faults
        if "has-more-wrong" in faults:
            has_more = len(rows) == request.limit
        elif "has-more-always-false" in faults:
            has_more = False
        elif "has-more-always-true" in faults:
            has_more = True
        items: list[dict[str, Any]] | None = [self._item(row) for row in rows]
        if not rows and "data-null-when-empty" in faults:
            items = None
        limit = len(rows) if "limit-field-wrong" in faults else request.limit
        body = json.dumps({"limit": limit, "has_more": has_more, "data": items},
                          ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        media_type = "text/html" if "content-type-text" in faults else "application/json"
        return Response(body, media_type=media_type)

    def _item(self, row: ConversationRow) -> dict[str, Any]:
        item = render_item(row)
        faults = self.faults
        if "field-missing" in faults:
            del item["introduction"]
        if "timestamps-in-milliseconds" in faults:
            item["created_at"] *= 1000
            item["updated_at"] *= 1000
        if "wrong-field-types" in faults:
            for name in ("created_at", "updated_at"):
                item[name] = datetime.fromtimestamp(row.sort_value(name), UTC).isoformat()
        return item
