"""evidence.har: HAR 1.2 from streamed exchange records, with no secret anywhere."""

from __future__ import annotations

import json

from conformance.model.exchange import KEY_PLACEHOLDER, Exchange
from conformance.reports.har import REDACTED, redact, write_har

from .conftest import SECRET


def records():
    yield Exchange(
        kind="list",
        method="GET",
        base_url="http://t/v1",
        path="/conversations",
        params=(("user", "u-1"), ("echo", f"{SECRET} /x")),
        request_headers=(("Authorization", f"Bearer {KEY_PLACEHOLDER}"),),
        started_at=1_700_000_000.5,
        elapsed_s=0.0123,
        status_code=200,
        response_headers=(("Content-Type", "application/json"),),
        body=f'{{"data": [], "leak": "{SECRET}"}}'.encode(),
    ).to_record()
    yield Exchange(
        kind="create",
        method="POST",
        base_url="http://t/v1",
        path="/chat-messages",
        request_body=json.dumps({"query": "hi", "user": "u-1"}),
        started_at=1_700_000_001.0,
        elapsed_s=3.0,
        error="ReadTimeout: timed out",
    ).to_record()


def test_valid_har_with_entries_and_no_secret(tmp_path):
    secrets = [SECRET, f"{SECRET} /x", ""]
    path = write_har(records(), tmp_path / "evidence.har", creator_version="0.1.0", secrets=secrets)
    text = path.read_text(encoding="utf-8")
    assert SECRET not in text and REDACTED in text
    log = json.loads(text)["log"]
    assert log["version"] == "1.2" and log["creator"] == {"name": "dify-conformance", "version": "0.1.0"}
    ok, failed = log["entries"]
    assert ok["startedDateTime"] == "2023-11-14T22:13:20.500+00:00" and ok["time"] == 12.3
    assert ok["request"]["url"].startswith("http://t/v1/conversations?user=u-1")
    assert {"name": "user", "value": "u-1"} in ok["request"]["queryString"]
    assert ok["response"]["status"] == 200 and ok["response"]["content"]["mimeType"] == "application/json"
    assert failed["request"]["postData"]["text"] == '{"query": "hi", "user": "u-1"}'
    assert failed["response"]["status"] == 0 and "ReadTimeout" in failed["response"]["comment"]


def test_empty_run_gives_an_empty_log(tmp_path):
    path = write_har(iter(()), tmp_path / "evidence.har", creator_version="0.1.0")
    assert json.loads(path.read_text())["log"]["entries"] == []


def test_redact_plain_and_percent_encoded():
    assert redact("k=a/b c and a/b c", ["a/b c"]) == f"k={REDACTED} and {REDACTED}"
    assert redact("q=a%2Fb%20c&r=a%2Fb+c", ["a/b c"]) == f"q={REDACTED}&r={REDACTED}"
    assert redact("nothing", ["", "x-y"]) == "nothing"
