"""Read-only mode's data: an existing user's conversations, as several full walks listed them (listing.py).

Those walks are the reference: they are judged as they are (PAGE-01 for a conversation another walk
listed and this one missed), and walks at every other limit cover a bounded window against them (see
oracles/window.py), so a run costs pages at the largest limit, not conversations times sorts. Nothing
is known of whose a conversation is but what the target lists: an item outside the user's list is a
walk's fault (PAGE-01), never proven another user's unless --other-user's list holds it too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..http.api import ServiceApi
from ..model.results import Violation
from ..oracles import Inconclusive
from ..oracles.users import shared_items_violation
from ..oracles.walk import Walk, judge_walk, shows_disorder
from ..oracles.window import judge_window, window_bound
from ..spec.contract import Contract
from .dataset import Gather, Probe, Update
from .listing import REFERENCE_PAGE_CAP, Listing, read_listing
from .seeded import walk_in_default_order
from .users import TestUsers
from .walker import walk_pages
from .writes import NotInThisRun

__all__ = ["Listing", "ReadOnlyDataset", "read_listing", "REFERENCE_PAGE_CAP"]


@dataclass
class ReadOnlyDataset:
    """The data of a read-only run: the main user's listing, and the --other-user's if one was named."""

    users: TestUsers
    listing: Listing
    other: Listing | None = None
    window: int = 100  # items a walk at any limit other than the full walks' covers
    notes: list[str] = field(default_factory=list)
    updates: tuple[Update, ...] = ()  # a read-only run makes none
    deleted_ids: tuple[str, ...] = ()
    owned_ids: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def main_ids(self) -> tuple[str, ...]:
        return self.listing.ids

    @property
    def twin_ids(self) -> tuple[str, ...]:
        return self.other.ids if self.other is not None else ()

    @property
    def total(self) -> int:
        return len(self.main_ids)

    def _walk_at(self, api: ServiceApi, *, sort_by: str | None, limit: int | None, effective_sort: str,
                 effective_limit: int) -> Walk:
        """The full walk of this sort when the limit is the full walks' own, else a walk over the window."""
        reference = self.listing.walks.get(sort_by)
        if reference is not None and limit == self.listing.limit:
            return reference
        if sort_by in self.listing.undecided and limit == self.listing.limit:
            raise Inconclusive(self.listing.undecided[sort_by])
        return walk_pages(api, user=self.users.main, sort_by=sort_by, limit=limit, effective_sort=effective_sort,
                          effective_limit=effective_limit, bound=window_bound(effective_limit, self.window))

    def _judged(self, walk: Walk, sort_by: str | None) -> list[Violation]:
        reference = self.listing.walks.get(sort_by)
        if walk is reference:
            return judge_walk(reference, expected=set(self.listing.items), owner_known=False)
        return judge_window(walk, reference=self.listing.items,
                            order_broken=reference is not None and shows_disorder(reference))

    def judged_walk(self, api: ServiceApi, *, sort_by: str | None, limit: int | None, effective_sort: str,
                    effective_limit: int) -> list[Violation]:
        """The full walk already made at the largest limit; at any other limit, a window of the list."""
        walk = self._walk_at(api, sort_by=sort_by, limit=limit, effective_sort=effective_sort,
                             effective_limit=effective_limit)
        return self._judged(walk, sort_by)

    def judged_main_walk(self, walk: Walk, reference: Mapping[str, dict[str, Any]] | None = None) -> list[Violation]:
        return judge_walk(walk, expected=set(self.main_ids), owner_known=False, reference=dict(reference or {}))

    def judged_boundary_walks(self, api: ServiceApi, limits: Sequence[int], *, sort_by: str | None,
                              effective_sort: str, page_cap: int | None, gather: Gather) -> list[list[Violation]]:
        """Each limit walks a window of the list against the full walks (``page_cap`` aside: the window bounds
        them); the largest limit is the full walk itself."""
        walks = gather(limits, lambda limit: self._walk_at(api, sort_by=sort_by, limit=limit,
                                                           effective_sort=effective_sort, effective_limit=limit))
        return [self._judged(walk, sort_by) for walk in walks if walk is not None]

    def own_list_probes(self, api: ServiceApi, contract: Contract) -> list[Probe] | NotInThisRun:
        """The full walks of --user and --other-user must list no conversation in common. Without
        --other-user nothing proves an item belongs to someone else: the near-miss ids judge USER-02."""
        other = self.other
        if other is None:
            raise Inconclusive("read-only without --other-user: whose an item is cannot be proven, so USER-02 is "
                               "judged by the near-miss user ids alone")
        main = self.listing

        def disjoint() -> list[Violation]:
            return (shared_items_violation(main.user, main.walks, other.user, other.items)
                    + shared_items_violation(other.user, other.walks, main.user, main.items))

        return [disjoint]

    def default_order_walk(self, api: ServiceApi, contract: Contract) -> Walk:
        """The full walk without sort_by already made, if it could be read."""
        return self.listing.walks.get(None) or walk_in_default_order(api, contract, self.users.main, self.total)

    def earliest_creation(self, skew_s: float) -> float | None:
        """Unknown: the conversations were there before the run."""
        return None

    def main_listing(self, api: ServiceApi, contract: Contract) -> Listing:
        return self.listing
