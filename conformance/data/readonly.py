"""Read-only mode's data: an existing user's conversations, as several full walks listed them.

One walk can be broken (a cursor that skips ties loses conversations at every page boundary), so
the user's list is the union of a full walk at the largest limit under every sort. Those walks are
the reference: they are judged as they are (PAGE-01 for a conversation another walk listed and
this one missed), and walks at every other limit cover a bounded window against them (see
oracles/window.py), so a run costs pages at the largest limit, not conversations times sorts.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from ..http.api import ServiceApi
from ..model.exchange import EXCERPT_CHARS
from ..model.results import Violation
from ..oracles import Inconclusive
from ..oracles.page import Page
from ..oracles.walk import Walk, judge_walk, shows_disorder
from ..oracles.window import judge_window, window_bound
from ..spec.contract import Contract, SortRule
from .dataset import Dataset
from .walker import walk_pages

__all__ = ["Listing", "ReadOnlyDataset", "read_listing", "REFERENCE_PAGE_CAP"]

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


@dataclass
class ReadOnlyDataset(Dataset):
    """The data of a read-only run: the main user's listing, and the --other-user's if one was named."""

    listing: Listing | None = None
    other: Listing | None = None
    window: int = 100  # items a walk at any limit other than the full walks' covers

    def judged_walk(self, api: ServiceApi, *, sort_by: str | None, limit: int | None, effective_sort: str,
                    effective_limit: int) -> list[Violation]:
        """The full walk of this sort when the limit is the full walks' own, else a walk over the window."""
        assert self.listing is not None
        reference = self.listing.walks.get(sort_by)
        if reference is not None and limit == self.listing.limit:
            return judge_walk(reference, expected=set(self.listing.items), owner_known=False)
        if sort_by in self.listing.undecided and limit == self.listing.limit:
            raise Inconclusive(self.listing.undecided[sort_by])
        walk = walk_pages(api, user=self.users.main, sort_by=sort_by, limit=limit, effective_sort=effective_sort,
                          effective_limit=effective_limit, bound=window_bound(effective_limit, self.window))
        return judge_window(walk, reference=self.listing.items,
                            order_broken=reference is not None and shows_disorder(reference))

    def full_walk(self, sort_by: str | None) -> Walk | None:
        return self.listing.walks.get(sort_by) if self.listing else None
