"""PAGE-01 and PAGE-02 (with LIMIT-01 on later pages, SORT-01 inside pages, USER-02 for strangers):
walks that follow last_id visit every conversation exactly once, in order, with an exact has_more,
for every sort_by and many limits, over data where several conversations share a second."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance import strategies
from conformance.api import ServiceApi
from conformance.checks import SoftChecks, decided, expect, inconclusive, run_property
from conformance.contract import Contract
from conformance.dataset import Dataset
from conformance.oracles import Inconclusive
from conformance.oracles.walk import Walk, shows_disorder
from conformance.oracles.window import judge_window
from conformance.probes import full_walk_pages, judge_main_walk, judged_walk, main_walk
from conformance.profiles import Profile
from conformance.results import Violation
from conformance.runstate import state_of


def _sorts(contract: Contract) -> list[str | None]:
    return [*contract.sort.values, None]  # None: no sort_by, the default order


def _walk(api: ServiceApi, contract: Contract, dataset: Dataset, sort_by: str | None,
          limit: int | None) -> list[Violation]:
    try:
        return judged_walk(api, contract, dataset, sort_by=sort_by, limit=limit)
    except Inconclusive as error:
        inconclusive(error)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "walk_sort" in metafunc.fixturenames:
        sorts = _sorts(state_of(metafunc.config).contract)
        metafunc.parametrize("walk_sort", sorts, ids=[f"sort_by={s}" if s else "default-sort" for s in sorts])


def test_walks_at_boundary_limits_visit_every_conversation_once(api: ServiceApi, contract: Contract, dataset: Dataset,
                                                                profile: Profile, walk_sort: str | None) -> None:
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
    cap = profile.boundary_walk_pages
    windowed = [limit for limit in limits if cap is not None and full_walk_pages(dataset.total, limit) > cap]
    walks: list[Walk] = []
    for limit in limits:
        if limit not in windowed:
            try:
                walks.append(main_walk(api, contract, dataset, sort_by=walk_sort, limit=limit))
            except Inconclusive as error:
                soft.undecidable(error)
    # What one walk missed another may have seen: its sort value tells where the cursor lost it.
    seen = {item["id"]: item for walk in walks for page in walk.pages for item in page.items}
    for walk in walks:
        soft.add(judge_main_walk(walk, dataset, seen))
    # The small limits walk the first pages only, held to the main user's list as listed (windowed walks
    # see no end: has_more and page sizes there are the full walks' to judge).
    mine = set(dataset.main_ids)
    reference = {c: item for c, item in {**dataset.items, **seen}.items() if c in mine}
    order_broken = any(shows_disorder(walk) for walk in walks)
    for limit in windowed:
        try:
            window = main_walk(api, contract, dataset, sort_by=walk_sort, limit=limit, pages=cap)
        except Inconclusive as error:
            soft.undecidable(error)
            continue
        soft.add(judge_window(window, reference=reference, owner_known=True, deleted=set(dataset.deleted_ids),
                              order_broken=order_broken))
    soft.finish()


def test_walk_at_the_default_limit(api: ServiceApi, contract: Contract, dataset: Dataset,
                                   walk_sort: str | None) -> None:
    """A walk without limit (the default) visits every conversation once"""
    if contract.limit.default is None:
        pytest.skip("the spec gives limit no default")
    expect(_walk(api, contract, dataset, walk_sort, None))


def test_random_walks_visit_every_conversation_once(api: ServiceApi, contract: Contract, dataset: Dataset) -> None:
    """Walks at random limits and sorts visit every conversation once (property)"""
    low, top = contract.limit.minimum, contract.limit.maximum
    if low is None or top is None:  # what LimitRule.bounded says, spelled out so the bounds are ints below
        pytest.skip("the spec gives limit no bounds")
    high = max(low, min(top, dataset.total))
    # Drawn as a distance below the top, so that shrinking heads for large limits: short walks, and a
    # failing example is made minimal in a few requests instead of hundreds.
    limits = st.integers(min_value=0, max_value=high - low).map(lambda below: high - below)

    @given(sort_by=st.sampled_from(_sorts(contract)), limit=limits)
    def walk(sort_by: str | None, limit: int) -> None:
        decided(lambda: judged_walk(api, contract, dataset, sort_by=sort_by, limit=limit))

    run_property(walk)
