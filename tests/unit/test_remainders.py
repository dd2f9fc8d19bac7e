"""PAGE-02 sees has_more after a full page followed by none, one and two more, at limits walked in full."""

from __future__ import annotations

from dataclasses import replace

import pytest

from conformance.config.profiles import PROFILES
from conformance.spec.boundaries import REMAINDERS, boundary_limits, remainder_limits
from conformance.spec.contract import LimitRule, load_contract


@pytest.mark.parametrize("bounds", [(1, 100, 20), (1, 50, 20), (1, 200, 20), (2, 37, 10), (1, 10, 5)])
@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_every_profile_walks_every_remainder_in_full(bounds, profile):
    low, high, default = bounds
    contract = load_contract(None)
    rule = LimitRule(low, high, default)
    chosen = PROFILES[profile]
    total = chosen.seed_plan(replace(contract, limit=rule)).main_count
    assert total > high  # a full page at the maximum is followed by more
    reached = remainder_limits(rule, total=total)
    assert sorted(reached) == list(REMAINDERS)
    limits = boundary_limits(rule, total=total)
    for remainder, limit in reached.items():
        assert limit in limits and total % limit == remainder and low <= limit <= high
        cap = chosen.boundary_walk_pages
        assert cap is None or -(-total // limit) <= cap  # walked in full, not as a window


def test_the_seed_spec_gives_106_conversations():
    assert PROFILES["quick"].seed_plan(load_contract(None)).main_count == 106
