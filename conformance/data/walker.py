"""Drives pagination walks over HTTP and hands them, recorded, to the pure walk oracle."""

from __future__ import annotations

from collections.abc import Callable

from ..http.api import ServiceApi
from ..model.exchange import Exchange
from ..oracles.page import Page, is_server_error, parse_page
from ..oracles.walk import StopReason, Walk

__all__ = ["walk_pages", "page_bound", "full_walk_pages"]


def page_bound(total: int) -> int:
    """How many pages a walk may take: one new conversation per page at the least, plus the empty end page.

    Not the fewest pages the limit allows: a server whose pages are short (LIMIT-01) must still be
    walked to the end, so that its short pages are not blamed on the cursor (PAGE-01).
    """
    return total + 2


def full_walk_pages(total: int, limit: int) -> int:
    """The requests a conforming walk over ``total`` conversations takes at ``limit``: its pages and the empty end."""
    return -(-total // max(1, limit)) + 1


def walk_pages(
    api: ServiceApi,
    *,
    user: str | None,
    sort_by: str | None,
    limit: int | None,
    effective_sort: str,
    effective_limit: int,
    bound: int,
    keep: Callable[[Page], Page] | None = None,
) -> Walk:
    """Follow ``last_id`` from the first page until an empty page, a loop, a refused cursor or ``bound`` pages.

    Raises Inconclusive (from parse_page) when a page is a 5xx, missing or unparseable. ``keep``: what of
    each page is kept (read-only full walks keep little, so memory does not grow with the list).
    """
    pages: list[Page] = []
    cursors: set[str] = set()
    last_id: str | None = None

    def ended(stop: StopReason, rejected: Exchange | None = None) -> Walk:
        return Walk(effective_sort, effective_limit, sort_by is not None, tuple(pages), stop, rejected, bound,
                    limit_explicit=limit is not None)

    while len(pages) < bound:
        exchange = api.list(user=user, limit=limit, sort_by=sort_by, last_id=last_id)
        refused = exchange.status_code is not None and exchange.status_code != 200 and not is_server_error(exchange)
        if last_id is not None and refused:
            return ended("rejected", exchange)
        page = parse_page(exchange)
        pages.append(keep(page) if keep else page)
        if not page.items:
            return ended("empty")
        if last_id is not None:
            cursors.add(last_id)
        last_id = page.last_id
        if last_id in cursors:
            return ended("loop")
    return ended("bound")
