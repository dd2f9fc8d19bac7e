"""A user's list as full walks read it: one walk per sort at the largest limit, and every conversation
they listed (read-only mode's data, and APP-01's lists of the user under the two keys).

One walk can be broken (a cursor that skips ties loses conversations at every page boundary), so the
user's list is the union of the walks under every sort.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from ..http.api import ServiceApi
from ..model.exchange import EXCERPT_CHARS
from ..oracles import Inconclusive
from ..oracles.page import Page
from ..oracles.walk import Walk
from ..spec.contract import Contract, SortRule
from .walker import walk_pages

__all__ = ["Listing", "read_listing", "REFERENCE_PAGE_CAP"]

# A full walk stops here even if the target never sends an empty page (--max-requests bounds it sooner).
REFERENCE_PAGE_CAP = 100_000


@dataclass
class Listing:
    """One user's list: the full walk under each sort (None: no sort_by), and every conversation they listed."""

    user: str
    limit: int | None  # the limit the full walks sent (None: the spec's default, none sent)
    walks: dict[str | None, Walk] = field(default_factory=dict)
    undecided: dict[str | None, str] = field(default_factory=dict)  # sorts whose walk could not be judged
    items: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> the item as first listed

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(self.items)

    def why_undecided(self) -> str:
        return "; ".join(self.undecided.values()) or "no full walk of the user's list could be read"


def read_listing(api: ServiceApi, contract: Contract, user: str) -> Listing:
    """Full walks of ``user``'s list at the largest limit, one per sort; a walk whose page is unusable is skipped."""
    limit = contract.limit.maximum
    listing = Listing(user, limit)
    effective = limit if limit is not None else (contract.limit.default or 0)
    fields = _kept_fields(contract)
    for sort_by in (None, *contract.sort.values):
        try:
            listing.walks[sort_by] = walk_pages(
                api, user=user, sort_by=sort_by, limit=limit,
                effective_sort=sort_by if sort_by is not None else (contract.sort.default or ""),
                effective_limit=effective, bound=REFERENCE_PAGE_CAP,
                keep=lambda page: _slim(page, listing.items, fields))
        except Inconclusive as error:
            listing.undecided[sort_by] = str(error)
    return listing


def _kept_fields(contract: Contract) -> set[str]:
    return {"id", "created_at", "updated_at", *(SortRule.field(v) for v in contract.sort.values)}


def _slim(page: Page, union: dict[str, dict[str, Any]], fields: set[str]) -> Page:
    """A page of a full walk as judging needs it, so memory does not grow with the conversations times the
    sorts: items keep only their id and the fields orders and timestamps are judged on (the schema was
    judged as the page came in), one dict per conversation shared by the walks that agree on it; the
    body keeps its beginning, for evidence. Every conversation a walk lists joins ``union``."""
    items = []
    for item in page.items:
        slim = {k: v for k, v in item.items() if k in fields}
        shared = union.setdefault(slim["id"], slim)
        items.append(shared if shared == slim else slim)
    exchange = page.exchange
    if len(exchange.body) > _KEPT_BODY_BYTES:
        exchange = dataclasses.replace(exchange, body=exchange.body[:_KEPT_BODY_BYTES])
    return Page(exchange=exchange, items=tuple(items), has_more=page.has_more, limit=page.limit)


_KEPT_BODY_BYTES = 4 * EXCERPT_CHARS
