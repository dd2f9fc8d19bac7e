"""Drives pagination walks over HTTP and hands them, recorded, to the pure walk oracle."""

from __future__ import annotations

from .api import ServiceApi
from .oracles.page import Page, is_server_error, parse_page
from .oracles.walk import Walk

__all__ = ["walk_pages", "page_bound"]


def page_bound(total: int, limit: int) -> int:
    """How many pages a walk may take: every page full, plus the empty end page, plus slack for one short page."""
    return -(-total // limit) + 2


def walk_pages(
    api: ServiceApi,
    *,
    user: str | None,
    sort_by: str | None,
    limit: int | None,
    effective_sort: str,
    effective_limit: int,
    bound: int,
) -> Walk:
    """Follow ``last_id`` from the first page until an empty page, a loop, a refused cursor or ``bound`` pages.

    Raises Inconclusive (from parse_page) when a page is a 5xx, missing or unparseable.
    """
    pages: list[Page] = []
    cursors: set[str] = set()
    last_id: str | None = None
    while len(pages) < bound:
        exchange = api.list(user=user, limit=limit, sort_by=sort_by, last_id=last_id)
        if last_id is not None and exchange.status_code is not None and exchange.status_code != 200 \
                and not is_server_error(exchange):
            return Walk(effective_sort, effective_limit, tuple(pages), "rejected", exchange, bound)
        page = parse_page(exchange)
        pages.append(page)
        if not page.items:
            return Walk(effective_sort, effective_limit, tuple(pages), "empty", bound=bound)
        if last_id is not None:
            cursors.add(last_id)
        last_id = page.last_id
        if last_id in cursors:
            return Walk(effective_sort, effective_limit, tuple(pages), "loop", bound=bound)
    return Walk(effective_sort, effective_limit, tuple(pages), "bound", bound=bound)
