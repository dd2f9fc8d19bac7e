"""From check results and waivers to requirement statuses and a verdict (CONTRACT.md rules)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ..spec.catalogue import REQUIREMENTS, Level
from ..spec.registry import is_generated
from .results import CheckResult, RequirementStatus, Verdict, Waiver

__all__ = ["judge", "verdict_of", "settle_inconclusive", "MAX_EVIDENCE"]

MAX_EVIDENCE = 5  # evidence items kept per requirement; the rest is counted in the reason


def judge(
    checks: Iterable[CheckResult],
    waivers: Sequence[Waiver] = (),
) -> tuple[list[RequirementStatus], list[Waiver]]:
    """Fold checks into one status per catalogue requirement, and find stale waivers.

    A requirement is ``failed`` if any violation names it, ``waived`` if failed and waived,
    ``skipped`` if no check serving it ran (reason from the checks), else
    ``passed``. A waiver whose requirement did not fail is stale.
    """
    checks = list(checks)
    waived = {w.id: w for w in waivers}
    statuses: list[RequirementStatus] = []
    for req in REQUIREMENTS:
        serving = [c for c in checks if req.id in c.requirements]
        violations = [v for c in sorted(checks, key=_generated) for v in c.violations if v.requirement == req.id]
        ran = [c for c in serving if c.outcome not in ("skipped", "error")]
        status = RequirementStatus(req.id, req.level.value, req.title, "passed", checks=len(ran))
        if violations:
            status.status = "failed"
            status.evidence = [v.evidence() for v in violations[:MAX_EVIDENCE]]
            if len(violations) > MAX_EVIDENCE:
                status.reason = f"{len(violations)} violations; the first {MAX_EVIDENCE} are shown"
            if req.id in waived:
                status.status = "waived"
                status.waiver = waived[req.id].reason
        elif not ran:
            status.status = "skipped"
            reasons = sorted({c.reason for c in serving if c.reason and c.outcome != "error"})
            status.reason = "; ".join(reasons) or "no check ran"
        statuses.append(status)
    waived_ids = {s.id for s in statuses if s.status == "waived"}
    stale = [w for w in waivers if w.id not in waived_ids]
    return statuses, stale


def settle_inconclusive(checks: Iterable[CheckResult]) -> list[CheckResult]:
    """A check left inconclusive for requirements none of which failed is an internal error of the
    suite (outcome ``error``, so the verdict is ``error``, exit 3): the cause it points at is not
    there, so nothing judged it. Owners are typed (``CheckResult.inconclusive_owners``), never read
    from the reason's text."""
    checks = list(checks)
    failed = {v.requirement for c in checks for v in c.violations}
    for check in checks:
        if check.outcome == "skipped" and check.inconclusive_owners and not failed & set(check.inconclusive_owners):
            check.outcome = "error"
            check.reason = (f"internal error of the suite: inconclusive for {', '.join(check.inconclusive_owners)}, "
                            f"which did not fail ({check.reason})")
    return checks


def _generated(check: CheckResult) -> bool:
    """Generated requests (schemathesis) come last as evidence: their values are noise around the fault,
    while the suite's own probes show it in the plainest request (sorted() is stable: False first)."""
    return is_generated(check.check_id)


def verdict_of(statuses: Iterable[RequirementStatus], stale: Sequence[Waiver]) -> Verdict:
    """``fail`` when a MUST requirement failed unwaived or a waiver is stale, else ``pass``."""
    for s in statuses:
        if s.status == "failed" and s.level == Level.MUST.value:
            return "fail"
    return "fail" if stale else "pass"
