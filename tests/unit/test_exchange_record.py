"""An exchange's evidence record carries every field, and reads back as the same exchange."""

from __future__ import annotations

import json
from dataclasses import fields

from conformance.model.exchange import Exchange

EXCHANGE = Exchange(
    kind="list", method="GET", base_url="http://t/v1", path="/conversations", params=(("user", "ü"), ("limit", "2")),
    request_headers=(("Accept", "application/json"),), request_body='{"a": 1}', started_at=1.5, elapsed_s=0.25,
    status_code=200, response_headers=(("Content-Type", "application/json"), ("X", "y")), body='{"data": "é"}'.encode(),
    truncated=True, error="body broken off", attempts=2,
)


def test_a_record_has_every_field_and_reads_back_the_same():
    record = json.loads(json.dumps(EXCHANGE.to_record()))
    assert set(record) == {f.name for f in fields(Exchange)} | {"body_truncated_in_record"}
    assert record["body_truncated_in_record"] is False
    assert Exchange.from_record(record) == EXCHANGE


def test_a_body_over_the_record_limit_is_cut_and_marked():
    record = EXCHANGE.to_record(body_limit=4)
    assert record["body"] == '{"da' and record["body_truncated_in_record"] is True
