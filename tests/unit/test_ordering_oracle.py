"""The ordering helpers every oracle shares: sort values, pairwise order, the first item out of order."""

from __future__ import annotations

from conformance.oracles.ordering import first_disorder, in_order, sort_key

from .conftest import item


def test_the_sort_key_is_the_integer_value_of_the_field():
    assert sort_key(item("a", 5, 9), "-updated_at") == 9
    assert sort_key(item("a", 5), "created_at") == 5
    assert sort_key({"id": "a", "created_at": "5"}, "created_at") is None
    assert sort_key({"id": "a", "created_at": True}, "created_at") is None
    assert sort_key({"id": "a"}, "created_at") is None


def test_in_order_follows_the_direction_and_lets_ties_and_unknowns_pass():
    early, late = item("a", 1), item("b", 2)
    assert in_order(early, late, "created_at") and not in_order(late, early, "created_at")
    assert in_order(late, early, "-created_at") and not in_order(early, late, "-created_at")
    assert in_order(early, item("c", 1), "-created_at")  # equal values in any order
    assert in_order(late, {"id": "d"}, "created_at")  # nothing to compare


def test_first_disorder_is_the_index_of_the_item_out_of_order():
    items = [item("a", 3), item("b", 3), item("c", 2), item("d", 4), item("e", 1)]
    assert first_disorder(items, "-created_at") == 3
    assert first_disorder(items[:3], "-created_at") is None
    assert first_disorder([], "created_at") is None
