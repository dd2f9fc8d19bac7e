"""USER-01 (optional form) and USER-02 judged over hand-made answers (oracles/users.py)."""

from __future__ import annotations

import pytest

from conformance.oracles import Inconclusive
from conformance.oracles.users import (
    foreign_cursor_violation,
    foreign_items_violation,
    near_miss_violations,
    odd_user_violations,
    own_list_violations,
    owner_violations,
    shared_items_violation,
    without_user_violations,
)
from conformance.oracles.walk import Walk

from .conftest import exchange, item, parse_page


def listing(*ids: str, status: int = 200):
    return exchange(status, {"limit": 20, "has_more": False, "data": [item(i, 1) for i in ids]})


def ids_of(found):
    return [v.requirement for v in found]


def test_a_users_page_holds_their_own_only_a_deleted_one_is_data_01_anyone_elses_user_02():
    answer = listing("a1", "d1", "b1")
    page = parse_page(answer)
    assert own_list_violations("alice", None, parse_page(listing("a1")), answer, {"a1"}, set()) == []
    found = own_list_violations("alice", "-updated_at", page, answer, {"a1"}, {"d1"})
    assert ids_of(found) == ["DATA-01", "USER-02"]
    assert "d1" in found[0].message and "b1" in found[1].message and "sort_by=-updated_at" in found[1].message


def test_without_user_a_refusal_or_our_data_is_user_01_a_server_error_is_undecided():
    assert ids_of(without_user_violations(listing(status=400), {"a1"})) == ["USER-01"]
    assert ids_of(without_user_violations(listing("a1", "x"), {"a1"})) == ["USER-01"]
    assert without_user_violations(listing("x"), {"a1"}) == []
    with pytest.raises(Inconclusive):
        without_user_violations(listing(status=503), {"a1"})
    with pytest.raises(Inconclusive):
        without_user_violations(listing(status=429), {"a1"})


def test_a_near_miss_id_sees_none_of_ours():
    assert near_miss_violations("alic_", "alice", listing("x"), {"a1"}) == []
    (found,) = near_miss_violations("alic_", "alice", listing("a1"), {"a1"})
    assert found.requirement == "USER-02" and "'alic_'" in found.message


def test_an_odd_id_may_be_refused_never_answered_5xx_nor_served_our_data():
    assert odd_user_violations("NUL", listing(status=400), {"a1"}) == []
    assert ids_of(odd_user_violations("NUL", listing(status=500), {"a1"})) == ["ROBUST-01"]
    assert ids_of(odd_user_violations("NUL", listing("a1"), {"a1"})) == ["USER-02"]
    assert odd_user_violations("NUL", listing("x"), {"a1"}) == []
    for status in (None, 429):
        with pytest.raises(Inconclusive):
            odd_user_violations("NUL", exchange(status, {}), {"a1"})


def test_an_owner_is_listed_exactly_their_conversations():
    assert owner_violations("zoë", ("z1", "z2"), listing("z1", "z2"), set()) == []
    found = owner_violations("zoë", ("z1", "z2"), listing("z1", "a1"), set())
    assert sorted(ids_of(found)) == ["DATA-01", "USER-02"]


def test_a_foreign_cursor_served_that_users_data_is_user_02_else_page_03_unless_the_cursor_is_listed_as_ours():
    served = listing("b2")
    assert foreign_items_violation("alice", parse_page(served), served, {"b2"}).requirement == "USER-02"
    assert foreign_items_violation("alice", parse_page(listing("a1")), served, {"b2"}) is None
    page = listing()
    assert foreign_cursor_violation("alice", "b1", page, None).requirement == "PAGE-03"
    holding = listing("a1", "b1")
    isolation = foreign_cursor_violation("alice", "b1", page, holding)
    assert isolation.requirement == "USER-02" and isolation.request == holding.curl()


def test_read_only_lists_of_two_users_must_be_disjoint_one_violation_at_the_first_shared_page():
    first, second = parse_page(listing("a1", "a2")), parse_page(listing("s1"))
    walks = {None: Walk("", 20, False, (first, second), "empty"), "-updated_at": Walk("-updated_at", 20, True,
                                                                                       (second,), "empty")}
    assert shared_items_violation("alice", walks, "bob", {"b1"}) == []
    (found,) = shared_items_violation("alice", walks, "bob", {"s1", "b1"})
    assert found.requirement == "USER-02" and "s1" in found.message and "'bob'" in found.message
    assert found.request == second.exchange.curl()
