"""``dify-conformance replay``: re-run, with the same spec, profile, seed and options, only the checks that
failed in an earlier run, and say of each requirement that failed there whether it is fixed now.

The earlier run is read from its ``summary.json`` alone (its ``options`` and ``checks``); the API keys
come from the environment as for ``run``, never from a file. A failed cross-cutting requirement
(``crosscut::ROBUST-01``, say) is judged on every exchange, so no single check is known to have sent
the failing request: the replay re-runs every suite check that serves that requirement
(``conformance/spec/registry.py``), and the cross-cutting judges see every exchange of the replay again.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from ..config.options import RUN_OPTIONS
from ..config.settings import Settings
from ..errors import EXIT_FAIL, EXIT_PASS, EXIT_TARGET, UsageError
from ..model.results import RequirementStatus
from ..spec.catalogue import Req, is_known, requirement
from ..spec.registry import checks_serving

__all__ = ["Baseline", "ReplayOutcome", "run_options", "load_baseline", "replay_flags", "replay_outcomes",
           "replay_exit_status", "replay_lines", "REPLAY_DIR"]

REPLAY_DIR = "replay"  # the replay's reports: REPORT_DIR/replay/ unless --report-dir says otherwise
Outcome = Literal["FIXED", "STILL FAILING", "NOT JUDGED", "NEW"]

# Run options whose Settings field has another name; the rest are read as ``settings.<option name>``.
_SETTING_OF = {"spec": "spec_path", "timeout": "timeout_s", "waivers": "waivers_path", "time_budget": "time_budget_s"}
# Not replayed: the replay's own (report_dir), or never recorded (the keys), or what would turn the
# failures there into accepted ones again (waivers: the replay shows every requirement as it is).
_NOT_REPLAYED = frozenset({"report_dir", "waivers"})


def run_options(settings: Settings) -> dict[str, Any]:
    """The run's options as given (resolved), for summary.json: enough for ``replay`` to run it again.

    Never a key: of the API keys only whether the second one was given. ``base_url`` None: the
    bundled reference server.
    """
    recorded: dict[str, Any] = {}
    for option in RUN_OPTIONS:
        if not option.in_files:  # the API keys
            continue
        if option.name == "ca_bundle":
            recorded[option.name] = settings.verify if isinstance(settings.verify, str) else None
        elif option.name == "insecure":
            recorded[option.name] = settings.verify is False
        elif option.name == "report_dir":
            recorded[option.name] = str(settings.report_dir)
        elif option.name == "profile":
            recorded[option.name] = settings.profile.name
        else:
            recorded[option.name] = getattr(settings, _SETTING_OF.get(option.name, option.name), None)
    recorded["other_api_key_given"] = bool(settings.other_api_key)
    return recorded


@dataclass(frozen=True)
class Baseline:
    """What the earlier run says about itself: its options, each requirement's status, what to re-run."""

    report_dir: Path
    run_id: str
    requests: int
    options: dict[str, Any]
    statuses: dict[str, str]  # requirement id -> passed | failed | waived | skipped
    checks: tuple[str, ...]  # pytest node ids (relative to the suite's root) to re-run
    spec_sha256: str

    @property
    def failed(self) -> list[str]:
        return [r for r, status in self.statuses.items() if status == "failed"]


