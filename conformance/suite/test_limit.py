"""LIMIT-01, LIMIT-03, LIMIT-04: every in-range limit is served exactly; the default applies; the
response says the limit in effect. First pages only: walks judge later pages (test_page)."""

from __future__ import annotations

import pytest

from conformance.config.profiles import Profile
from conformance.data.dataset import Dataset
from conformance.http.api import ServiceApi
from conformance.model.results import Violation
from conformance.oracles import Inconclusive, violation
from conformance.oracles.page import parse_page
from conformance.run.executor import Probes, draw_examples
from conformance.spec import boundaries
from conformance.spec.catalogue import Req
from conformance.spec.contract import Contract, LimitRule
from conformance.suite import strategies


def _first_page_violations(api: ServiceApi, dataset: Dataset, limit: int) -> list[Violation]:
    exchange = api.list(user=dataset.users.main, limit=limit)
    if exchange.status_code == 429:
        raise Inconclusive(f"{exchange.describe()}: still throttled (429) after retries, not an answer to limit")
    if exchange.status_code is not None and 400 <= exchange.status_code < 500:
        return [violation(Req.LIMIT_01, f"limit={limit} is within the spec's bounds but was refused", exchange)]
    page = parse_page(exchange)
    found: list[Violation] = []
    wanted = min(limit, dataset.total)
    if len(page.items) != wanted:
        found.append(violation(Req.LIMIT_01, f"limit={limit} with {dataset.total} conversations: {len(page.items)} "
                               f"items, expected {wanted}", exchange))
    if page.limit != limit:
        found.append(violation(Req.LIMIT_04, f"limit={limit} was asked, the response says limit={page.limit!r}",
                               exchange))
    return found


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

    def default_page() -> list[Violation]:
        page = parse_page(exchange := api.list(user=dataset.users.main))
        found: list[Violation] = []
        if len(page.items) != min(default, dataset.total):
            found.append(violation(Req.LIMIT_03, f"no limit given, default {default}, {dataset.total} "
                                   f"conversations: {len(page.items)} items", exchange))
        if page.limit != default:
            found.append(violation(Req.LIMIT_03, f"no limit given: the response says limit={page.limit!r}, "
                                   f"the spec's default is {default}", exchange))
        return found

    probes.judge(default_page)
