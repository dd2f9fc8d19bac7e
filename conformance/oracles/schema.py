"""SCHEMA-01 and SCHEMA-02: is a 200 list response JSON, valid against the spec's schema, and complete?"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from typing import Any

from jsonschema import ValidationError
from jsonschema.validators import extend
from openapi_schema_validator import OAS30Validator, OAS31Validator, oas30_format_checker, oas31_format_checker

from ..model.exchange import Exchange
from ..model.results import Violation
from ..spec.catalogue import Req
from ..spec.contract import Contract
from . import violation
from .timestamps import listed_timestamp_violations

__all__ = ["ResponseValidator", "is_json_media_type", "NULL_ALLOWED", "without_allowed_nulls"]

_MAX_ERRORS_SHOWN = 3


def is_json_media_type(content_type: str) -> bool:
    """``application/json`` or a ``+json`` type, parameters (charset, ...) allowed."""
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type == "application/json" or (media_type.startswith("application/") and media_type.endswith("+json"))


class ResponseValidator:
    """Validates list responses against one contract's 200 schema, formats included."""

    def __init__(self, contract: Contract) -> None:
        self.contract = contract
        base, checker = ((OAS30Validator, oas30_format_checker) if contract.openapi_version.startswith("3.0")
                         else (OAS31Validator, oas31_format_checker))
        validator_class = extend(base, {"items": _ValidItemsMemo(base.VALIDATORS["items"])})
        self._validator: Any = validator_class(contract.response_schema, format_checker=checker)

    def schema_violations(self, exchange: Exchange) -> list[Violation]:
        """SCHEMA-01 for one 200 response (other statuses are not judged here)."""
        if exchange.status_code != 200:
            return []
        if not is_json_media_type(exchange.content_type):
            return [violation(Req.SCHEMA_01, f"a 200 response with Content-Type {exchange.content_type or '(none)'!r}, "
                              "not JSON", exchange)]
        if exchange.truncated:
            return [violation(Req.SCHEMA_01, "a 200 response body larger than the size cap", exchange)]
        try:
            body = exchange.json
        except ValueError as exc:
            return [violation(Req.SCHEMA_01, f"a 200 response whose body is not JSON ({exc})", exchange)]
        errors = sorted(self._validator.iter_errors(without_allowed_nulls(body, self.contract.response_schema)),
                        key=lambda e: list(e.absolute_path))
        if not errors:
            return []
        shown = "; ".join(f"{_path(e.absolute_path)}: {e.message}" for e in errors[:_MAX_ERRORS_SHOWN])
        more = f" (and {len(errors) - _MAX_ERRORS_SHOWN} more)" if len(errors) > _MAX_ERRORS_SHOWN else ""
        return [violation(Req.SCHEMA_01, f"the body does not match the spec's schema: {shown}{more}", exchange)]

    def crosscut(self, exchange: Exchange) -> list[Violation]:
        """What every 200 list response of the run is held to: SCHEMA-01, SCHEMA-02, and SCHEMA-03's
        plausibility and order of each listed item's timestamps."""
        return (self.schema_violations(exchange) + self.missing_properties(exchange)
                + listed_timestamp_violations(exchange))

    def missing_properties(self, exchange: Exchange) -> list[Violation]:
        """SCHEMA-02: every property the schema documents, present in the body and in each item."""
        body = exchange.json_or_none() if exchange.status_code == 200 else None
        if not isinstance(body, dict):
            return []
        missing = [f"body.{name}" for name in self.contract.body_properties if name not in body]
        data = body.get("data")
        items: list[Any] = data if isinstance(data, list) else []
        for index, item in enumerate(items):
            if isinstance(item, dict):
                missing += [f"data[{index}].{n}" for n in self.contract.item_properties if n not in item]
        if not missing:
            return []
        shown = ", ".join(missing[:6]) + (f" (and {len(missing) - 6} more)" if len(missing) > 6 else "")
        return [violation(Req.SCHEMA_02, f"documented properties missing: {shown}", exchange)]


