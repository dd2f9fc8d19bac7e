"""SCHEMA-03: are an item's timestamps Unix epoch seconds near when it was made, updated after created?"""

from __future__ import annotations

from typing import Any

from ..exchange import Exchange
from ..results import Violation
from . import violation

__all__ = ["timestamp_violations", "EPOCH_FLOOR"]

EPOCH_FLOOR = 946_684_800  # 2000-01-01: anything earlier is not a conversation's time in seconds


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
            found.append(violation("SCHEMA-03", f"conversation {item.get('id')}: {name}={value} looks like "
                                   "milliseconds, not epoch seconds", exchange))
        elif not low <= value <= latest:
            found.append(violation("SCHEMA-03", f"conversation {item.get('id')}: {name}={value} is not near the time "
                                   f"it was made ({int(low)}..{int(latest)} allowed)", exchange))
    if isinstance(created, int) and isinstance(updated, int) and updated < created:
        found.append(violation("SCHEMA-03", f"conversation {item.get('id')}: updated_at={updated} is before "
                               f"created_at={created}", exchange))
    return found
