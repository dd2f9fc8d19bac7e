"""SORT-01 and SORT-02: each enum value orders by its field in its direction; no sort_by means the
spec's default order. Equal values may come in any order."""

from __future__ import annotations

import pytest

from conformance.data.dataset import Dataset
from conformance.http.api import ServiceApi
from conformance.model.results import Violation
from conformance.oracles.sorting import page_order_violations
from conformance.run.executor import Probes
from conformance.run.runstate import state_of
from conformance.spec.contract import Contract


def _order_violations(api: ServiceApi, dataset: Dataset, *, sort_by: str | None, judged_as: str,
                      limit: int | None) -> list[Violation]:
    exchange = api.list(user=dataset.users.main, sort_by=sort_by, limit=limit)
    return page_order_violations(exchange, sort_value=judged_as, sort_explicit=sort_by is not None)


def _enum(contract: Contract) -> tuple[str, ...]:
    if not contract.sort.values:
        pytest.skip("the spec gives sort_by no enum")
    return contract.sort.values


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "sort_value" in metafunc.fixturenames:
        values = state_of(metafunc.config).contract.sort.values
        metafunc.parametrize("sort_value", values or ["(none)"], ids=[f"sort_by={v}" for v in values] or None)


def test_each_sort_value_orders_by_its_field(probes: Probes, api: ServiceApi, contract: Contract, dataset: Dataset,
                                             sort_value: str) -> None:
    """Items come ordered by the sort_by field, in its direction"""
    _enum(contract)
    if not contract.sortable(sort_value):
        pytest.skip(f"items carry no {sort_value.lstrip('-')} field in the spec: the order cannot be observed")
    probes.judge(lambda: _order_violations(api, dataset, sort_by=sort_value, judged_as=sort_value,
                                           limit=contract.limit.maximum))


def test_without_sort_by_the_default_order_applies(probes: Probes, api: ServiceApi, contract: Contract,
                                                   dataset: Dataset) -> None:
    """Without sort_by, items come in the spec's default order"""
    default = contract.sort.default
    if not default:
        pytest.skip("the spec gives sort_by no default")
    probes.judge(lambda: _order_violations(api, dataset, sort_by=None, judged_as=default,
                                           limit=contract.limit.maximum))
