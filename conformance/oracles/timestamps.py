"""SCHEMA-03: are an item's timestamps Unix epoch seconds near when it was made, updated after created?"""

from __future__ import annotations

from typing import Any

from ..model.exchange import Exchange
from ..model.results import Violation
from ..spec.catalogue import Req
from . import violation

__all__ = ["timestamp_violations", "listed_timestamp_violations", "EPOCH_FLOOR", "PLAUSIBLE_AHEAD_S"]

EPOCH_FLOOR = 946_684_800  # 2000-01-01: anything earlier is not a conversation's time in seconds
# A time further ahead of the moment the response was received is no conversation's time in seconds
# (a day: generous to any clock offset, yet a thousand times short of milliseconds).
PLAUSIBLE_AHEAD_S = 24 * 3600


def listed_timestamp_violations(exchange: Exchange) -> list[Violation]:
    """SCHEMA-03 on every item of a 200 list response, whoever's conversation it is: integer epoch
    seconds that could be a time (from 2000 to a day after the answer) and ``updated_at >= created_at``.
    How near the time the conversation was made stays with the run's own data (timestamp_violations).
    One violation per response: the first item that shows it."""
    body = exchange.json_or_none() if exchange.status_code == 200 else None
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, list):
        return []
    received = exchange.started_at + exchange.elapsed_s
    latest = received + PLAUSIBLE_AHEAD_S if exchange.started_at else None
    for item in data:
        if not isinstance(item, dict):
            continue
        created, updated = item.get("created_at"), item.get("updated_at")
        for name, value in (("created_at", created), ("updated_at", updated)):
            if not isinstance(value, int) or isinstance(value, bool):
                continue  # not an integer: SCHEMA-01's to report
            if value < EPOCH_FLOOR or latest is not None and value > latest:
                return [violation(Req.SCHEMA_03, f"conversation {item.get('id')}: {name}={value} is not a time in "
                                  "Unix epoch seconds (before 2000, or more than a day after the answer)", exchange)]
        if (isinstance(created, int) and isinstance(updated, int) and not isinstance(created, bool)
                and not isinstance(updated, bool) and updated < created):
            return [violation(Req.SCHEMA_03, f"conversation {item.get('id')}: updated_at={updated} is before "
                              f"created_at={created}", exchange)]
    return []


def timestamp_violations(item: dict[str, Any], exchange: Exchange, *, earliest: float | None,
                         latest: float) -> list[Violation]:
    """Violations for one item; ``earliest`` None when the suite did not make the data (read-only)."""
    found: list[Violation] = []
    created, updated = item.get("created_at"), item.get("updated_at")
    low = earliest if earliest is not None else EPOCH_FLOOR
    for name, value in (("created_at", created), ("updated_at", updated)):
        if not isinstance(value, int) or isinstance(value, bool):
            continue  # not an integer: SCHEMA-01's to report
        if value > latest * 100:
            found.append(violation(Req.SCHEMA_03, f"conversation {item.get('id')}: {name}={value} looks like "
                                   "milliseconds, not epoch seconds", exchange))
        elif not low <= value <= latest:
            found.append(violation(Req.SCHEMA_03, f"conversation {item.get('id')}: {name}={value} is not near the time "
                                   f"it was made ({int(low)}..{int(latest)} allowed)", exchange))
    if isinstance(created, int) and isinstance(updated, int) and updated < created:
        found.append(violation(Req.SCHEMA_03, f"conversation {item.get('id')}: updated_at={updated} is before "
                               f"created_at={created}", exchange))
    return found
