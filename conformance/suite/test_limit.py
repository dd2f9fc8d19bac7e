"""LIMIT-01, LIMIT-03, LIMIT-04: every in-range limit is served exactly; the default applies; the
response says the limit in effect. First pages only: walks judge later pages (test_page)."""

from __future__ import annotations

import pytest
from hypothesis import given

from conformance import strategies
from conformance.api import ServiceApi
from conformance.checks import SoftChecks, decided, expect, run_property
from conformance.contract import Contract, LimitRule
from conformance.dataset import Dataset
from conformance.oracles import Inconclusive, violation
from conformance.oracles.page import parse_page
from conformance.results import Violation


def _first_page_violations(api: ServiceApi, dataset: Dataset, limit: int) -> list[Violation]:
    exchange = api.list(user=dataset.users.main, limit=limit)
    if exchange.status_code == 429:
        raise Inconclusive(f"{exchange.describe()}: still throttled (429) after retries, not an answer to limit")
    if exchange.status_code is not None and 400 <= exchange.status_code < 500:
        return [violation("LIMIT-01", f"limit={limit} is within the spec's bounds but was refused", exchange)]
    page = parse_page(exchange)
    found: list[Violation] = []
    wanted = min(limit, dataset.total)
    if len(page.items) != wanted:
        found.append(violation("LIMIT-01", f"limit={limit} with {dataset.total} conversations: {len(page.items)} "
                               f"items, expected {wanted}", exchange))
    if page.limit != limit:
        found.append(violation("LIMIT-04", f"limit={limit} was asked, the response says limit={page.limit!r}",
                               exchange))
    return found


@pytest.fixture
def bounded(contract: Contract) -> LimitRule:
    if not contract.limit.bounded:
        pytest.skip("the spec gives limit no minimum and maximum")
    return contract.limit


def test_boundary_limits_are_served_exactly(api: ServiceApi, dataset: Dataset, bounded: LimitRule) -> None:
    """Each bound, its neighbour, the default, the total and its divisors: exactly min(limit, total) items"""
    soft = SoftChecks()
    for limit in strategies.boundary_limits(bounded, total=dataset.total):
        try:
            soft.add(_first_page_violations(api, dataset, limit))
        except Inconclusive as error:
            soft.undecidable(error)
    soft.finish()


def test_random_limits_are_served_exactly(api: ServiceApi, dataset: Dataset, bounded: LimitRule) -> None:
    """Random in-range limits: exactly min(limit, total) items, limit echoed (property)"""

    @given(limit=strategies.valid_limits(bounded))
    def served(limit: int) -> None:
        decided(lambda: _first_page_violations(api, dataset, limit))

    run_property(served)


def test_the_default_limit_applies(api: ServiceApi, contract: Contract, dataset: Dataset) -> None:
    """Without limit: min(default, total) items and the response says the default"""
    default = contract.limit.default
    if default is None:
        pytest.skip("the spec gives limit no default")
    try:
        page = parse_page(exchange := api.list(user=dataset.users.main))
    except Inconclusive as error:
        pytest.skip(f"inconclusive: {error}")
    found: list[Violation] = []
    if len(page.items) != min(default, dataset.total):
        found.append(violation("LIMIT-03", f"no limit given, default {default}, {dataset.total} conversations: "
                               f"{len(page.items)} items", exchange))
    if page.limit != default:
        found.append(violation("LIMIT-03", f"no limit given: the response says limit={page.limit!r}, "
                               f"the spec's default is {default}", exchange))
    expect(found)
