"""Reading JSON request bodies defensively: any body a client can send is a 4xx at worst, never a 5xx."""

from __future__ import annotations

import json
import math
from typing import Any

from starlette.requests import Request

from .db import MAX_OWNER_KEY_BYTES, Database, owner_key
from .errors import ApiError, invalid_param

__all__ = ["read_json_object", "string_field", "optional_string", "bool_field", "required_user", "MAX_BODY_BYTES"]

MAX_BODY_BYTES = 1 << 20


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):  # "1e999" would become inf, which no JSON answer can carry back
        raise ValueError(text)
    return number


def _no_constants(text: str) -> Any:
    raise ValueError(f"{text} is not JSON")


async def read_json_object(request: Request, *, empty_ok: bool = False) -> dict[str, Any]:
    """The body as a JSON object; 400 for anything else, 413 past MAX_BODY_BYTES."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise ApiError(413, "request_entity_too_large", "The request body is too large.")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise ApiError(413, "request_entity_too_large", "The request body is too large.")
        chunks.append(chunk)
    raw = b"".join(chunks)
    if not raw.strip() and empty_ok:
        return {}
    try:
        body = json.loads(raw, parse_float=_finite, parse_constant=_no_constants)
        # Lone surrogates ("\ud800") parse, but cannot be stored or sent back as UTF-8.
        json.dumps(body, ensure_ascii=False).encode("utf-8")
    except (ValueError, RecursionError, UnicodeError):
        raise invalid_param("The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise invalid_param("The request body must be a JSON object.")
    return body


def string_field(body: dict[str, Any], name: str, db: Database) -> str:
    value = body.get(name)
    if value is None:
        raise invalid_param(f"{name} is required.")
    if not isinstance(value, str):
        raise invalid_param(f"{name} must be a string.")
    if not db.accepts_text(value):
        raise invalid_param(f"{name} must not contain NUL characters.")
    return value


def optional_string(body: dict[str, Any], name: str, db: Database) -> str | None:
    return None if body.get(name) is None else string_field(body, name, db)


def bool_field(body: dict[str, Any], name: str, default: bool) -> bool:
    value = body.get(name, default)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise invalid_param(f"{name} must be a boolean.")
    return value


def required_user(body: dict[str, Any]) -> str:
    user = body.get("user")
    if user is None or user == "":
        raise invalid_param("user is required.")
    if not isinstance(user, str):
        raise invalid_param("user must be a string.")
    if len(owner_key(user).encode("utf-8")) > MAX_OWNER_KEY_BYTES:
        raise invalid_param(f"user is too long (at most about {MAX_OWNER_KEY_BYTES} bytes).")
    return user
