"""The order of one page (SORT-01, SORT-02), and which requirement a wrong order or size breaks."""

from __future__ import annotations

import pytest

from conformance.oracles import Inconclusive, order_requirement, size_requirement
from conformance.oracles.sorting import page_order_violations
from conformance.spec.catalogue import Req

from .conftest import exchange, item


def listing(items):
    return exchange(200, {"limit": 20, "has_more": False, "data": list(items)})


def test_the_requirement_follows_whether_the_request_named_the_value():
    assert order_requirement(True) is Req.SORT_01 and order_requirement(False) is Req.SORT_02
    assert size_requirement(True) is Req.LIMIT_01 and size_requirement(False) is Req.LIMIT_03


def test_a_page_in_order_passes_with_ties_in_any_order():
    page = listing([item("a", 3), item("c", 3), item("b", 3), item("d", 1)])
    assert page_order_violations(page, sort_value="-created_at", sort_explicit=True) == []


def test_a_page_out_of_order_is_sort_01_when_asked_and_sort_02_by_default():
    page = listing([item("a", 1), item("b", 3), item("c", 2)])
    (asked,) = page_order_violations(page, sort_value="created_at", sort_explicit=True)
    assert asked.requirement is Req.SORT_01 and "item 3 has created_at=2 after created_at=3" in asked.message
    assert asked.request == page.curl()
    (default,) = page_order_violations(page, sort_value="created_at", sort_explicit=False)
    assert default.requirement is Req.SORT_02 and "no sort_by (default created_at)" in default.message


def test_no_order_to_observe_decides_nothing():
    with pytest.raises(Inconclusive):
        page_order_violations(listing([]), sort_value="-updated_at", sort_explicit=True)
    with pytest.raises(Inconclusive) as untyped:
        page_order_violations(listing([{"id": "a", "updated_at": "soon"}]), sort_value="-updated_at",
                              sort_explicit=True)
    assert untyped.value.owners == (Req.SCHEMA_01, Req.SCHEMA_02)
    with pytest.raises(Inconclusive) as failed:
        page_order_violations(exchange(500, {"code": "x"}), sort_value="-updated_at", sort_explicit=True)
    assert failed.value.owners == (Req.ROBUST_01,)
