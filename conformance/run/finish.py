"""The end of a run: fold everything into one RunResult, write the reports, choose the exit status."""

from __future__ import annotations

import contextlib
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .. import __version__
from ..config.settings import Settings
from ..errors import EXIT_FAIL, EXIT_PASS, EXIT_TARGET
from ..http.evidence import iter_exchange_records, read_evidence
from ..model.results import CheckResult, RequirementStatus, RunResult, Stop, Waiver
from ..model.verdict import judge, settle_inconclusive, verdict_of
from ..reports import REPORT_NAMES, REPORT_WRITERS
from ..spec.contract import Contract
from .replay import REPLAY_DIR, replay_exit_status, replay_lines, replay_outcomes, run_options
from .runstate import RunState

__all__ = ["finish_run", "write_error_reports", "clear_reports", "terminal_lines", "REPORT_FILES", "RUN_FILES"]

REPORT_FILES = REPORT_NAMES
# Every file a run may leave in the report directory: a new run removes them all before it starts.
RUN_FILES = (*REPORT_FILES, "certification.zip", "evidence.har")


def clear_reports(report_dir: Path) -> None:
    """No file of an earlier run is ever left beside this run's (a reused CI workspace would publish it)."""
    report_dir.mkdir(parents=True, exist_ok=True)
    for name in RUN_FILES:
        (report_dir / name).unlink(missing_ok=True)
    replayed = report_dir / REPLAY_DIR  # an earlier run's replay (dify-conformance replay) goes with it
    if replayed.is_dir():
        for name in RUN_FILES:
            (replayed / name).unlink(missing_ok=True)
        with contextlib.suppress(OSError):  # only if nothing else is in it: never a user's own files
            replayed.rmdir()
_EXIT = {"pass": EXIT_PASS, "fail": EXIT_FAIL, "error": EXIT_TARGET}


def finish_run(state: RunState, *, interrupted: bool, pytest_status: int) -> int:
    evidence = read_evidence(state.evidence_dir, state.contract.operation.path)
    ran = [c for c in evidence.checks if c.outcome != "skipped"]
    crosscut = evidence.crosscut_checks(judged=bool(ran))
    checks = settle_inconclusive(evidence.checks + crosscut)  # in place: evidence.checks see it too
    statuses, stale = judge(checks, state.waivers)
    verdict = verdict_of(statuses, stale)
    reason = None
    notes = _merged_notes(evidence.notes)
    if state.earlier_runs:  # the journals of killed runs this run finished before it started
        notes["earlier_runs"] = state.earlier_runs
    stops = {c.stopped for c in evidence.checks if c.stopped}
    # A check that broke is the suite's error: it makes the verdict error only where it leaves a MUST
    # requirement unjudged (another check may have judged it, or found it failed).
    unjudged = {s.id for s in statuses if s.level == "MUST" and s.status == "skipped"}
    broken = [c for c in evidence.checks if c.outcome == "error" and unjudged & set(c.requirements)]
    if broken:
        reason = f"{broken[0].reason} (in {broken[0].check_id}); please report it"
    elif "seeding_failed" in notes and notes["seeding_failed"].get("stopped") == "request-budget":
        reason = (f"the request budget of {state.settings.max_requests} (--max-requests) was spent before the test "
                  "data was complete")
    elif "seeding_failed" in notes:
        reason = notes["seeding_failed"]["reason"]
    elif state.interrupted:
        reason = "interrupted (Ctrl-C or SIGTERM) before every check ran; the test data was deleted"
    elif interrupted:
        reason = (f"the run did not complete (pytest exit status {pytest_status}: interrupted outside a check, "
                  "or the suite could not be collected)")
    elif "time-budget" in stops:
        reason = f"the time budget of {state.settings.time_budget_s:g} s ran out before every check ran"
    elif _must_unjudged(statuses, evidence.checks, "request-budget"):
        reason = f"the request budget of {state.settings.max_requests} (--max-requests) was spent before every check"
    elif _must_unjudged(statuses, evidence.checks, "target-stopped"):
        stopped = notes.get("target_stopped", {}).get("reason") or "the target stopped answering"
        reason = f"{stopped}; the checks after that were not judged"
    elif not ran:
        reason = "no check ran"
    if reason:
        verdict = "error"
        for status in statuses:  # say why nothing judged it, not merely that nothing did
            if status.status == "skipped" and status.reason == "no check ran":
                status.reason = f"not judged: {reason}"
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
        run_id=state.run_id,
        options=run_options(state.settings),
    )
    run.no_certification = _no_certification(state, run)
    if state.baseline is not None:
        run.replay = _replay_result(state, run)
        for status in run.requirements:  # say why the rest is skipped: the replay did not re-run it
            if status.status == "skipped" and status.id not in {r for c in evidence.checks for r in c.requirements}:
                status.reason = (f"not re-run: {state.baseline.statuses.get(status.id, 'not judged')} in the "
                                 f"replayed run {state.baseline.run_id}")
    state.run_result = run
    state.notes = notes
    _write_reports(state, run)
    return int(run.replay["exit_status"]) if run.replay is not None else _EXIT[verdict]


