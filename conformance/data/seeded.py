"""The data of a write-mode run, as the seeding made it (seeding.py): the run knows whose every
conversation is, so a conversation listed to a user that is not theirs is another user's (USER-02),
and its timestamps can be no older than the seeding."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..http.api import ServiceApi
from ..model.results import Violation
from ..oracles.page import parse_page
from ..oracles.users import own_list_violations
from ..oracles.walk import Walk, judge_walk, shows_disorder
from ..oracles.window import judge_window
from ..spec.contract import Contract
from .dataset import Gather, Probe, Update
from .listing import Listing, read_listing
from .users import TestUsers
from .walker import full_walk_pages, page_bound, walk_pages
from .writes import NotInThisRun

__all__ = ["SeededDataset", "walk_in_default_order"]


@dataclass
class SeededDataset:
    users: TestUsers
    main_ids: tuple[str, ...]
    twin_ids: tuple[str, ...]
    created_from: float  # client clock around the creations, for SCHEMA-03
    created_until: float
    updates: tuple[Update, ...] = ()
    notes: list[str] = field(default_factory=list)
    deleted_ids: tuple[str, ...] = ()  # the main user's conversations the seeder deleted again
    owned_ids: dict[str, tuple[str, ...]] = field(default_factory=dict)  # special user -> conversations
    items: dict[str, dict[str, Any]] = field(default_factory=dict)  # main's items as listed after seeding

    @property
    def total(self) -> int:
        return len(self.main_ids)

    def _walk(self, api: ServiceApi, *, sort_by: str | None, limit: int | None, effective_sort: str,
              effective_limit: int, pages: int | None = None) -> Walk:
        return walk_pages(api, user=self.users.main, sort_by=sort_by, limit=limit, effective_sort=effective_sort,
                          effective_limit=effective_limit, bound=page_bound(self.total) if pages is None else pages)

    def judged_walk(self, api: ServiceApi, *, sort_by: str | None, limit: int | None, effective_sort: str,
                    effective_limit: int) -> list[Violation]:
        """The whole of the main user's list, judged against what the run made."""
        return self.judged_main_walk(self._walk(api, sort_by=sort_by, limit=limit, effective_sort=effective_sort,
                                                effective_limit=effective_limit))

    def judged_main_walk(self, walk: Walk, reference: Mapping[str, dict[str, Any]] | None = None) -> list[Violation]:
        return judge_walk(walk, expected=set(self.main_ids), owner_known=True, deleted=set(self.deleted_ids),
                          reference={**self.items, **(reference or {})})

    def judged_boundary_walks(self, api: ServiceApi, limits: Sequence[int], *, sort_by: str | None,
                              effective_sort: str, page_cap: int | None, gather: Gather) -> list[list[Violation]]:
        """Every limit's walk at once, to the end, except those a conforming walk would take more than
        ``page_cap`` pages for: these walk their first pages only, held to the main user's list as listed
        (they see no end: has_more and page sizes there are the full walks' to judge). What one walk
        missed another may have seen: its sort value tells where the cursor lost it."""
        windowed = [limit for limit in limits if page_cap is not None and full_walk_pages(self.total, limit) > page_cap]
        walks = gather(limits, lambda limit: self._walk(api, sort_by=sort_by, limit=limit,
                                                        effective_sort=effective_sort, effective_limit=limit,
                                                        pages=page_cap if limit in windowed else None))
        made_at = [(limit, made) for limit, made in zip(limits, walks, strict=True) if made is not None]
        full = [made for limit, made in made_at if limit not in windowed]
        windows = {limit: made for limit, made in made_at if limit in windowed}
        seen = {item["id"]: item for made in full for page in made.pages for item in page.items}
        found = [self.judged_main_walk(made, seen) for made in full]
        mine = set(self.main_ids)
        reference = {c: item for c, item in {**self.items, **seen}.items() if c in mine}
        order_broken = any(shows_disorder(made) for made in full)
        found += [judge_window(windows[limit], reference=reference, owner_known=True, deleted=set(self.deleted_ids),
                               order_broken=order_broken) for limit in windowed if limit in windows]
        return found

    def own_list_probes(self, api: ServiceApi, contract: Contract) -> list[Probe] | NotInThisRun:
        """The main user's and the twin's lists under every sort: each holds only what the run made for them."""
        if not self.twin_ids:
            return NotInThisRun("no second user with data in this run")
        owners = [(self.users.main, set(self.main_ids)), (self.users.twin, set(self.twin_ids))]
        deleted = set(self.deleted_ids)

        def own_list(user: str, own: set[str], sort_by: str | None) -> list[Violation]:
            page = parse_page(exchange := api.list(user=user, sort_by=sort_by, limit=contract.limit.maximum))
            return own_list_violations(user, sort_by, page, exchange, own, deleted)

        return [functools.partial(own_list, user, own, sort_by)
                for user, own in owners for sort_by in (None, *contract.sort.values)]

    def default_order_walk(self, api: ServiceApi, contract: Contract) -> Walk:
        return walk_in_default_order(api, contract, self.users.main, self.total)

    def earliest_creation(self, skew_s: float) -> float | None:
        """No earlier than the seeding began, give or take the clocks' skew."""
        return self.created_from - skew_s

    def main_listing(self, api: ServiceApi, contract: Contract) -> Listing:
        return read_listing(api, contract, self.users.main)


def walk_in_default_order(api: ServiceApi, contract: Contract, user: str, total: int) -> Walk:
    """``user``'s list at the largest limit (else the default) without sort_by, to its end."""
    limit = contract.limit.maximum or contract.limit.default
    return walk_pages(api, user=user, sort_by=None, limit=limit, effective_sort="", effective_limit=limit or 0,
                      bound=page_bound(max(total, 1)))
