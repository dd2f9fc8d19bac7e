"""PAGE-01 and PAGE-02 (with LIMIT-01 on later pages, SORT-01 inside pages, USER-02 for strangers):
walks that follow last_id visit every conversation exactly once, in order, with an exact has_more,
for every sort_by and many limits, over data where several conversations share a second."""

from __future__ import annotations

import pytest
from hypothesis import strategies as st

from conformance.config.profiles import Profile
from conformance.data.dataset import Dataset
from conformance.http.api import ServiceApi
from conformance.run.executor import Probes, draw_examples
from conformance.run.runstate import state_of
from conformance.spec import boundaries
from conformance.spec.contract import Contract
from conformance.suite.probes import effective_sort, judged_walk


def _sorts(contract: Contract) -> list[str | None]:
    return [*contract.sort.values, None]  # None: no sort_by, the default order


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "walk_sort" in metafunc.fixturenames:
        sorts = _sorts(state_of(metafunc.config).contract)
        metafunc.parametrize("walk_sort", sorts, ids=[f"sort_by={s}" if s else "default-sort" for s in sorts])


def test_walks_at_boundary_limits_visit_every_conversation_once(probes: Probes, api: ServiceApi, contract: Contract,
                                                                dataset: Dataset, profile: Profile,
                                                                walk_sort: str | None) -> None:
    """Walks at each boundary limit visit every conversation once, in order, has_more exact"""
    if not contract.limit.bounded:
        pytest.skip("the spec gives limit no bounds")
    limits = boundaries.boundary_limits(contract.limit, total=dataset.total)
    # Every walk at once (each one's pages in order); a walk that cannot be decided loses none of the others'.
    for found in dataset.judged_boundary_walks(api, limits, sort_by=walk_sort,
                                               effective_sort=effective_sort(contract, walk_sort),
                                               page_cap=profile.boundary_walk_pages, gather=probes.gather):
        probes.add(found)


def test_walk_at_the_default_limit(probes: Probes, api: ServiceApi, contract: Contract, dataset: Dataset,
                                   walk_sort: str | None) -> None:
    """A walk without limit (the default) visits every conversation once"""
    if contract.limit.default is None:
        pytest.skip("the spec gives limit no default")
    probes.judge(lambda: judged_walk(api, contract, dataset, sort_by=walk_sort, limit=None))


def test_random_walks_visit_every_conversation_once(probes: Probes, api: ServiceApi, contract: Contract,
                                                    dataset: Dataset, profile: Profile) -> None:
    """Walks at random limits and sorts visit every conversation once (property)"""
    low, top = contract.limit.minimum, contract.limit.maximum
    if low is None or top is None:  # what LimitRule.bounded says, spelled out so the bounds are ints below
        pytest.skip("the spec gives limit no bounds")
    high = max(low, min(top, dataset.total))
    # Drawn as a distance below the top: hypothesis' simplest draws are then large limits, short walks.
    limits = st.integers(min_value=0, max_value=high - low).map(lambda below: high - below)
    drawn = draw_examples(profile.examples, sort_by=st.sampled_from(_sorts(contract)), limit=limits)
    probes.each(drawn, lambda example: judged_walk(api, contract, dataset, sort_by=example["sort_by"],
                                                   limit=example["limit"]))
