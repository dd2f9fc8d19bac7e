"""The spec, read once into a small typed contract.

Every expectation of the suite (requiredness of ``user``, the ``limit`` bounds and default, the
``sort_by`` enum and default, the response schema, the documented properties) comes from here,
never from code. Any OpenAPI 3.x document holding ``GET /conversations`` works: the bundled seed,
or a full Dify docs spec of any version.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

from ..errors import UsageError

__all__ = ["Contract", "LimitRule", "SortRule", "ListOperation", "LIST_OPERATION", "load_contract",
           "bundled_spec_path", "OPERATION_PATH"]


@dataclass(frozen=True, slots=True)
class SpecInfo:
    """The spec a run used, as the reports name it."""

    path: str
    sha256: str
    title: str
    version: str


@dataclass(frozen=True, slots=True)
class ListOperation:
    """The paginated operation under test, in the one place the suite names it: its path and the names
    of its parameters. The client, the walker, the evidence and the checks take it from the contract."""

    method: str = "GET"
    path: str = "/conversations"
    user: str = "user"
    limit: str = "limit"
    sort: str = "sort_by"
    cursor: str = "last_id"
    user_max_length: int | None = None  # maxLength of the user parameter, if the spec gives one


LIST_OPERATION = ListOperation()  # Dify's GET /conversations, before a spec says more
OPERATION_PATH = LIST_OPERATION.path
_SPEC_DIR = Path(__file__).parent  # the bundled specs sit beside this module


def bundled_spec_path(language: str = "en") -> Path:
    """The seed's spec shipped in the package (``en``), or its Japanese variant (``ja``)."""
    return _SPEC_DIR / f"conversations.{language}.yaml"


@dataclass(frozen=True, slots=True)
class LimitRule:
    """What the spec says of ``limit``; ``None`` where it says nothing."""

    minimum: int | None
    maximum: int | None
    default: int | None

    @property
    def bounded(self) -> bool:
        return self.minimum is not None and self.maximum is not None

    def in_range(self, value: int) -> bool:
        return (self.minimum is None or value >= self.minimum) and (self.maximum is None or value <= self.maximum)


@dataclass(frozen=True, slots=True)
class SortRule:
    """The ``sort_by`` enum: ``field`` ascending, ``-field`` descending."""

    values: tuple[str, ...]
    default: str | None

    @staticmethod
    def field(value: str) -> str:
        return value.removeprefix("-")

    @staticmethod
    def descending(value: str) -> bool:
        return value.startswith("-")


@dataclass(frozen=True)
class Contract:
    spec: SpecInfo
    document: dict[str, Any]  # the whole spec, for schemathesis
    user_required: bool
    limit: LimitRule
    sort: SortRule
    last_id_format: str | None  # what a well-formed cursor looks like (``uuid``), if the spec says
    response_schema: dict[str, Any]  # the 200 application/json schema, refs resolved
    openapi_version: str
    operation: ListOperation = LIST_OPERATION

    @cached_property
    def item_schema(self) -> dict[str, Any]:
        data = self.response_schema.get("properties", {}).get("data", {})
        return data.get("items", {}) if isinstance(data, dict) else {}

    @property
    def body_properties(self) -> tuple[str, ...]:
        return tuple(self.response_schema.get("properties", {}))

    @property
    def item_properties(self) -> tuple[str, ...]:
        return tuple(self.item_schema.get("properties", {}))

    def sortable(self, value: str) -> bool:
        """Whether items carry the field this sort value orders by, so the order can be observed."""
        return SortRule.field(value) in self.item_properties


def load_contract(path: str | Path | None = None, operation: ListOperation = LIST_OPERATION) -> Contract:
    """Read the spec at ``path`` (default: the bundled seed spec) for the list ``operation`` names (its path
    and its parameters); UsageError says what is wrong."""
    spec_path = Path(path) if path is not None else bundled_spec_path()
    try:
        raw = spec_path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read the spec {str(spec_path)!r}: {exc.strerror or exc}") from None
    document = _parse(raw, spec_path)
    if not isinstance(document, dict) or not str(document.get("openapi", "")).startswith("3."):
        raise UsageError(f"the spec {str(spec_path)!r} is not an OpenAPI 3.x document (no 'openapi: 3.x' key)")
    op = operation  # the names; ``spec_operation`` is what the spec says of it
    path_item = (document.get("paths") or {}).get(op.path, {})
    spec_operation = path_item.get(op.method.lower()) if isinstance(path_item, dict) else None
    if not isinstance(spec_operation, dict):
        raise UsageError(f"the spec {str(spec_path)!r} has no {op.method} {op.path} operation")
    resolver = _Resolver(document, spec_path)
    params = _parameters(spec_operation, path_item, resolver)
    info = document.get("info") or {}
    return Contract(
        spec=SpecInfo(
            path=str(spec_path),
            sha256=hashlib.sha256(raw).hexdigest(),
            title=str(info.get("title", "")),
            version=str(info.get("version", "")),
        ),
        document=document,
        user_required=bool(params.get(op.user, {}).get("required", False)),
        limit=_limit_rule(params.get(op.limit, {}).get("schema", {})),
        sort=_sort_rule(params.get(op.sort, {}).get("schema", {})),
        last_id_format=_last_id_format(params.get(op.cursor, {}).get("schema", {}), spec_operation, resolver),
        response_schema=_response_schema(spec_operation, resolver, spec_path, op),
        openapi_version=str(document["openapi"]),
        operation=replace(op, user_max_length=_int_or_none(params.get(op.user, {}).get("schema", {}).get(
            "maxLength"))),
    )


