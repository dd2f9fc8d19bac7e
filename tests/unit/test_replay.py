"""What replay re-runs, with which options, and how it judges the outcome (conformance/run/replay.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conformance.config.settings import build_settings
from conformance.errors import UsageError
from conformance.model.results import RequirementStatus
from conformance.run.replay import load_baseline, replay_exit_status, replay_flags, replay_outcomes, run_options
from conformance.spec.catalogue import Req


def _summary(tmp_path: Path, checks, statuses, **extra) -> Path:
    options = {"base_url": "https://dify.example.com/v1", "spec": None, "profile": "full", "seed": 42,
               "read_only": False, "user": None, "other_user": None, "timeout": 5.0, "rate_limit": 3.0,
               "max_requests": None, "waivers": "w.toml", "ca_bundle": None, "insecure": False,
               "time_budget": 600.0, "report_dir": "reports", "other_api_key_given": True}
    summary = {"schema_version": 2, "run_id": "r1", "verdict": "fail", "requests": 1000, "options": options,
               "spec": {"sha256": "0" * 64}, "checks": checks,
               "requirements": [{"id": i, "status": s} for i, s in statuses.items()], **extra}
    (tmp_path / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    return tmp_path


def _check(check_id, outcome, *requirements):
    return {"check_id": check_id, "outcome": outcome,
            "violations": [{"requirement": r} for r in requirements] if outcome == "failed" else []}


def test_the_failed_checks_are_re_run_and_a_crosscut_failure_brings_its_serving_checks(tmp_path):
    checks = [_check("suite/test_page.py::test_walk_at_the_default_limit[default-sort]", "failed", Req.PAGE_01),
              _check("suite/test_sort.py::test_each_sort_value_orders_by_its_field", "passed"),
              _check("suite/test_data.py::test_a_created_conversation_is_listed_until_deleted", "failed", Req.DATA_02),
              _check("crosscut::SCHEMA-02", "failed", Req.SCHEMA_02)]
    baseline = load_baseline(_summary(tmp_path, checks, {Req.PAGE_01: "failed", Req.SCHEMA_02: "failed",
                                                         Req.DATA_02: "waived", Req.SORT_01: "passed"}))
    assert baseline.failed == [Req.PAGE_01, Req.SCHEMA_02]
    assert baseline.checks == ("suite/test_page.py::test_walk_at_the_default_limit[default-sort]",
                               "suite/test_schema.py::test_list_responses_match_the_schema")  # serves SCHEMA-02


def test_the_replay_runs_with_that_runs_options_its_own_reports_and_no_waivers(tmp_path):
    baseline = load_baseline(_summary(tmp_path, [], {Req.PAGE_01: "failed"}))
    flags = replay_flags(baseline, base_url=None, report_dir=None)
    assert flags["base_url"] == "https://dify.example.com/v1" and flags["seed"] == 42 and flags["rate_limit"] == 3.0
    assert flags["report_dir"] == str(tmp_path / "replay") and flags["waivers"] is None
    assert flags["api_key"] is None and flags["other_api_key"] is None  # from the environment, as for run
    elsewhere = replay_flags(baseline, base_url="http://127.0.0.1:9/v1", report_dir="out")
    assert elsewhere["base_url"] == "http://127.0.0.1:9/v1" and elsewhere["report_dir"] == "out"
    settings = build_settings(flags, environ={"DIFY_API_KEY": "app-k"}, cwd=tmp_path)
    assert (settings.profile.name, settings.seed, settings.timeout_s, settings.time_budget_s) == ("full", 42, 5.0, 600.0)


def test_recorded_options_round_trip_and_hold_no_key(tmp_path):
    settings = build_settings({"base_url": "https://d.example/v1", "read_only": True, "user": "u", "seed": "9",
                               "max_requests": "50", "insecure": True},
                              environ={"DIFY_API_KEY": "app-secret", "DIFY_OTHER_API_KEY": "app-other"},
                              cwd=tmp_path)
    recorded = run_options(settings)
    assert "app-secret" not in json.dumps(recorded) and "app-other" not in json.dumps(recorded)
    assert recorded["other_api_key_given"] is True and recorded["insecure"] is True
    _summary(tmp_path, [], {Req.PAGE_01: "failed"})
    summary = json.loads((tmp_path / "summary.json").read_text())
    summary["options"] = recorded
    (tmp_path / "summary.json").write_text(json.dumps(summary))
    again = build_settings(replay_flags(load_baseline(tmp_path), base_url=None, report_dir=str(settings.report_dir)),
                           environ={"DIFY_API_KEY": "app-secret", "DIFY_OTHER_API_KEY": "app-other"}, cwd=tmp_path)
    assert again == settings


@pytest.mark.parametrize("summary", [None, "not json", json.dumps({"schema_version": 1, "requirements": []})])
def test_nothing_to_replay_is_a_usage_error(tmp_path, summary):
    if summary is not None:
        (tmp_path / "summary.json").write_text(summary, encoding="utf-8")
    with pytest.raises(UsageError):
        load_baseline(tmp_path)


def _status(rid, status, level="MUST"):
    return RequirementStatus(rid, level, rid, status, evidence=[{"message": "seen"}] if status == "failed" else [])


def test_outcomes_fixed_still_failing_not_judged_and_new():
    before = {Req.PAGE_01: "failed", Req.LIMIT_01: "failed", Req.APP_01: "failed", Req.SORT_01: "passed",
              Req.DATA_02: "waived"}
    now = [_status(Req.PAGE_01, "passed"), _status(Req.LIMIT_01, "failed"), _status(Req.APP_01, "skipped"),
           _status(Req.SORT_01, "failed"), _status(Req.DATA_02, "failed", "SHOULD"), _status(Req.USER_02, "skipped")]
    outcomes = {o.id: o.outcome for o in replay_outcomes(before, now)}
    assert outcomes == {Req.PAGE_01: "FIXED", Req.LIMIT_01: "STILL FAILING", Req.APP_01: "NOT JUDGED", Req.SORT_01: "NEW"}


@pytest.mark.parametrize(("now", "verdict", "expected"), [
    ([_status(Req.PAGE_01, "passed")], "pass", 0),
    ([_status(Req.PAGE_01, "failed")], "fail", 1),
    ([_status(Req.PAGE_01, "passed"), _status(Req.SORT_01, "failed")], "fail", 1),  # NEW
    ([_status(Req.PAGE_01, "skipped")], "pass", 3),  # not judged: not shown fixed
    ([_status(Req.PAGE_01, "passed")], "error", 3),
])
def test_the_exit_status(now, verdict, expected):
    outcomes = replay_outcomes({Req.PAGE_01: "failed", Req.SORT_01: "passed"}, now)
    assert replay_exit_status(outcomes, verdict) == expected


def test_a_should_still_failing_does_not_fail_the_replay():
    outcomes = replay_outcomes({Req.DATA_02: "failed"}, [_status(Req.DATA_02, "failed", "SHOULD")])
    assert [o.outcome for o in outcomes] == ["STILL FAILING"] and replay_exit_status(outcomes, "pass") == 0
