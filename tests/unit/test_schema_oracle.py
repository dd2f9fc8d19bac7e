"""SCHEMA-01 holds a 200 to the spec's schema, formats included, and accepts what a conforming
server may send: extra fields, charset parameters, null only where the spec
says nullable, and for introduction (the named allowance)."""

from __future__ import annotations

import json

import pytest

from conformance.model.exchange import Exchange
from conformance.oracles.schema import ResponseValidator
from conformance.spec.catalogue import Req
from conformance.spec.contract import load_contract
from conftest import DIFY_SPECS

ITEM = {"id": "0b9b7a36-2d36-4f55-9a64-6a2f6f8d5e11", "name": "n", "inputs": {}, "status": "normal",
        "introduction": "hi", "created_at": 1705407629, "updated_at": 1705411229}


def _page(items, content_type="application/json; charset=utf-8", **body):
    payload = {"limit": 20, "has_more": False, "data": items, **body}
    return Exchange(kind="list", method="GET", base_url="http://t/v1", path="/conversations", status_code=200,
                    response_headers=(("Content-Type", content_type),), body=json.dumps(payload).encode())


@pytest.fixture(params=[None, "openapi_chatflow.en.2026-07-03.json", "openapi_service.en.2026-07-22.json"],
                ids=["seed", "2026-07-03", "service-2026-07-22"])
def validator(request):
    return ResponseValidator(load_contract(DIFY_SPECS / request.param if request.param else None))


def test_a_conforming_page_passes(validator):
    assert validator.crosscut(_page([ITEM])) == []


def test_null_introduction_and_extra_fields_pass_every_spec(validator):
    item = {**ITEM, "introduction": None, "extra_field": [1, 2]}
    assert validator.crosscut(_page([item], extra="x")) == []


def test_null_where_a_value_is_required_by_type_still_fails(validator):
    [found] = validator.schema_violations(_page([{**ITEM, "created_at": "2024-01-16T12:00:29Z"}]))
    assert found.requirement == Req.SCHEMA_01 and "created_at" in found.message


def test_a_malformed_id_fails_the_format(validator):
    [found] = validator.schema_violations(_page([{**ITEM, "id": "not-a-uuid"}]))
    assert found.requirement == Req.SCHEMA_01 and "uuid" in found.message


def test_a_missing_property_is_schema_02_not_01(validator):
    item = {k: v for k, v in ITEM.items() if k != "introduction"}
    assert validator.schema_violations(_page([item])) == []
    [found] = validator.missing_properties(_page([item]))
    assert found.requirement == Req.SCHEMA_02 and "data[0].introduction" in found.message


def _plain_messages(contract, exchange):
    """SCHEMA-01's message from a validator without the valid-items memo: the reference verdict."""
    from openapi_schema_validator import OAS30Validator, OAS31Validator, oas30_format_checker, oas31_format_checker

    from conformance.oracles.schema import without_allowed_nulls

    base, checker = ((OAS30Validator, oas30_format_checker) if contract.openapi_version.startswith("3.0")
                     else (OAS31Validator, oas31_format_checker))
    plain = base(contract.response_schema, format_checker=checker)
    errors = sorted(plain.iter_errors(without_allowed_nulls(exchange.json, contract.response_schema)),
                    key=lambda e: list(e.absolute_path))
    return [(list(e.absolute_path), e.message) for e in errors]


def test_items_seen_valid_before_keep_every_verdict(validator):
    """The memo of valid items changes no verdict: pages repeating valid items, then the same items
    made invalid in ways equal under Python's == (1 for true, 1.0 for 1), judged as without it."""
    other = {**ITEM, "id": "1b9b7a36-2d36-4f55-9a64-6a2f6f8d5e11"}
    one = {**ITEM, "created_at": 1}
    pages = [[ITEM, other, one], [other, ITEM, ITEM, one],
             [ITEM, {**one, "created_at": True}], [{**one, "created_at": 1.0}, other],
             [{**ITEM, "id": "not-a-uuid"}, ITEM], [ITEM, {**ITEM, "name": 1}], [ITEM, other]]
    for items in pages * 2:
        exchange = _page(items)
        expected = _plain_messages(validator.contract, exchange)
        found = validator.schema_violations(exchange)
        assert bool(found) == bool(expected)
        for path, message in expected[:3]:
            assert message in found[0].message and str(path[-1]) in found[0].message


def _dropped_by_definition(instance, schema):
    """without_allowed_nulls as its docstring defines it, written plainly: the reference for the fast one."""
    from conformance.oracles.schema import NULL_ALLOWED

    if isinstance(instance, list) and isinstance(schema.get("items"), dict):
        return [_dropped_by_definition(item, schema["items"]) for item in instance]
    properties = schema.get("properties")
    if not isinstance(instance, dict) or not isinstance(properties, dict):
        return instance
    required = set(schema.get("required") or ())
    return {name: _dropped_by_definition(value, properties.get(name) or {}) for name, value in instance.items()
            if not (value is None and name in NULL_ALLOWED and name in properties and name not in required)}


def test_only_the_named_allowance_drops_a_null():
    from conformance.oracles.schema import without_allowed_nulls

    schema = {"type": "object", "required": ["must"], "properties": {
        "must": {"type": "string"}, "may": {"type": "string"}, "introduction": {"type": "string"},
        "data": {"type": "array", "items": {"type": "object", "required": ["id"], "properties": {
            "id": {}, "note": {}, "introduction": {}, "meta": {"type": "object", "properties": {"x": {}}}}}},
        "plain": {"type": "object"}}}
    bodies = [
        {"must": None, "may": None, "extra": None, "introduction": None, "plain": {"x": None}},
        {"data": [{"id": None, "note": None, "introduction": None, "meta": {"x": None}}, None, [None], 3]},
        {"data": None, "may": "v", "plain": None}, [None, {"may": None}], None, "text",
    ]
    for body in bodies:
        assert without_allowed_nulls(body, schema) == _dropped_by_definition(body, schema)
    assert without_allowed_nulls(bodies[0], schema) == {"must": None, "may": None, "extra": None,
                                                        "plain": {"x": None}}
    assert without_allowed_nulls(bodies[2], schema) == bodies[2]  # data: null is judged


def test_data_null_fails_schema_01_in_every_spec(validator):
    [found] = validator.schema_violations(_page(None))
    assert found.requirement == Req.SCHEMA_01 and "data" in found.message
