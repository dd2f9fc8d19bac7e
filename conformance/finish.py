"""The end of a run: fold everything into one RunResult, write the reports, choose the exit status."""

from __future__ import annotations

import shutil
import time
from datetime import UTC, datetime
from pathlib import Path

from . import __version__
from .client import BUDGET_SPENT
from .errors import EXIT_FAIL, EXIT_PASS, EXIT_TARGET
from .evidence import iter_exchange_records, read_evidence
from .results import RunResult
from .runstate import RunState
from .verdict import judge, verdict_of

__all__ = ["finish_run", "write_error_reports", "terminal_lines", "REPORT_FILES"]

REPORT_FILES = ("summary.json", "junit.xml", "report.html")
_EXIT = {"pass": EXIT_PASS, "fail": EXIT_FAIL, "error": EXIT_TARGET}


def finish_run(state: RunState, *, interrupted: bool, pytest_status: int) -> int:
    evidence = read_evidence(state.evidence_dir)
    checks = state.checks + evidence.crosscut_checks()
    statuses, stale = judge(checks, state.waivers)
    verdict = verdict_of(statuses, stale)
    reason = None
    notes = _merged_notes(evidence.notes)
    ran = [c for c in state.checks if c.outcome != "skipped"]
    budget = any("time budget" in (c.reason or "") for c in state.checks)
    if "seeding_failed" in notes:
        reason = notes["seeding_failed"]["reason"]
    elif interrupted:
        reason = f"the run did not complete (pytest exit status {pytest_status}: interrupted or collection errors)"
    elif budget or state.budget_exhausted:
        reason = f"the time budget of {state.settings.time_budget_s:g} s ran out before every check ran"
    elif state.request_budget_spent and _must_unjudged(statuses, BUDGET_SPENT):
        reason = f"the request budget of {state.settings.max_requests} (--max-requests) was spent before every check"
    elif state.target_unresponsive and _must_unjudged(statuses, "stopped answering"):
        reason = f"{state.target_unresponsive}; the checks after that were not judged"
    elif not ran:
        reason = "no check ran"
    if reason:
        verdict = "error"
    state.fatal = reason
    finished = datetime.now(UTC)
    run = RunResult(
        suite_version=__version__,
        spec=state.contract.spec,
        base_url=state.target.base_url,
        profile=state.settings.profile.name,
        seed=state.settings.seed,
        started_at=state.started_at.isoformat(timespec="seconds"),
        finished_at=finished.isoformat(timespec="seconds"),
        duration_s=round((finished - state.started_at).total_seconds(), 2),
        requests=evidence.requests,
        verdict=verdict,
        reason=reason,
        requirements=statuses,
        checks=checks,
        stale_waivers=stale,
        read_only=state.settings.read_only,
        response_times=evidence.response_times,
        notes=notes,
    )
    state.run_result = run
    state.notes = notes
    _write_reports(state, run)
    return _EXIT[verdict]


def _must_unjudged(statuses: list, why: str) -> bool:
    """A MUST requirement was left skipped for this reason (a fragment of its skip reason)."""
    return any(s.level == "MUST" and s.status == "skipped" and why in (s.reason or "") for s in statuses)


def _merged_notes(notes: list[tuple[str, dict]]) -> dict[str, dict]:
    """Notes of every process, one per kind: lists joined, counts added."""
    merged: dict[str, dict] = {}
    for kind, data in notes:
        into = merged.setdefault(kind, {})
        for key, value in data.items():
            if isinstance(value, list):
                into[key] = into.get(key, []) + value
            elif isinstance(value, (int, float)) and not isinstance(value, bool) and key in into:
                into[key] = round(into[key] + value, 2)
            else:
                into.setdefault(key, value)
    return merged


