"""junit.xml: two views for CI UIs, one test case per check and one per catalogue requirement.

The ``checks`` suite says what ran (name starts with the requirement ids, classname by area);
the ``requirements`` suite says where each requirement stands, waivers included.
"""

from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path

from ..model.results import CheckResult, RequirementStatus, RunResult, Violation
from ..spec.catalogue import Level, is_known
from ..spec.catalogue import requirement as lookup
from .files import write_atomically
from .view import requirements_in_order

__all__ = ["write_junit", "junit_xml", "xml_safe", "CHECKS_SUITE", "REQUIREMENTS_SUITE"]

CHECKS_SUITE = "checks"
REQUIREMENTS_SUITE = "requirements"
_CLASS_PREFIX = "dify_conformance"
# Characters XML 1.0 does not allow, even escaped (most C0 controls, surrogates, U+FFFE/U+FFFF).
_ILLEGAL_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_safe(text: object) -> str:
    return _ILLEGAL_XML.sub("\ufffd", str(text))


def _element(parent: ET.Element, tag: str, text: str | None = None, **attributes: object) -> ET.Element:
    child = ET.SubElement(parent, tag, {k: xml_safe(v) for k, v in attributes.items() if v is not None})
    if text:
        child.text = xml_safe(text)
    return child


def _properties(parent: ET.Element, pairs: Sequence[tuple[str, object]]) -> None:
    if pairs:
        properties = _element(parent, "properties")
        for name, value in pairs:
            _element(properties, "property", name=name, value=value)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def violation_text(violation: Violation) -> str:
    lines = [f"[{violation.requirement}] {violation.message}"]
    if violation.request:
        lines.append(f"    request: {violation.request}")
    if violation.status_code is not None:
        lines.append(f"    status:  {violation.status_code}")
    if violation.body_excerpt:
        lines.append(f"    body:    {violation.body_excerpt}")
    return "\n".join(lines)


def _classname(check: CheckResult) -> str:
    area = check.requirements[0].split("-")[0].lower() if check.requirements else "unattributed"
    return f"{_CLASS_PREFIX}.{area}"


def _check_case(suite: ET.Element, check: CheckResult, failing: set[str], errors_fail: bool = True) -> None:
    """``failing``: the requirements that fail the run (MUST, not waived). Only their violations are a
    <failure>; a SHOULD or waived one stays visible as output, so a passing run shows no red."""
    case = _element(
        suite, "testcase", name=check.name, classname=_classname(check), time=f"{check.duration_s:.3f}"
    )
    _properties(case, [("requirement", r) for r in check.requirements] + [("check_id", check.check_id)])
    if check.outcome == "failed":
        failing_violations = [v for v in check.violations if v.requirement in failing]
        other = [v for v in check.violations if v.requirement not in failing]
        texts = [violation_text(v) for v in failing_violations]
        if failing_violations and check.replay:
            texts.append(check.replay)
        if failing_violations:
            _element(case, "failure", "\n\n".join(texts), message=_one_line(failing_violations[0].message),
                     type="ConformanceFailure")
        if other:
            why = "; ".join(_why_not_failing(r) for r in dict.fromkeys(v.requirement for v in other))
            notes = [f"not failing the run ({why}):", "", *[violation_text(v) for v in other]]
            if not failing_violations and check.replay:
                notes += ["", check.replay]
            _element(case, "system-out", "\n".join(notes))
    elif check.outcome == "skipped":
        _element(case, "skipped", message=_one_line(check.reason or "skipped"))
    elif check.outcome == "error":
        text = "\n\n".join(t for t in (check.reason or "the check broke", check.traceback) if t)
        if errors_fail:
            _element(case, "error", text, message=_one_line(check.reason or "error"), type="InternalError")
        else:  # the suite broke, but every MUST requirement was judged: visible, not red (CONTRACT.md)
            _element(case, "skipped", message=_one_line(f"the check broke (not the target): {check.reason}"))
            _element(case, "system-out", text)


def _why_not_failing(requirement: str) -> str:
    if is_known(requirement) and lookup(requirement).level is Level.SHOULD:
        return f"{requirement} is a SHOULD requirement"
    return f"{requirement} is waived"


def _evidence_text(status: RequirementStatus) -> str:
    lines = []
    for item in status.evidence:
        lines.append(
            violation_text(
                Violation(
                    status.id,
                    item.get("message") or "",
                    item.get("request"),
                    item.get("status_code"),
                    item.get("body_excerpt"),
                )
            )
        )
    if status.reason:
        lines.append(status.reason)
    return "\n\n".join(lines)


