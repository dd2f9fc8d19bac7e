"""summary.json: the contract's shape, every requirement in catalogue order, valid against its schema."""

from __future__ import annotations

import json

import jsonschema
import pytest

from conformance.model.results import Waiver
from conformance.reports.summary import load_schema, summary_dict, write_summary
from conformance.spec.catalogue import REQUIREMENTS, Req

from .conftest import build_run, check, failing_checks

CONTRACT_KEYS = {
    "schema_version",
    "verdict",
    "reason",
    "suite_version",
    "spec",
    "target",
    "profile",
    "seed",
    "started_at",
    "duration_s",
    "requests",
    "requirements",
}
EXTENSION_KEYS = {"run_id", "finished_at", "read_only", "checks", "waivers", "stale_waivers", "response_times", "notes",
                  "certification", "options", "replay"}


def test_has_exactly_the_contract_and_extension_keys(failing_run):
    summary = summary_dict(failing_run)
    assert set(summary) == CONTRACT_KEYS | EXTENSION_KEYS
    assert summary["schema_version"] == 2
    assert set(summary["spec"]) == {"path", "sha256", "title", "version"}
    assert summary["target"] == {"base_url": "http://127.0.0.1:5001/v1"}
    for requirement in summary["requirements"]:
        assert set(requirement) == {"id", "level", "title", "status", "reason", "evidence"}
        for item in requirement["evidence"]:
            assert set(item) == {"message", "request", "status_code", "body_excerpt"}


def test_every_catalogue_requirement_in_catalogue_order(make_run):
    run = make_run([check(Req.AUTH_01)])
    run.requirements = list(reversed(run.requirements[3:]))  # out of order and three missing
    ids = [r["id"] for r in summary_dict(run)["requirements"]]
    assert ids == [r.id for r in REQUIREMENTS]


@pytest.mark.parametrize(
    "run",
    [
        build_run(),
        build_run(failing_checks(), [Waiver(Req.USER_01, "known"), Waiver(Req.SORT_01, "no longer needed")]),
        build_run([], reason="the target is unreachable: connection refused", response_times={}),
        build_run(replay={"of_run": "r0", "of_report_dir": "reports", "checks": 2, "requests": 120,
                          "requests_before": 1000, "exit_status": 0,
                          "outcomes": [{"id": Req.PAGE_01, "level": "MUST", "before": "failed", "now": "passed",
                                        "outcome": "FIXED", "detail": ""}]}),
    ],
    ids=["pass", "fail-waived-stale", "error", "replay"],
)
def test_valid_against_the_schema(run):
    schema = load_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(summary_dict(run), schema)


def test_statuses_waivers_and_stale_waivers():
    run = build_run(failing_checks(), [Waiver(Req.USER_01, "default user"), Waiver(Req.SORT_01, "old bug")])
    summary = summary_dict(run)
    status = {r["id"]: r for r in summary["requirements"]}
    assert summary["verdict"] == "fail" and summary["reason"] is None
    assert status[Req.LIMIT_02]["status"] == "failed" and len(status[Req.LIMIT_02]["evidence"]) == 2
    assert status[Req.USER_01]["status"] == "waived"
    assert status[Req.DATA_02]["status"] == "skipped" and "read-only" in status[Req.DATA_02]["reason"]
    assert summary["waivers"] == [{"id": Req.USER_01, "reason": "default user"}]
    [stale] = summary["stale_waivers"]
    assert stale["id"] == Req.SORT_01 and stale["reason"] == "old bug" and "stale" in stale["message"]


def test_error_reason_and_timing(make_run):
    summary = summary_dict(make_run([], reason="API key rejected (401)"))
    assert summary["verdict"] == "error" and summary["reason"] == "API key rejected (401)"
    assert summary["response_times"]["list"] == {"count": 4, "p50_s": 0.02, "p95_s": 0.2, "max_s": 0.2}


def test_written_sorted_utf8_and_indented(tmp_path, make_run):
    run = make_run([check(Req.AUTH_01, outcome="failed", name="AUTH-01 キーなし")])
    path = write_summary(run, tmp_path / "summary.json")
    text = path.read_text(encoding="utf-8")
    assert "キーなし" in text and text.startswith('{\n  "certification"')
    assert json.loads(text) == summary_dict(run)


def test_a_recorded_key_fails_the_schema():
    summary = summary_dict(build_run())
    summary["options"]["other_api_key"] = "app-secret"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(summary, load_schema())
