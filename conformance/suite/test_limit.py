"""LIMIT-01, LIMIT-03, LIMIT-04: every in-range limit is served exactly; the default applies; the
response says the limit in effect. First pages only: walks judge later pages (test_page)."""

from __future__ import annotations

import pytest

from conformance.config.profiles import Profile
from conformance.data.dataset import Dataset
from conformance.http.api import ServiceApi
from conformance.model.results import Violation
from conformance.oracles.limits import first_page_violations
from conformance.run.executor import Probes, draw_examples
from conformance.spec import boundaries
from conformance.spec.contract import Contract, LimitRule
from conformance.suite import strategies


def _first_page_violations(api: ServiceApi, dataset: Dataset, limit: int) -> list[Violation]:
    return first_page_violations(api.list(user=dataset.users.main, limit=limit), limit=limit, limit_explicit=True,
                                 total=dataset.total)


def _bounded(contract: Contract) -> LimitRule:
    if not contract.limit.bounded:
        pytest.skip("the spec gives limit no minimum and maximum")
    return contract.limit


def test_boundary_limits_are_served_exactly(probes: Probes, api: ServiceApi, contract: Contract,
                                            dataset: Dataset) -> None:
    """Each bound, its neighbour, the default, the total and its divisors: exactly min(limit, total) items"""
    probes.each(boundaries.boundary_limits(_bounded(contract), total=dataset.total),
                lambda limit: _first_page_violations(api, dataset, limit))


def test_random_limits_are_served_exactly(probes: Probes, api: ServiceApi, contract: Contract, dataset: Dataset,
                                          profile: Profile) -> None:
    """Random in-range limits: exactly min(limit, total) items, limit echoed (property)"""
    drawn = draw_examples(profile.examples, limit=strategies.valid_limits(_bounded(contract)))
    probes.each([d["limit"] for d in drawn], lambda limit: _first_page_violations(api, dataset, limit))


def test_the_default_limit_applies(probes: Probes, api: ServiceApi, contract: Contract, dataset: Dataset) -> None:
    """Without limit: min(default, total) items and the response says the default"""
    default = contract.limit.default
    if default is None:
        pytest.skip("the spec gives limit no default")
    probes.judge(lambda: first_page_violations(api.list(user=dataset.users.main), limit=default,
                                               limit_explicit=False, total=dataset.total))