def _replay_result(state: RunState, run: RunResult) -> dict[str, Any]:
    """A replay's outcome against the run it replays: what is fixed, still failing, new (replay.py)."""
    baseline = state.baseline
    outcomes = replay_outcomes(baseline.statuses, run.requirements)
    return {"of_run": baseline.run_id, "of_report_dir": str(baseline.report_dir), "checks": len(baseline.checks),
            "requests": run.requests, "requests_before": baseline.requests,
            "outcomes": [o.to_dict() for o in outcomes], "exit_status": replay_exit_status(outcomes, run.verdict)}


def _no_certification(state: RunState, run: RunResult) -> str | None:
    """Why this run gets no certification.zip, or None: a bundle certifies a whole run only."""
    if state.settings.profile.name != "full":
        return "only the full profile certifies (--profile full)"
    if state.settings.read_only:
        return "a read-only run cannot judge the requirements that need writes"
    if state.selection:
        return f"the checks were filtered ({state.selection}): a bundle certifies an unfiltered run only"
    if run.verdict == "error":
        return f"the run could not judge its target: {run.reason}"
    unjudged = [s.id for s in run.requirements if s.level == "MUST" and s.status == "skipped"]
    if unjudged:
        return f"{len(unjudged)} MUST requirement(s) were not judged: {', '.join(unjudged)}"
    return None


def _must_unjudged(statuses: list[RequirementStatus], checks: list[CheckResult], stop: Stop) -> bool:
    """A MUST requirement was left skipped, and a check serving it was cut short by this ``stop``."""
    stopped = {r for c in checks if c.stopped == stop for r in c.requirements}
    return any(s.level == "MUST" and s.status == "skipped" and s.id in stopped for s in statuses)


