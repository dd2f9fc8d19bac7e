"""Is a sequence of items in the order a ``sort_by`` value asks for? Equal values in any order."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..spec.contract import SortRule

__all__ = ["sort_key", "first_disorder", "in_order"]


def sort_key(item: dict[str, Any], sort_value: str) -> int | None:
    """The item's value of the sort field when it is an integer (else the order is not judged)."""
    value = item.get(SortRule.field(sort_value))
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def in_order(before: dict[str, Any], after: dict[str, Any], sort_value: str) -> bool:
    """Whether ``after`` may follow ``before``; True when either value cannot be compared."""
    a, b = sort_key(before, sort_value), sort_key(after, sort_value)
    if a is None or b is None:
        return True
    return a >= b if SortRule.descending(sort_value) else a <= b


def first_disorder(items: Sequence[dict[str, Any]], sort_value: str) -> int | None:
    """Index i of the first item out of order with item i-1, or None when ordered."""
    for index in range(1, len(items)):
        if not in_order(items[index - 1], items[index], sort_value):
            return index
    return None
