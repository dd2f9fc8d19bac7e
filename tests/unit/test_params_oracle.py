"""Which query values oblige a rejection, and which are ambiguous (never cry wolf)."""

from __future__ import annotations

import pytest

from conformance.oracles.params import classify_limit, rejection_obligations
from conformance.spec.catalogue import Req
from conformance.spec.contract import load_contract


@pytest.fixture(scope="module")
def contract():
    return load_contract()


@pytest.mark.parametrize("raw, expected", [
    ("5", 5), ("-1", -1), ("+7", 7), ("007", 7), ("1.5", "non-integer"), ("abc", "non-integer"),
    ("NaN", "non-integer"), ("inf", "non-integer"), ("1.0", None), ("1e2", None), (" 5", None), ("", None),
    ("１０", None), ("1_0", None),
])
def test_classify_limit(raw, expected):
    assert classify_limit(raw) == expected


def ids(params, contract):
    return [r for r, _ in rejection_obligations(params, contract)]


def test_bounds_and_types_come_from_the_spec(contract):
    assert ids([("user", "u"), ("limit", "0")], contract) == [Req.LIMIT_02]
    assert ids([("user", "u"), ("limit", "101")], contract) == [Req.LIMIT_02]
    assert ids([("user", "u"), ("limit", "100")], contract) == []
    assert ids([("user", "u"), ("limit", "2.5")], contract) == [Req.LIMIT_05]


def test_sort_and_user(contract):
    assert ids([("user", "u"), ("sort_by", "name")], contract) == [Req.SORT_03]
    assert ids([("user", "u"), ("sort_by", " created_at")], contract) == []  # padded: either reading is fine
    assert ids([("user", "u"), ("sort_by", "")], contract) == []
    assert ids([("limit", "5")], contract) == [Req.USER_01]


def test_a_parameter_given_twice_obliges_nothing(contract):
    assert ids([("user", "u"), ("limit", "0"), ("limit", "5")], contract) == []


def test_an_optional_user_may_be_missing():
    from conftest import DIFY_SPECS

    optional = load_contract(DIFY_SPECS / "openapi_chatflow.en.2026-07-03.json")
    assert ids([("limit", "5")], optional) == []


def test_the_parameters_are_read_by_the_operations_names(contract):
    from dataclasses import replace

    renamed = replace(contract, operation=replace(contract.operation, user="who", limit="size", sort="order"))
    assert ids([("who", "u"), ("size", "0")], renamed) == [Req.LIMIT_02]
    assert ids([("who", "u"), ("order", "name")], renamed) == [Req.SORT_03]
    # Dify's names are other parameters here: the required user is missing, nothing else obliges a 4xx.
    assert ids([("user", "u"), ("limit", "0"), ("sort_by", "name")], renamed) == [Req.USER_01]
    assert rejection_obligations([("size", "2.5"), ("who", "u")], renamed) == [(Req.LIMIT_05,
                                                                              "size='2.5' is not an integer")]