def _requirement_case(suite: ET.Element, status: RequirementStatus) -> None:
    case = _element(
        suite,
        "testcase",
        name=f"{status.id} {status.title}",
        classname=f"{_CLASS_PREFIX}.{REQUIREMENTS_SUITE}",
        time="0.000",
    )
    pairs: list[tuple[str, object]] = [
        ("requirement", status.id),
        ("level", status.level),
        ("status", status.status),
        ("checks", status.checks),
    ]
    if status.status == "waived":
        pairs.append(("waived", status.waiver or ""))
    _properties(case, pairs)
    first = status.evidence[0].get("message") if status.evidence else None
    if status.status == "failed" and status.level == "MUST":
        _element(
            case,
            "failure",
            _evidence_text(status),
            message=_one_line(first or status.reason or "failed"),
            type=f"{status.level} requirement failed",
        )
    elif status.status == "failed":  # a SHOULD: reported with its evidence, never a red test case
        _element(case, "system-out", "SHOULD requirement not met (does not fail the run):\n\n"
                 + _evidence_text(status))
    elif status.status == "skipped":
        _element(case, "skipped", message=_one_line(status.reason or "no check ran"))
    elif status.status == "waived":
        _element(
            case,
            "system-out",
            f"waived: {status.waiver or ''}\n\nthe failure that was waived:\n\n" + _evidence_text(status),
        )


def _run_cases(suite: ET.Element, run: RunResult) -> list[str]:
    """Test cases for what fails or stops the run besides requirements: an error verdict, stale waivers."""
    outcomes = []
    if run.verdict == "error":
        case = _element(suite, "testcase", name="dify-conformance run", classname=f"{_CLASS_PREFIX}.run",
                        time=f"{run.duration_s:.3f}")
        _element(case, "error", run.reason or "the run could not judge its target",
                 message=_one_line(run.reason or "error"), type="RunError")
        outcomes.append("error")
    for waiver in run.stale_waivers:
        case = _element(suite, "testcase", name=f"stale waiver {waiver.id}", classname=f"{_CLASS_PREFIX}.waivers",
                        time="0.000")
        _element(case, "failure", f"the waiver for {waiver.id} matches no failure: {waiver.reason}",
                 message=f"stale waiver {waiver.id}", type="StaleWaiver")
        outcomes.append("failed")
    return outcomes


def _suite(root: ET.Element, name: str, run: RunResult, outcomes: Sequence[str], time_s: float) -> ET.Element:
    return _element(
        root,
        "testsuite",
        name=name,
        tests=len(outcomes),
        failures=outcomes.count("failed"),
        skipped=outcomes.count("skipped"),
        errors=outcomes.count("error"),
        time=f"{time_s:.3f}",
        timestamp=run.started_at,
    )


def _run_properties(run: RunResult) -> list[tuple[str, object]]:
    pairs: list[tuple[str, object]] = [("run_id", run.run_id), ("verdict", run.verdict)]
    if run.reason:
        pairs.append(("reason", run.reason))
    return pairs + [
        ("suite_version", run.suite_version),
        ("spec", f"{run.spec.title} {run.spec.version}"),
        ("spec_sha256", run.spec.sha256),
        ("base_url", run.base_url),
        ("profile", run.profile),
        ("seed", run.seed),
        ("requests", run.requests),
    ]


def junit_xml(run: RunResult) -> bytes:
    statuses = requirements_in_order(run)
    failing = {s.id for s in statuses if s.status == "failed" and s.level == "MUST"}
    errors_fail = run.verdict == "error"  # a broken check is red only where it left the run unjudged
    check_outcomes = [_junit_outcome(c, failing, errors_fail) for c in run.checks]
    requirement_outcomes: list[str] = [s.status if s.status != "failed" or s.id in failing else "passed"
                                       for s in statuses]
    scratch = ET.Element("scratch")  # the run's own cases are counted before their suite is made
    run_outcomes = _run_cases(scratch, run)
    requirement_outcomes += run_outcomes
    root = ET.Element(
        "testsuites",
        {
            "name": "dify-conformance",
            "tests": str(len(check_outcomes) + len(requirement_outcomes)),
            "failures": str(check_outcomes.count("failed") + requirement_outcomes.count("failed")),
            "skipped": str(check_outcomes.count("skipped") + requirement_outcomes.count("skipped")),
            "errors": str(check_outcomes.count("error") + requirement_outcomes.count("error")),
            "time": f"{run.duration_s:.3f}",
        },
    )
    checks = _suite(root, CHECKS_SUITE, run, check_outcomes, run.duration_s)
    _properties(checks, _run_properties(run))
    for check in run.checks:
        _check_case(checks, check, failing, errors_fail)
    requirements = _suite(root, REQUIREMENTS_SUITE, run, requirement_outcomes, 0.0)
    _properties(requirements, [("run_id", run.run_id)])
    for status in statuses:
        _requirement_case(requirements, status)
    requirements.extend(list(scratch))
    ET.indent(root)
    document: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return document + b"\n"


def _junit_outcome(check: CheckResult, failing: set[str], errors_fail: bool = True) -> str:
    """A check is a failure in JUnit only where it found a violation of a requirement that fails the run,
    an error only where the run's verdict is error."""
    if check.outcome == "failed" and not any(v.requirement in failing for v in check.violations):
        return "passed"
    if check.outcome == "error" and not errors_fail:
        return "skipped"
    return check.outcome


def write_junit(run: RunResult, path: str | os.PathLike[str]) -> Path:
    return write_atomically(path, junit_xml(run))
