"""Redaction is written once (conformance/http/redaction.py) and used by the client and the HAR writer alike:
the key as is, URL-encoded, and spelt with JSON escapes, wherever a hostile target puts it."""

from __future__ import annotations

import json
from urllib.parse import quote, quote_plus

from conformance.http.client import BearerOverride, ClientSettings, HttpClient
from conformance.http.fake_transport import FakeTransport, json_response
from conformance.http.redaction import REDACTED, Redactor
from conformance.http.transport import WireRequest, WireResponse
from conformance.model.exchange import Exchange
from conformance.reports.har import write_har

KEY = "app-Key/with+odd chars"


def _escaped(text: str) -> str:
    """``text`` as JSON may spell it: every character a \\u escape."""
    return "".join(f"\\u{ord(c):04x}" for c in text)


def _forms(key: str) -> list[str]:
    return [key, quote(key, safe=""), quote_plus(key)]


def _hostile(request: WireRequest) -> WireResponse:
    body = (f'{{"data": [], "plain": "{KEY}", "url": "?k={quote(KEY, safe="")}&q={quote_plus(KEY)}", '
            f'"escaped": "{_escaped(KEY)}", "{_escaped(KEY)}": 1}}').encode()
    return WireResponse(200, (("Content-Type", "application/json"), ("X-Echo", KEY)), body,
                        error=f"body broken off: {KEY}")


def _no_key(text: str, key: str = KEY) -> bool:
    return not any(form in text for form in _forms(key))


def test_the_redactor_hides_every_form():
    redactor = Redactor([KEY, ""])
    assert all(redactor.text(f"<{form}>") == f"<{REDACTED}>" for form in _forms(KEY))
    cleaned = redactor.json_text(json.dumps({"a": KEY, KEY: [KEY]}, ensure_ascii=True).replace("app", _escaped("app")))
    assert _no_key(json.dumps(json.loads(cleaned), ensure_ascii=False)), cleaned
    assert redactor.body(b"\xff not json " + KEY.encode()) == b"\xff not json " + REDACTED.encode()
    assert Redactor().json_text("\\u0061") == "\\u0061" and not Redactor([""])


def test_the_client_records_nothing_of_the_key_the_target_sends_back():
    recorded: list[Exchange] = []
    http = HttpClient(ClientSettings(base_url="http://target.invalid/v1", api_key=KEY), record=recorded.append,
                      transport=FakeTransport(_hostile))
    http.send("GET", f"/conversations/{KEY}", params=[("last_id", KEY)])
    (exchange,) = recorded
    decoded = json.dumps(json.loads(exchange.body), ensure_ascii=False)
    assert _no_key(decoded) and _no_key(exchange.text), exchange.text
    assert _no_key(repr(exchange.response_headers)) and _no_key(exchange.error or "")
    assert _no_key(exchange.url) and REDACTED in exchange.path
    assert http.redact(f"x {quote_plus(KEY)} y") == f"x {REDACTED} y"


def test_a_near_key_sent_on_purpose_is_hidden_too():
    near = KEY[:-1] + "X"
    recorded: list[Exchange] = []
    transport = FakeTransport(lambda request: json_response(body=json.dumps({"echo": near}).encode()))
    http = HttpClient(ClientSettings(base_url="http://target.invalid/v1", api_key=KEY), record=recorded.append,
                      transport=transport)
    http.send("GET", "/conversations", auth=BearerOverride(f"Bearer {near}", "Bearer <the key, one character off>"))
    assert ("Authorization", f"Bearer {near}") in transport.requests[0].headers
    assert _no_key(recorded[0].text, near) and _no_key(repr(recorded[0].request_headers), near)


def test_the_har_writer_redacts_with_the_same_code_json_escapes_included(tmp_path):
    """A record that still holds the key (an older or a tampered evidence log) is cleaned in the HAR."""
    record = Exchange(
        kind="list", method="POST", base_url="http://t/v1", path="/chat-messages", params=(("k", KEY),),
        request_headers=(("X-Key", KEY),), request_body=f'{{"query": "{_escaped(KEY)}"}}',
        status_code=200, response_headers=(("Content-Type", "application/json"), ("X-Echo", quote_plus(KEY))),
        body=f'{{"data": [], "leak": "{_escaped(KEY)}", "plain": "{KEY}"}}'.encode(),
    ).to_record()
    path = write_har(iter([record]), tmp_path / "evidence.har", creator_version="0", secrets=[KEY])
    har = json.loads(path.read_text(encoding="utf-8"))
    (entry,) = har["log"]["entries"]
    texts = [json.dumps(har, ensure_ascii=False), entry["response"]["content"]["text"],
             entry["request"]["postData"]["text"]]
    texts += [json.dumps(json.loads(text), ensure_ascii=False) for text in texts[1:]]  # the escapes decoded
    assert all(_no_key(text) for text in texts), texts
    assert REDACTED in entry["response"]["content"]["text"]
