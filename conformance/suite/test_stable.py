"""STABLE-01: the same request, repeated with no write in between, returns the same body."""

from __future__ import annotations

from conformance.data.dataset import Dataset
from conformance.http.api import ListParams, ServiceApi
from conformance.model.results import Violation
from conformance.oracles.page import parse_page
from conformance.oracles.stability import repeat_violations
from conformance.run.executor import Probes
from conformance.spec.contract import Contract


def test_repeated_requests_return_the_same_body(probes: Probes, api: ServiceApi, contract: Contract,
                                                dataset: Dataset) -> None:
    """First pages under every sort, and a cursor page, asked twice: the same body"""
    # A limit below the total puts a page boundary inside the data, where an unstable tie shows.
    limit = max(contract.limit.minimum or 1, min(dataset.total - 1, contract.limit.default or 1))

    def twice(params: ListParams) -> list[Violation]:
        one, two = api.list(**params), api.list(**params)
        return repeat_violations(one, two, f"sort_by={params.get('sort_by')}, last_id={params.get('last_id')}")

    def first_and_next(sort_by: str | None) -> list[ListParams]:
        params: ListParams = {"user": dataset.users.main, "sort_by": sort_by, "limit": limit}
        first = parse_page(api.list(**params))
        return [params] + ([{**params, "last_id": first.last_id}] if first.last_id and first.has_more else [])

    firsts = probes.gather((None, *contract.sort.values), first_and_next)
    probes.each([params for variants in firsts if variants for params in variants], twice)
