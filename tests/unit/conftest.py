"""Builders for recorded exchanges, so the pure oracles are tested without any HTTP."""

from __future__ import annotations

import json

import pytest

from conformance.model.exchange import Exchange
from conformance.oracles.page import Page, parse_page


def exchange(status=200, body=None, *, content_type="application/json", params=(), path="/conversations"):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return Exchange(kind="list", method="GET", base_url="http://t/v1", path=path, params=tuple(params),
                    status_code=status, response_headers=(("Content-Type", content_type),), body=raw)


def item(cid, created, updated=None):
    return {"id": cid, "name": cid, "inputs": {}, "status": "normal", "introduction": "",
            "created_at": created, "updated_at": created if updated is None else updated}


def page(items, has_more, limit=20) -> Page:
    return parse_page(exchange(body={"limit": limit, "has_more": has_more, "data": list(items)}))


@pytest.fixture
def make_exchange():
    return exchange