def _merged_notes(notes: list[tuple[str, dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    """Notes of every process, one per kind: lists joined, counts added."""
    merged: dict[str, dict[str, Any]] = {}
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
    report_dir = state.settings.report_dir
    _write_plain_reports(report_dir, run)
    if run.no_certification is None:
        from ..reports.bundle import write_bundle
        from ..reports.har import write_har

        har = report_dir / "evidence.har"
        secrets = [key for key in (state.target.api_key, state.target.other_api_key) if key]
        write_har(iter_exchange_records(state.evidence_dir), har, creator_version=__version__, secrets=secrets)
        write_bundle(report_dir, run=run, spec_path=Path(state.contract.spec.path), har_path=har)
    shutil.rmtree(state.evidence_dir, ignore_errors=True)


def _write_plain_reports(report_dir: Path, run: RunResult) -> None:
    report_dir.mkdir(parents=True, exist_ok=True)
    for writer in REPORT_WRITERS:
        writer.write(run, report_dir / writer.name)


def write_error_reports(settings: Settings, contract: Contract, waivers: list[Waiver], *, run_id: str,
                        started_at: datetime, reason: str, base_url: str | None = None) -> RunResult:
    """A run that could not test its target (exit 3) still leaves its three reports, saying why."""
    statuses, _ = judge([], waivers)
    for status in statuses:
        status.status, status.reason = "skipped", reason
    now = datetime.now(UTC)
    run = RunResult(
        suite_version=__version__, spec=contract.spec, base_url=base_url or settings.base_url or "(bundled reference)",
        profile=settings.profile.name, seed=settings.seed, started_at=started_at.isoformat(timespec="seconds"),
        finished_at=now.isoformat(timespec="seconds"), duration_s=round(time.time() - started_at.timestamp(), 2),
        requests=0, verdict="error", reason=reason, requirements=statuses, checks=[], read_only=settings.read_only,
        run_id=run_id, options=run_options(settings),
    )
    _write_plain_reports(settings.report_dir, run)
    return run


def terminal_lines(state: RunState) -> list[str]:
    """The verdict block: the last thing a run prints; its counts are requirements of the catalogue."""
    run = state.run_result
    if run is None:
        return []
    lines = verdict_lines(run, state.settings.report_dir)
    notes = state.notes
    if "cleanup_failed" in notes:
        failures = notes["cleanup_failed"]["failures"]
        lines.insert(-1, f"  cleanup: {len(failures)} conversation(s) could not be deleted, e.g. {failures[0]}")
    if notes.get("earlier_runs", {}).get("failures"):
        failures = notes["earlier_runs"]["failures"]
        lines.insert(-1, f"  earlier runs: {len(failures)} conversation(s) of killed runs could not be deleted, "
                         f"e.g. {failures[0]}")
    if "throttled" in notes:
        data = notes["throttled"]
        lines.insert(-1, f"  throttled: {data['responses_429']} answer(s) 429, waited {data['waited_s']} s as asked")
    if run.replay is not None:  # last: what the replay was run for
        lines += replay_lines(run.replay)
    return lines


def verdict_lines(run: RunResult, report_dir: Path) -> list[str]:
    failed_must = [s for s in run.requirements if s.status == "failed" and s.level == "MUST"]
    headline = {"pass": "PASS", "fail": "FAIL", "error": "ERROR"}[run.verdict]
    counts = {k: sum(1 for s in run.requirements if s.status == k) for k in ("passed", "failed", "waived", "skipped")}
    lines = [
        f"dify-conformance verdict: {headline}  {len(run.requirements)} requirements: {counts['passed']} passed, "
        f"{counts['failed']} failed, {counts['waived']} waived, {counts['skipped']} skipped  "
        f"({run.requests:,} requests in {run.duration_s:g} s)",
        f"  target {run.base_url}  spec {run.spec.title} {run.spec.version}  profile {run.profile}  seed {run.seed}",
    ]
    if run.reason:
        lines.append(f"  reason: {run.reason}")
    replayed = {o["id"] for o in run.replay["outcomes"]} if run.replay is not None else None
    for status in run.requirements:
        if replayed is not None and status.status == "skipped" and status.id not in replayed:
            continue  # a replay re-runs only what failed: the rest is not judged, by design (its own block says)
        if status.status in ("failed", "waived", "skipped"):
            detail = status.evidence[0]["message"] if status.evidence else (status.waiver or status.reason or "")
            lines.append(f"  {status.status.upper():8} {status.id:10} {status.level:6} {detail[:400]}")
            request = status.evidence[0].get("request") if status.evidence and status.status == "failed" else None
            if request:  # the request that shows it, to replay (the key only as ${DIFY_API_KEY})
                lines.append(f"{'':29}{request[:400]}")
    for waiver in run.stale_waivers:
        lines.append(f"  STALE    {waiver.id:10} waiver no longer matches a failure: {waiver.reason[:120]}")
    if failed_must:
        lines.append(f"  {len(failed_must)} MUST requirement(s) failed: {', '.join(s.id for s in failed_must)}")
    if run.profile == "full" and run.no_certification:
        lines.append(f"  no certification.zip: {run.no_certification}")
    written = [str(report_dir / name) for name in REPORT_FILES]
    if (report_dir / "certification.zip").is_file():
        written.append(str(report_dir / "certification.zip"))
    lines.append("  reports: " + ", ".join(written))
    return lines