def _write_reports(state: RunState, run: RunResult) -> None:
    from .reports.html import write_html
    from .reports.junit import write_junit
    from .reports.summary import write_summary

    report_dir = state.settings.report_dir
    report_dir.mkdir(parents=True, exist_ok=True)
    write_summary(run, report_dir / "summary.json")
    write_junit(run, report_dir / "junit.xml")
    write_html(run, report_dir / "report.html")
    if state.settings.profile.name == "full":
        from .bundle import write_bundle
        from .reports.har import write_har

        har = report_dir / "evidence.har"
        secrets = [state.target.api_key] if state.target.api_key else []
        write_har(iter_exchange_records(state.evidence_dir), har, creator_version=__version__, secrets=secrets)
        write_bundle(report_dir, run=run, spec_path=Path(state.contract.spec.path), har_path=har)
    shutil.rmtree(state.evidence_dir, ignore_errors=True)


def write_error_reports(state: RunState, reason: str) -> None:
    """A run that could not start (exit 2 or 3) still leaves a summary.json saying why."""
    from .reports.summary import write_summary
    from .verdict import judge

    statuses, _ = judge([], state.waivers)
    for status in statuses:
        status.status, status.reason = "skipped", reason
    now = datetime.now(UTC)
    run = RunResult(
        suite_version=__version__, spec=state.contract.spec, base_url=state.target.base_url or
        (state.settings.base_url or ""), profile=state.settings.profile.name, seed=state.settings.seed,
        started_at=state.started_at.isoformat(timespec="seconds"), finished_at=now.isoformat(timespec="seconds"),
        duration_s=round(time.time() - state.started_at.timestamp(), 2), requests=0, verdict="error",
        reason=reason, requirements=statuses, checks=[], read_only=state.settings.read_only,
    )
    state.settings.report_dir.mkdir(parents=True, exist_ok=True)
    write_summary(run, state.settings.report_dir / "summary.json")
    shutil.rmtree(state.evidence_dir, ignore_errors=True)


def terminal_lines(state: RunState) -> list[str]:
    run = state.run_result
    if run is None:
        return []
    failed_must = [s for s in run.requirements if s.status == "failed" and s.level == "MUST"]
    headline = {"pass": "PASS", "fail": "FAIL", "error": "ERROR"}[run.verdict]
    counts = {k: sum(1 for s in run.requirements if s.status == k) for k in ("passed", "failed", "waived", "skipped")}
    lines = [
        "",
        f"dify-conformance verdict: {headline}  ({counts['passed']} passed, {counts['failed']} failed, "
        f"{counts['waived']} waived, {counts['skipped']} skipped; {run.requests} requests in {run.duration_s:g} s)",
        f"  target {run.base_url}  spec {run.spec.title} {run.spec.version}  profile {run.profile}  seed {run.seed}",
    ]
    if run.reason:
        lines.append(f"  reason: {run.reason}")
    for status in run.requirements:
        if status.status in ("failed", "waived", "skipped"):
            detail = status.evidence[0]["message"] if status.evidence else (status.waiver or status.reason or "")
            lines.append(f"  {status.status.upper():8} {status.id:10} {status.level:6} {detail[:160]}")
    for waiver in run.stale_waivers:
        lines.append(f"  STALE    {waiver.id:10} waiver no longer matches a failure: {waiver.reason[:120]}")
    notes = state.notes
    if "cleanup_failed" in notes:
        failures = notes["cleanup_failed"]["failures"]
        lines.append(f"  cleanup: {len(failures)} conversation(s) could not be deleted, e.g. {failures[0]}")
    if "throttled" in notes:
        data = notes["throttled"]
        lines.append(f"  throttled: {data['responses_429']} answer(s) 429, waited {data['waited_s']} s as asked")
    written = [str(state.settings.report_dir / name) for name in REPORT_FILES]
    if run.profile == "full":
        written.append(str(state.settings.report_dir / "certification.zip"))
    lines.append("  reports: " + ", ".join(written))
    if failed_must:
        lines.append(f"  {len(failed_must)} MUST requirement(s) failed: {', '.join(s.id for s in failed_must)}")
    return lines