def load_baseline(report_dir: Path) -> Baseline:
    """The earlier run in ``report_dir``; UsageError (exit 2) when there is none to replay."""
    path = report_dir / "summary.json"
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"no summary.json in {str(report_dir)!r}: replay needs the report directory of a run") \
            from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise UsageError(f"cannot read {str(path)!r}: {exc}") from None
    options = summary.get("options") if isinstance(summary, dict) else None
    if not isinstance(options, dict):
        raise UsageError(f"{path} records no run options (summary schema version "
                         f"{summary.get('schema_version') if isinstance(summary, dict) else '?'}): "
                         "it cannot be replayed; run it again with this version")
    try:
        statuses = {r["id"]: r["status"] for r in summary["requirements"] if is_known(r["id"])}
        failed = {r for r, status in statuses.items() if status == "failed"}
        checks = _checks_to_rerun(summary["checks"], failed)
        baseline = Baseline(report_dir, str(summary["run_id"]), int(summary["requests"]), options, statuses,
                            checks, str(summary["spec"]["sha256"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise UsageError(f"{path} is not a summary.json of dify-conformance: {exc!r} is missing or wrong") from None
    if summary.get("verdict") == "error" and not failed:
        raise UsageError(f"the run in {str(report_dir)!r} judged nothing to replay (verdict error: "
                         f"{summary.get('reason')}): run it again")
    return baseline


def _checks_to_rerun(checks: Sequence[Mapping[str, Any]], failed: set[str]) -> tuple[str, ...]:
    """The suite checks that failed (or broke), and, for a failed cross-cutting requirement, every suite
    check that serves it: any of them may have sent the request that showed it."""
    chosen: dict[str, None] = {}
    for check in checks:
        check_id = str(check["check_id"])
        if check["outcome"] not in ("failed", "error"):
            continue
        if check_id.startswith("crosscut::"):
            wanted = Req(check_id.removeprefix("crosscut::"))
            for serving in checks_serving(wanted):
                if serving.module != "crosscut":
                    chosen.setdefault(f"suite/{serving.module}.py::{serving.name}")
        elif check["outcome"] == "error" or any(v["requirement"] in failed for v in check["violations"]):
            chosen.setdefault(check_id)
    return tuple(chosen)


def replay_flags(baseline: Baseline, *, base_url: str | None, report_dir: str | None) -> dict[str, Any]:
    """The flags of the replay: the earlier run's options, its target unless ``base_url``, its own reports."""
    flags: dict[str, Any] = {o.name: None for o in RUN_OPTIONS}
    for name, value in baseline.options.items():
        if name in flags and name not in _NOT_REPLAYED and value is not None and value is not False:
            flags[name] = value
    if base_url is not None:
        flags["base_url"] = base_url
    flags["report_dir"] = report_dir or str(baseline.report_dir / REPLAY_DIR)
    return flags


def check_spec_unchanged(baseline: Baseline, path: str, sha256: str) -> None:
    """The same spec, byte for byte: otherwise the replay would judge against other expectations."""
    if sha256 != baseline.spec_sha256:
        raise UsageError(f"the spec {path!r} changed since that run (sha256 {sha256[:12]}..., then "
                         f"{baseline.spec_sha256[:12]}...): a replay judges against the same spec")


@dataclass(frozen=True, slots=True)
class ReplayOutcome:
    id: str
    level: str
    before: str  # the status in the earlier run
    now: str  # the status in the replay
    outcome: Outcome
    detail: str  # the first evidence message now, or why it was not judged

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "level": self.level, "before": self.before, "now": self.now,
                "outcome": self.outcome, "detail": self.detail}


def replay_outcomes(before: Mapping[str, str], now: Sequence[RequirementStatus]) -> list[ReplayOutcome]:
    """Pure: each requirement that failed there, FIXED (passed now), STILL FAILING or NOT JUDGED (skipped
    now: the replay could not tell), then each one failing now that neither failed nor was waived there (NEW)."""
    outcomes: list[ReplayOutcome] = []
    for status in now:
        then = before.get(status.id, "skipped")
        detail = status.evidence[0]["message"] if status.evidence else (status.reason or "")
        if then == "failed":
            outcome: Outcome = {"passed": "FIXED", "failed": "STILL FAILING"}.get(  # type: ignore[assignment]
                status.status, "NOT JUDGED")
        elif status.status == "failed" and then != "waived":
            outcome = "NEW"
        else:
            continue
        outcomes.append(ReplayOutcome(status.id, status.level, then, status.status, outcome, detail))
    return sorted(outcomes, key=lambda o: o.outcome == "NEW")


def replay_exit_status(outcomes: Sequence[ReplayOutcome], verdict: str) -> int:
    """0 when every MUST requirement that failed there is fixed and nothing new fails; 1 when one still
    fails or something new does; 3 when the replay could not judge (its verdict is error, or a MUST
    requirement that failed there was not judged)."""
    if verdict == "error":
        return EXIT_TARGET
    if any(o.outcome == "STILL FAILING" and o.level == "MUST" or o.outcome == "NEW" for o in outcomes):
        return EXIT_FAIL
    if any(o.outcome == "NOT JUDGED" and o.level == "MUST" for o in outcomes):
        return EXIT_TARGET
    return EXIT_PASS


def replay_lines(replay: Mapping[str, Any]) -> list[str]:
    """The replay's block on the terminal: one line per requirement that failed there, and per new one."""
    lines = [f"dify-conformance replay of run {replay['of_run']} ({replay['of_report_dir']}): "
             f"{replay['checks']} check(s) re-run, {replay['requests']:,} requests (that run: "
             f"{replay['requests_before']:,})"]
    for outcome in replay["outcomes"]:
        fixed = outcome["outcome"] == "FIXED"
        detail = requirement(outcome["id"]).title[:60] if fixed else outcome["detail"][:300]
        lines.append(f"  {outcome['outcome']:13} {outcome['id']:10} {outcome['level']:6} {detail}")
    if not replay["outcomes"]:
        lines.append("  nothing failed there and nothing fails now")
    return lines
