"""STABLE-01's oracle: the same request twice, the same body."""

from __future__ import annotations

import pytest

from conformance.oracles import Inconclusive
from conformance.oracles.lifecycle import judge_repeat
from conformance.oracles.stability import repeat_violations
from conformance.spec.catalogue import Req

from .conftest import exchange, item


def answer(items, status=200):
    return exchange(status, {"limit": 2, "has_more": False, "data": list(items)})


def test_the_same_body_twice_is_stable():
    one = answer([item("x", 1), item("y", 1)])
    assert repeat_violations(one, answer([item("x", 1), item("y", 1)]), "w") == []


def test_json_is_compared_as_json_not_as_bytes():
    spaced = exchange(200, b'{"data": [], "has_more": false, "limit": 2}')
    packed = exchange(200, b'{"limit":2,"has_more":false,"data":[]}')
    assert repeat_violations(spaced, packed, "w") == []


def test_ties_served_in_another_order_the_second_time_are_stable_01_with_the_second_as_evidence():
    one, two = answer([item("x", 1), item("y", 1)]), answer([item("y", 1), item("x", 1)])
    (found,) = repeat_violations(one, two, "sort_by=None")
    assert found.requirement == Req.STABLE_01 and found.message.startswith("sort_by=None:")
    assert found.body_excerpt == two.excerpt() and '"x"' in found.message  # the first body quoted


def test_bodies_that_are_not_json_are_compared_byte_for_byte():
    one = exchange(200, b"<html>a</html>", content_type="text/html")
    assert repeat_violations(one, exchange(200, b"<html>a</html>", content_type="text/html"), "w") == []
    assert [v.requirement for v in repeat_violations(one, exchange(200, b"<html>b</html>"), "w")] == [Req.STABLE_01]


def test_anything_but_two_pages_decides_nothing():
    with pytest.raises(Inconclusive):
        repeat_violations(answer([]), exchange(503, {"code": "x"}), "w")
    with pytest.raises(Inconclusive):
        repeat_violations(exchange(404, {"code": "x"}), exchange(404, {"code": "x"}), "w")
    # The lifecycle judges the same rule and leaves the undecided pair to ROBUST-01.
    assert judge_repeat(answer([]), exchange(503, {"code": "x"}), "w") == []
