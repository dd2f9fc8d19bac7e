"""An unusable target ends the run at once: exit 3 within seconds, one line saying why on the terminal
and in summary.json (verdict error, reason), never a screen of identical failures."""

from __future__ import annotations

import socket
import time
import xml.etree.ElementTree as ET

import pytest

from tests.selftest.conftest import run_suite

from .conftest import leaks, one_line_reason, tracebacks
from .servers import TestServer, Upstream, json_reply

pytestmark = pytest.mark.slow  # whole runs of the suite against live servers

FAST = 20.0  # seconds, Python start-up included; the preflight itself takes about one


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _assert_unusable(run, elapsed, key, *words):
    assert run.exit_code == 3, run.explain()
    assert elapsed < FAST, f"took {elapsed:.1f} s\n{run.explain()}"
    reason = one_line_reason(run)
    for word in words:
        assert word in reason, run.explain()
    statuses = {r["status"] for r in run.summary["requirements"]}
    assert statuses == {"skipped"}, run.explain()
    assert not tracebacks(run.stdout + run.stderr), run.explain()
    assert not leaks(run, key)
    return reason


def test_an_unreachable_port_ends_the_run_at_once(cli, key):
    start = time.monotonic()
    run = cli("--base-url", f"http://127.0.0.1:{_closed_port()}/v1", "--timeout", "2")
    _assert_unusable(run, time.monotonic() - start, key, "connection refused")


def test_https_to_a_plain_http_port_is_a_tls_failure(cli, key):
    with TestServer(lambda request: json_reply({"data": []})) as plain:
        start = time.monotonic()
        run = cli("--base-url", f"https://127.0.0.1:{plain.port}/v1", "--timeout", "2")
    _assert_unusable(run, time.monotonic() - start, key, "TLS", "plain http")


@pytest.mark.parametrize("status", [401, 403])
def test_a_rejected_key_ends_the_run_at_once(cli, key, reference, status):
    server = reference(api_keys=["app-some-other-key"]) if status == 401 else None
    upstream = Upstream(server.base_url) if server else None

    def app(request):
        return upstream(request) if upstream else json_reply({"code": "forbidden"}, 403)

    with TestServer(app) as target:
        start = time.monotonic()
        run = cli("--base-url", target.base_url, "--timeout", "2")
    _assert_unusable(run, time.monotonic() - start, key, "API key was rejected", str(status), "DIFY_API_KEY")
    assert len(target.requests) <= 3, "more than the preflight reached a target that rejects the key"
    assert {(r.method, r.path) for r in target.requests} == {("GET", "/v1/conversations")}


def test_an_error_run_over_a_passing_one_leaves_only_its_own_reports(tmp_path, key, reference):
    """A reused CI workspace: no green junit.xml, PASS page or bundle of the earlier run survives."""
    other_key = "app-other-app-of-this-test"  # a second app: a full run certifies only with APP-01 judged
    server = reference(api_keys=[key, other_key])
    reports = tmp_path / "workspace" / "reports"
    reports.parent.mkdir()
    passing = run_suite(reports, "--base-url", server.base_url, "--profile", "full", "--seed", "3", api_key=key,
                        other_api_key=other_key)
    assert passing.exit_code == 0, passing.explain()
    earlier_run = passing.summary["run_id"]  # summary is read from the file: the next run replaces it
    assert {p.name for p in reports.iterdir()} == {"summary.json", "junit.xml", "report.html", "certification.zip",
                                                   "evidence.har"}
    failing = run_suite(reports, "--base-url", server.base_url, "--timeout", "2", api_key="app-wrong-key")
    assert failing.exit_code == 3, failing.explain()
    assert {p.name for p in reports.iterdir()} == {"summary.json", "junit.xml", "report.html"}
    run_id = failing.summary["run_id"]
    assert run_id != earlier_run and failing.summary["verdict"] == "error"
    junit = ET.parse(reports / "junit.xml").getroot()
    assert junit.find(".//error") is not None and junit.get("errors") == "1"
    assert {p.get("value") for p in junit.iter("property") if p.get("name") == "run_id"} == {run_id}
    page = (reports / "report.html").read_text(encoding="utf-8")
    assert f'name="dify-conformance-run-id" content="{run_id}"' in page and "PASS" not in page
