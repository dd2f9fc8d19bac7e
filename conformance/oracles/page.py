"""A list response parsed just enough to judge paging, ordering and isolation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..model.exchange import Exchange
from ..spec.catalogue import Req
from . import Inconclusive

__all__ = ["Page", "parse_page", "is_client_error", "is_server_error"]


def is_client_error(exchange: Exchange) -> bool:
    return exchange.status_code is not None and 400 <= exchange.status_code < 500


def is_server_error(exchange: Exchange) -> bool:
    return exchange.status_code is not None and exchange.status_code >= 500


@dataclass(frozen=True)
class Page:
    exchange: Exchange
    items: tuple[dict[str, Any], ...]
    has_more: Any  # a bool when schema-valid; judged only then
    limit: Any

    @property
    def ids(self) -> list[str]:
        return [item["id"] for item in self.items]

    @property
    def last_id(self) -> str | None:
        return self.items[-1]["id"] if self.items else None


def parse_page(exchange: Exchange) -> Page:
    """The page in a 200 response; Inconclusive if there is none to judge (see SCHEMA-01, ROBUST-01)."""
    if exchange.status_code is None:
        raise Inconclusive(f"no response to {exchange.describe()} (see ROBUST-01)", Req.ROBUST_01)
    if exchange.status_code >= 500:
        raise Inconclusive(f"{exchange.describe()}: a server error (see ROBUST-01)", Req.ROBUST_01)
    if exchange.status_code != 200:
        raise Inconclusive(f"{exchange.describe()}: not a page")
    if exchange.truncated:
        raise Inconclusive(f"{exchange.describe()}: the body exceeded the size cap (see SCHEMA-01)",
                           Req.SCHEMA_01)
    body = exchange.json_or_none()
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, list) or not all(isinstance(i, dict) and isinstance(i.get("id"), str) for i in data):
        raise Inconclusive(f"{exchange.describe()}: no list of items with string ids in the body (see SCHEMA-01)",
                           (Req.SCHEMA_01, Req.SCHEMA_02))
    return Page(exchange=exchange, items=tuple(data), has_more=body.get("has_more"), limit=body.get("limit"))
