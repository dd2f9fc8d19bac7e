"""PAGE-01 and PAGE-02 (with LIMIT-01 on later pages, SORT-01 inside pages, USER-02 for strangers):
walks that follow last_id visit every conversation exactly once, in order, with an exact has_more,
for every sort_by and many limits, over data where several conversations share a second."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance import strategies
from conformance.checks import SoftChecks, decided, expect, inconclusive, run_property
from conformance.oracles import Inconclusive
from conformance.probes import judge_main_walk, judged_walk, main_walk
from conformance.runstate import state_of


def _sorts(contract):
    return [*contract.sort.values, None]  # None: no sort_by, the default order


def _walk(api, contract, dataset, sort_by, limit):
    try:
        return judged_walk(api, contract, dataset, sort_by=sort_by, limit=limit)
    except Inconclusive as error:
        inconclusive(str(error))


def pytest_generate_tests(metafunc):
    if "walk_sort" in metafunc.fixturenames:
        sorts = _sorts(state_of(metafunc.config).contract)
        metafunc.parametrize("walk_sort", sorts, ids=[f"sort_by={s}" if s else "default-sort" for s in sorts])


def test_walks_at_boundary_limits_visit_every_conversation_once(api, contract, dataset, walk_sort):
    """Walks at each boundary limit visit every conversation once, in order, has_more exact"""
    if not contract.limit.bounded:
        pytest.skip("the spec gives limit no bounds")
    limits = strategies.boundary_limits(contract.limit, total=dataset.total)
    soft = SoftChecks()  # a walk that cannot be decided loses none of the others' violations
    if not dataset.owner_known:  # read-only: each limit walks a window of the list against the full walks
        for limit in limits:
            try:
                soft.add(judged_walk(api, contract, dataset, sort_by=walk_sort, limit=limit))
            except Inconclusive as error:
                soft.undecidable(error)
        soft.finish()
        return
    walks = []
    for limit in limits:
        try:
            walks.append(main_walk(api, contract, dataset, sort_by=walk_sort, limit=limit))
        except Inconclusive as error:
            soft.undecidable(error)
    # What one walk missed another may have seen: its sort value tells where the cursor lost it.
    seen = {item["id"]: item for walk in walks for page in walk.pages for item in page.items}
    for walk in walks:
        soft.add(judge_main_walk(walk, dataset, seen))
    soft.finish()


def test_walk_at_the_default_limit(api, contract, dataset, walk_sort):
    """A walk without limit (the default) visits every conversation once"""
    if contract.limit.default is None:
        pytest.skip("the spec gives limit no default")
    expect(_walk(api, contract, dataset, walk_sort, None))


def test_random_walks_visit_every_conversation_once(api, contract, dataset):
    """Walks at random limits and sorts visit every conversation once (property)"""
    if not contract.limit.bounded:
        pytest.skip("the spec gives limit no bounds")
    low = contract.limit.minimum
    high = max(low, min(contract.limit.maximum, dataset.total))
    # Drawn as a distance below the top, so that shrinking heads for large limits: short walks, and a
    # failing example is made minimal in a few requests instead of hundreds.
    limits = st.integers(min_value=0, max_value=high - low).map(lambda below: high - below)

    @given(sort_by=st.sampled_from(_sorts(contract)), limit=limits)
    def walk(sort_by, limit):
        decided(lambda: judged_walk(api, contract, dataset, sort_by=sort_by, limit=limit))

    run_property(walk)
