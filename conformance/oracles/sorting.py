"""SORT-01 and SORT-02 on one page: its items in the order in effect (equal values in any order).

Which requirement a wrong order breaks follows the request: SORT-01 when it named ``sort_by``, SORT-02
when the spec's default was in effect (order_requirement). Walks judge the order across pages (walk.py).
"""

from __future__ import annotations

from ..model.exchange import Exchange
from ..model.results import Violation
from ..spec.catalogue import Req
from ..spec.contract import SortRule
from . import Inconclusive, order_requirement, violation
from .ordering import first_disorder, sort_key
from .page import parse_page

__all__ = ["page_order_violations"]


def page_order_violations(exchange: Exchange, *, sort_value: str, sort_explicit: bool) -> list[Violation]:
    """The items of one page in ``sort_value`` order (the value asked, or without one the spec's default).

    Inconclusive when there is no order to observe: no page (ROBUST-01, SCHEMA-01 judge why), no items,
    or no item with an integer sort value (SCHEMA-01, SCHEMA-02).
    """
    page = parse_page(exchange)
    if not page.items:
        raise Inconclusive(f"{exchange.describe()}: the list is empty, no order to observe")
    field = SortRule.field(sort_value)
    if not any(sort_key(item, sort_value) is not None for item in page.items):
        raise Inconclusive(f"no item carries an integer {field} (see SCHEMA-01)", (Req.SCHEMA_01, Req.SCHEMA_02))
    index = first_disorder(page.items, sort_value)
    if index is None:
        return []
    before, after = page.items[index - 1], page.items[index]
    asked = f"sort_by={sort_value}" if sort_explicit else f"no sort_by (default {sort_value})"
    direction = "descending" if SortRule.descending(sort_value) else "ascending"
    return [violation(order_requirement(sort_explicit), f"{asked}: item {index + 1} has {field}={after.get(field)} "
                      f"after {field}={before.get(field)}, not {direction}", exchange)]