def _parse(raw: bytes, path: Path) -> Any:
    """JSON or YAML; a docs page (like the seeds) holding one fenced ```yaml block works too."""
    try:
        if path.suffix.lower() == ".json":
            return json.loads(raw)
        document = yaml.safe_load(raw)
        if isinstance(document, dict):
            return document
        fenced = _FENCED_YAML.search(raw.decode("utf-8"))
        return yaml.safe_load(fenced.group(1)) if fenced else document
    except (yaml.YAMLError, ValueError, UnicodeDecodeError) as exc:
        try:  # a Markdown page is rarely valid YAML itself: look for its fenced block
            fenced = _FENCED_YAML.search(raw.decode("utf-8"))
            if fenced:
                return yaml.safe_load(fenced.group(1))
        except (yaml.YAMLError, UnicodeDecodeError):
            pass
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UsageError(f"the spec {str(path)!r} is not valid YAML/JSON: {first_line}") from None


_FENCED_YAML = re.compile(r"^`{3,4}yaml[^\n]*\n(.*?)^`{3,4}\s*$", re.MULTILINE | re.DOTALL)


class _Resolver:
    """Resolves local ``$ref`` s (``#/...``) of one document, recursively."""

    def __init__(self, document: dict[str, Any], path: Path) -> None:
        self.document = document
        self.path = path

    def lookup(self, ref: str) -> Any:
        if not ref.startswith("#/"):
            raise UsageError(f"the spec {str(self.path)!r} uses a non-local $ref {ref!r}, which is not supported")
        node: Any = self.document
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(node, dict) or part not in node:
                raise UsageError(f"the spec {str(self.path)!r} has a dangling $ref {ref!r}")
            node = node[part]
        return node

    def resolve(self, node: Any, seen: tuple[str, ...] = ()) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                ref = node["$ref"]
                if ref in seen:  # a recursive schema: keep the reference, validation stops there
                    return {}
                return self.resolve(self.lookup(ref), (*seen, ref))
            return {key: self.resolve(value, seen) for key, value in node.items()}
        if isinstance(node, list):
            return [self.resolve(item, seen) for item in node]
        return node


def _parameters(operation: dict[str, Any], path_item: dict[str, Any], resolver: _Resolver) -> dict[str, Any]:
    """Query parameters by name, path-level ones overridden by the operation's."""
    found: dict[str, Any] = {}
    for source in (path_item.get("parameters") or [], operation.get("parameters") or []):
        for param in source:
            param = resolver.resolve(param)
            if isinstance(param, dict) and param.get("in") == "query" and "name" in param:
                found[param["name"]] = param
    return found


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _limit_rule(schema: dict[str, Any]) -> LimitRule:
    minimum = _int_or_none(schema.get("minimum"))
    maximum = _int_or_none(schema.get("maximum"))
    # exclusiveMinimum/Maximum: OpenAPI 3.0 booleans, 3.1 numbers.
    if schema.get("exclusiveMinimum") is True and minimum is not None:
        minimum += 1
    elif _int_or_none(schema.get("exclusiveMinimum")) is not None:
        minimum = schema["exclusiveMinimum"] + 1
    if schema.get("exclusiveMaximum") is True and maximum is not None:
        maximum -= 1
    elif _int_or_none(schema.get("exclusiveMaximum")) is not None:
        maximum = schema["exclusiveMaximum"] - 1
    return LimitRule(minimum=minimum, maximum=maximum, default=_int_or_none(schema.get("default")))


def _sort_rule(schema: dict[str, Any]) -> SortRule:
    values = tuple(v for v in schema.get("enum") or () if isinstance(v, str))
    default = schema.get("default")
    return SortRule(values=values, default=default if isinstance(default, str) else None)


def _last_id_format(schema: dict[str, Any], operation: dict[str, Any], resolver: _Resolver) -> str | None:
    declared = schema.get("format")
    if isinstance(declared, str):
        return declared
    # The spec may leave the cursor a plain string; it still names an item, whose id has a format.
    item_id = (
        _success_schema(operation, resolver).get("properties", {}).get("data", {}).get("items", {})
        .get("properties", {}).get("id", {})
    )
    return item_id.get("format") if isinstance(item_id.get("format"), str) else None


def _success_schema(operation: dict[str, Any], resolver: _Resolver) -> dict[str, Any]:
    responses = operation.get("responses") or {}
    response = resolver.resolve(responses.get("200") or responses.get(200) or {})
    content = response.get("content") or {}
    for media_type, body in content.items():
        if media_type.split(";")[0].strip().lower() == "application/json" or media_type.endswith("+json"):
            schema = body.get("schema")
            if isinstance(schema, dict):
                return schema
    return {}


def _response_schema(operation: dict[str, Any], resolver: _Resolver, path: Path, op: ListOperation) -> dict[str, Any]:
    schema = _success_schema(operation, resolver)
    if not schema:
        raise UsageError(f"the spec {str(path)!r} documents no application/json 200 response for {op.method} {op.path}")
    return schema
