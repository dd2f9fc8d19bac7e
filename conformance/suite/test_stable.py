"""STABLE-01: the same request, repeated with no write in between, returns the same body."""

from __future__ import annotations

from conformance.api import ListParams, ServiceApi
from conformance.checks import SoftChecks
from conformance.contract import Contract
from conformance.dataset import Dataset
from conformance.oracles import Inconclusive, violation
from conformance.oracles.page import parse_page


def test_repeated_requests_return_the_same_body(api: ServiceApi, contract: Contract, dataset: Dataset) -> None:
    """First pages under every sort, and a cursor page, asked twice: the same body"""
    soft = SoftChecks()
    # A limit below the total puts a page boundary inside the data, where an unstable tie shows.
    limit = max(contract.limit.minimum or 1, min(dataset.total - 1, contract.limit.default or 1))
    for sort_by in (None, *contract.sort.values):
        params: ListParams = {"user": dataset.users.main, "sort_by": sort_by, "limit": limit}
        try:
            first = parse_page(api.list(**params))
        except Inconclusive as error:
            soft.undecidable(error)
            continue
        variants: list[ListParams] = [params] + (
            [{**params, "last_id": first.last_id}] if first.last_id and first.has_more else [])
        for variant in variants:
            one, two = api.list(**variant), api.list(**variant)
            if one.status_code != 200 or two.status_code != 200:
                soft.undecidable(Inconclusive(f"{one.describe()} / {two.status_code}: not two pages to compare"))
                continue
            same = one.json_or_none() == two.json_or_none() if one.json_or_none() is not None else one.body == two.body
            soft.add([] if same else [violation("STABLE-01", f"the same request (sort_by={sort_by}, "
                                                f"last_id={variant.get('last_id')}) returned a different body the "
                                                f"second time: {two.excerpt(300)}", one)])
    soft.finish()
