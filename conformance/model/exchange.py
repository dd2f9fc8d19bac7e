"""One recorded HTTP exchange: the evidence every oracle and report works from.

An :class:`Exchange` never holds the API key: the client adds the real ``Authorization`` header
only on the wire and records the placeholder :data:`KEY_PLACEHOLDER` instead.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass
from functools import cached_property
from typing import Any
from urllib.parse import urlencode

__all__ = ["Exchange", "KEY_PLACEHOLDER", "OTHER_KEY_PLACEHOLDER", "EXCERPT_CHARS"]

KEY_PLACEHOLDER = "${DIFY_API_KEY}"  # what a replayed curl command expands from the environment
OTHER_KEY_PLACEHOLDER = "${DIFY_OTHER_API_KEY}"  # the same for the second app's key (APP-01)
EXCERPT_CHARS = 600


@dataclass(frozen=True)
class Exchange:
    kind: str  # "list", "create", "message", "rename", "delete", "preflight", ...
    method: str
    base_url: str  # API root, e.g. http://127.0.0.1:8000/v1
    path: str  # e.g. /conversations
    params: tuple[tuple[str, str], ...] = ()
    request_headers: tuple[tuple[str, str], ...] = ()  # already redacted
    request_body: str | None = None  # JSON text, already redacted
    started_at: float = 0.0  # epoch seconds
    elapsed_s: float = 0.0
    status_code: int | None = None  # None when no response arrived
    response_headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""  # decoded (gunzipped) and capped
    truncated: bool = False  # the body was longer than the cap
    error: str | None = None  # transport error, one line
    attempts: int = 1  # > 1 when 429 responses were retried

    @property
    def url(self) -> str:
        query = urlencode(self.params)
        return f"{self.base_url.rstrip('/')}{self.path}" + (f"?{query}" if query else "")

    def header(self, name: str) -> str | None:
        name = name.lower()
        for key, value in self.response_headers:
            if key.lower() == name:
                return value
        return None

    @property
    def content_type(self) -> str:
        return (self.header("content-type") or "").strip()

    @cached_property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    @cached_property
    def json(self) -> Any:
        """The parsed body; raises ValueError when it is not JSON."""
        return json.loads(self.body.decode("utf-8"))

    def json_or_none(self) -> Any:
        try:
            return self.json
        except ValueError:
            return None

    def excerpt(self, limit: int = EXCERPT_CHARS) -> str:
        text = self.text
        return text if len(text) <= limit else text[:limit] + f"... [{len(text) - limit} more characters]"

    def curl(self) -> str:
        """The request as a curl command; the key appears only as ``$DIFY_API_KEY``."""
        parts = ["curl", "-sS", "-X", self.method]
        for name, value in self.request_headers:
            if KEY_PLACEHOLDER in value or OTHER_KEY_PLACEHOLDER in value:
                # Double quotes so the shell expands the placeholder from the environment.
                parts.append('-H "' + f"{name}: {value}".replace('"', '\\"') + '"')
            else:
                parts.append("-H " + shlex.quote(f"{name}: {value}"))
        if self.request_body is not None:
            parts.append("--data " + shlex.quote(self.request_body))
        parts.append(shlex.quote(self.url))
        return " ".join(parts)

    def describe(self) -> str:
        """One line: what was asked and what came back."""
        outcome = f"-> {self.status_code}" if self.status_code is not None else f"-> no response ({self.error})"
        return f"{self.method} {self.path}?{urlencode(self.params)} {outcome}"

    def to_record(self, body_limit: int = 65536) -> dict[str, Any]:
        """A JSON-able record for the evidence file (HAR) and cross-process transport."""
        # Field by field rather than dataclasses.asdict, which deep-copies every value: one per request.
        return {
            "kind": self.kind, "method": self.method, "base_url": self.base_url, "path": self.path,
            "params": [list(p) for p in self.params],
            "request_headers": [list(h) for h in self.request_headers],
            "request_body": self.request_body, "started_at": self.started_at, "elapsed_s": self.elapsed_s,
            "status_code": self.status_code,
            "response_headers": [list(h) for h in self.response_headers],
            "body": self.body[:body_limit].decode("utf-8", errors="replace"),
            "truncated": self.truncated, "error": self.error, "attempts": self.attempts,
            "body_truncated_in_record": len(self.body) > body_limit,
        }

    @classmethod
    def from_record(cls, data: dict[str, Any]) -> Exchange:
        data = dict(data)
        data.pop("body_truncated_in_record", None)
        data["body"] = data.get("body", "").encode("utf-8")
        for key in ("params", "request_headers", "response_headers"):
            data[key] = tuple(tuple(p) for p in data.get(key, ()))
        return cls(**data)
