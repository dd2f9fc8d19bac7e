"""The two run profiles, in one place: ``quick`` gates a merge, ``full`` certifies."""

from __future__ import annotations

from dataclasses import dataclass

from ..spec.boundaries import size_with_every_remainder
from ..spec.contract import Contract

__all__ = ["SeedPlan", "Profile", "PROFILES", "profile_named"]


@dataclass(frozen=True, slots=True)
class SeedPlan:
    main_count: int
    twin_count: int
    bursts: int  # distinct seconds the main user's conversations are created in
    messages: int = 2  # oldest conversations that get a new message after the bursts
    renames: int = 1  # the next oldest, renamed right after
    owned: int = 2  # conversations of each special user (non-ASCII, special characters)
    # Conversations of the main user made and deleted again, at the ends and in the middle of every
    # order: the first created, one in the middle burst, one renamed last, the last created.
    lifecycle: bool = True


@dataclass(frozen=True, slots=True)
class Profile:
    name: str
    examples: int  # hypothesis examples per semantic property
    generated_examples: int  # schemathesis-generated requests per generation mode
    derandomize: bool
    time_budget_s: float  # the whole run; checks not started by then are skipped and the verdict is error
    bursts: int  # distinct seconds the main user's conversations are made in
    lifecycle_examples: int = 3  # sequences the lifecycle state machine runs
    lifecycle_steps: int = 8  # steps per sequence at most
    # Sequences the lifecycle machine may run in all: the examples, those the target would not let be
    # judged, and the replays hypothesis makes to shrink a failure. Its cost is bounded by this, in work.
    lifecycle_runs: int = 12
    # A walk at a boundary limit whose full walk would take more pages stops after this many and is
    # judged as a window (oracles/window.py) against the full walks at the larger limits: small limits
    # cost a few pages, not one per conversation per sort. None: every boundary limit walks the list.
    boundary_walk_pages: int | None = None

    def seed_plan(self, contract: Contract) -> SeedPlan:
        """Enough conversations to cross page boundaries at every limit tested, from the spec's numbers.

        Past the maximum page (maximum + 2), so that even a full page at the maximum is followed by
        more: a server that serves fewer items than asked at a large limit cannot hide behind a small
        data set; and, from there, the first size whose walks at some limits (walked in full, within
        ``boundary_walk_pages``) end with a full page followed by none, one and two more conversations,
        so PAGE-02 judges has_more at each (spec.boundaries.size_with_every_remainder; 106 for 1..100).
        Without a maximum: past the default page.
        """
        if contract.limit.maximum is not None:
            count = contract.limit.maximum + 2
            if contract.limit.bounded:
                count = size_with_every_remainder(contract.limit, at_least=count, max_pages=self.boundary_walk_pages)
        else:
            default = contract.limit.default or contract.limit.minimum or 10
            count = default + default // 2 + 3
        return SeedPlan(main_count=count, twin_count=3, bursts=self.bursts)


PROFILES: dict[str, Profile] = {
    "quick": Profile("quick", examples=12, generated_examples=40, derandomize=False, time_budget_s=900.0, bursts=2,
                     lifecycle_examples=3, lifecycle_steps=8, lifecycle_runs=12, boundary_walk_pages=8),
    "full": Profile("full", examples=60, generated_examples=150, derandomize=True, time_budget_s=3600.0, bursts=4,
                    lifecycle_examples=25, lifecycle_steps=20, lifecycle_runs=60),
}


def profile_named(name: str) -> Profile:
    try:
        return PROFILES[name]
    except KeyError:
        from ..errors import UsageError

        raise UsageError(f"unknown profile {name!r}: choose {' or '.join(PROFILES)}") from None