_canonical_json = json.JSONEncoder(sort_keys=True, allow_nan=True).encode  # one encoder, not one per item


class _ValidItemsMemo:
    """The ``items`` keyword of one validator class, remembering the array items it found valid, by value.

    Validating an item against a subschema without ``$ref`` is a function of the two alone (formats
    included), so an item equal to one already found valid (same JSON text, keys sorted: ``1``, ``1.0``
    and ``true`` stay apart) has no errors again: it is not walked again. Every other item is
    validated exactly as the original keyword does, errors and paths alike. Pages of a walk repeat
    most of their items; the memo is bounded, and starts afresh when full.
    """

    MAX_REMEMBERED = 8192

    def __init__(self, original: Callable[..., Iterator[ValidationError]]) -> None:
        self._original = original
        self._valid: dict[int, tuple[Any, set[str]]] = {}  # id(items schema) -> (that schema, valid items)
        self._plain: dict[int, tuple[Any, bool]] = {}  # id(items schema) -> (that schema, no reference inside)
        self._remembered = 0
        self._lock = threading.Lock()

    def __call__(self, validator: Any, items: Any, instance: Any, schema: Any) -> Iterator[ValidationError]:
        if (not isinstance(items, dict) or not isinstance(instance, list) or not validator.is_type(instance, "array")
                or "prefixItems" in schema or not self._is_plain(items)):
            yield from self._original(validator, items, instance, schema)
            return
        valid = self._valid.setdefault(id(items), (items, set()))[1]
        for index, item in enumerate(instance):
            text = _canonical_json(item)
            if text in valid:
                continue
            errors = list(validator.descend(item, items, path=index))
            if errors:
                yield from errors
            else:
                self._remember(valid, text)

    def _remember(self, valid: set[str], text: str) -> None:
        with self._lock:
            if self._remembered >= self.MAX_REMEMBERED:
                for _, remembered in self._valid.values():
                    remembered.clear()
                self._remembered = 0
            valid.add(text)
            self._remembered += 1

    def _is_plain(self, items: dict[str, Any]) -> bool:
        known = self._plain.get(id(items))
        if known is None:
            known = self._plain[id(items)] = (items, not _has_reference(items))
        return known[1]


def _has_reference(schema: Any) -> bool:
    """Whether a ``$ref`` (or dynamic reference) is anywhere inside: its meaning would depend on where it sits."""
    if isinstance(schema, dict):
        return any(key in ("$ref", "$dynamicRef", "$recursiveRef") or _has_reference(value)
                   for key, value in schema.items())
    if isinstance(schema, list):
        return any(_has_reference(value) for value in schema)
    return False


# The named allowance: properties a conforming target may serve as ``null`` although the spec types
# them without null. Real Dify serves ``"introduction": null`` for apps without an opening statement,
# where newer specs say a plain string. Nothing else: every other null must be ``nullable`` (OAS 3.0)
# or have ``null`` among its types (OAS 3.1), which the validator itself judges.
NULL_ALLOWED = frozenset({"introduction"})


def without_allowed_nulls(instance: Any, schema: dict[str, Any]) -> Any:
    """The body with ``null`` dropped from the properties of :data:`NULL_ALLOWED` (where not ``required``).

    SCHEMA-02 still sees the property as present; only SCHEMA-01 stops judging that one null.
    """
    if isinstance(instance, list):
        items = schema.get("items")
        return [without_allowed_nulls(item, items) for item in instance] if isinstance(items, dict) else instance
    properties = schema.get("properties")
    if not isinstance(instance, dict) or not isinstance(properties, dict):
        return instance
    required = schema.get("required") or ()
    kept = {}
    for name, value in instance.items():
        if value is None:
            if name in NULL_ALLOWED and name in properties and name not in required:
                continue
        elif isinstance(value, (dict, list)):  # only containers can hold a null to drop
            inner = properties.get(name)
            if inner:  # an undocumented property is kept as it is
                value = without_allowed_nulls(value, inner)
        kept[name] = value
    return kept


def _path(path: Any) -> str:
    text = "body"
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text
