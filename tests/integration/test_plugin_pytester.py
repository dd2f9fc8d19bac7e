"""The plugin as users meet it: a pytest run (pytester, in a subprocess) of checks that use it."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from conformance.spec.catalogue import Req

pytestmark = pytest.mark.slow  # each run starts the bundled reference server

TYPO_CHECK = '''
import pytest

from conformance.run.checks import expect
from conformance.model.results import Violation


@pytest.mark.requirement("LIMIT-01")
def test_a_check_with_a_typo_in_its_violation(api, users):
    api.list(user=users.main)
    expect([Violation("LIMT-01", "a violation of a requirement that does not exist")])
'''


def test_a_violation_of_an_unknown_requirement_is_an_internal_error(pytester: pytest.Pytester) -> None:
    """Never silently dropped and never a pass: the run's verdict is error and names the id."""
    pytester.makepyfile(test_typo=TYPO_CHECK)
    reports = pytester.path / "reports"
    result = pytester.runpytest_subprocess("-p", "conformance.run.plugin", "-p", "conformance.run.fixtures",
                                           "--report-dir", str(reports), "--seed", "1", "-p", "no:cacheprovider",
                                           "-p", "no:timeout")  # the suite has a --timeout of its own
    summary = json.loads((reports / "summary.json").read_text(encoding="utf-8"))
    assert result.ret == 3, result.stdout.str()
    assert summary["verdict"] == "error" and "internal error of the suite" in summary["reason"], summary["reason"]
    assert "LIMT-01" in summary["reason"]
    [check] = [c for c in summary["checks"] if c["check_id"].endswith("test_a_check_with_a_typo_in_its_violation")]
    assert check["outcome"] == "error"
    assert next(r for r in summary["requirements"] if r["id"] == Req.LIMIT_01)["status"] == "skipped"
    junit = ET.parse(reports / "junit.xml").getroot()
    assert junit.find(".//error[@type='InternalError']") is not None
    result.stdout.fnmatch_lines(["dify-conformance verdict: ERROR*"])


CRASHING_CHECKS = '''
import pytest

from conformance.run.checks import expect


@pytest.mark.requirement("LIMIT-01")
def test_a_check_that_crashes(api, users):
    api.list(user=users.main)
    {}["a bug of the check"]


@pytest.mark.requirement("AUTH-01")
def test_a_check_that_crashes_where_another_judges(api, users):
    raise TypeError("another bug of a check")


@pytest.mark.requirement("AUTH-01")
def test_a_check_that_judges(api, users):
    expect([])
'''


def _run(pytester: pytest.Pytester, *args: str) -> tuple[pytest.RunResult, dict]:
    reports = pytester.path / "reports"
    result = pytester.runpytest_subprocess("-p", "conformance.run.plugin", "-p", "conformance.run.fixtures",
                                           "--report-dir", str(reports), "--seed", "1", "-p", "no:cacheprovider",
                                           "-p", "no:timeout", *args)
    return result, json.loads((reports / "summary.json").read_text(encoding="utf-8"))


def test_a_crash_in_a_check_is_the_suites_error_never_the_targets_failure(pytester: pytest.Pytester) -> None:
    """Outcome error with the traceback, no requirement failed; the verdict is error only where a MUST
    requirement is then unjudged (LIMIT-01 here), and not where another check judged it (AUTH-01)."""
    pytester.makepyfile(test_crash=CRASHING_CHECKS)
    result, summary = _run(pytester)
    checks = {c["check_id"].rsplit("::", 1)[-1]: c for c in summary["checks"]}
    for name in ("test_a_check_that_crashes", "test_a_check_that_crashes_where_another_judges"):
        assert checks[name]["outcome"] == "error" and checks[name]["violations"] == [], checks[name]
        assert "Traceback" in checks[name]["traceback"], checks[name]
    statuses = {r["id"]: r["status"] for r in summary["requirements"]}
    assert "failed" not in statuses.values(), statuses
    assert statuses[Req.AUTH_01] == "passed" and statuses[Req.LIMIT_01] == "skipped", statuses
    assert summary["verdict"] == "error" and "test_a_check_that_crashes" in summary["reason"], summary["reason"]
    assert result.ret == 3

    result, summary = _run(pytester, "-k", "not test_a_check_that_crashes or where_another_judges")
    assert summary["verdict"] == "pass", summary["reason"]  # AUTH-01 judged; the broken check stays visible
    assert result.ret == 0, result.stdout.str()
    junit = ET.parse(pytester.path / "reports" / "junit.xml").getroot()
    assert junit.find(".//error") is None and junit.find(".//failure") is None
    assert any("another bug of a check" in (e.text or "") for e in junit.iter("system-out"))
