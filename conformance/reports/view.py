"""Views of a RunResult that several report writers share: requirement order, waivers, timing."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from ..model.results import RequirementStatus, RunResult
from ..spec.catalogue import REQUIREMENTS

__all__ = [
    "TimingStats",
    "requirements_in_order",
    "applied_waivers",
    "stale_waiver_entries",
    "timing_stats",
    "percentile",
    "status_counts",
    "STATUSES",
]

STATUSES = ("passed", "failed", "waived", "skipped")


@dataclass(frozen=True, slots=True)
class TimingStats:
    count: int
    p50_s: float
    p95_s: float
    max_s: float

    def to_dict(self) -> dict[str, float | int]:
        return {"count": self.count, "p50_s": self.p50_s, "p95_s": self.p95_s, "max_s": self.max_s}


def requirements_in_order(run: RunResult) -> list[RequirementStatus]:
    """One status per catalogue requirement, in catalogue order, then any the catalogue does not know.

    A catalogue requirement the run did not judge is reported ``skipped`` rather than left out:
    the contract promises every requirement in every summary.
    """
    by_id = {s.id: s for s in run.requirements}
    ordered = []
    for req in REQUIREMENTS:
        status = by_id.pop(req.id, None)
        if status is None:
            status = RequirementStatus(
                req.id, req.level.value, req.title, "skipped", reason=run.reason or "not judged in this run"
            )
        ordered.append(status)
    return ordered + list(by_id.values())


def applied_waivers(run: RunResult) -> list[dict[str, str]]:
    """The waivers that turned a failure into ``waived``, as ``{id, reason}``."""
    return [
        {"id": s.id, "reason": s.waiver or ""} for s in requirements_in_order(run) if s.status == "waived"
    ]


def stale_waiver_entries(run: RunResult) -> list[dict[str, str]]:
    """Each stale waiver as ``{id, reason, message}``; the message says what to do about it."""
    status_of = {s.id: s.status for s in run.requirements}
    entries = []
    for waiver in run.stale_waivers:
        status = status_of.get(waiver.id, "not judged")
        entries.append(
            {
                "id": waiver.id,
                "reason": waiver.reason,
                "message": f"waiver for {waiver.id} is stale: {waiver.id} did not fail in this run "
                f"(status {status}); remove the waiver, or find out why the requirement no longer fails",
            }
        )
    return entries


def percentile(ordered: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile of an ascending, non-empty sequence."""
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def timing_stats(response_times: dict[str, list[float]]) -> dict[str, TimingStats]:
    """Per kind of request, sorted by kind; kinds without samples are left out."""
    stats = {}
    for kind in sorted(response_times):
        ordered = sorted(response_times[kind])
        if ordered:
            stats[kind] = TimingStats(
                count=len(ordered),
                p50_s=round(percentile(ordered, 50), 6),
                p95_s=round(percentile(ordered, 95), 6),
                max_s=round(ordered[-1], 6),
            )
    return stats


def status_counts(statuses: Sequence[RequirementStatus]) -> dict[str, int]:
    return {name: sum(1 for s in statuses if s.status == name) for name in STATUSES}
