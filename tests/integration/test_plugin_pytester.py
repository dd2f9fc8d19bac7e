"""The plugin as users meet it: a pytest run (pytester, in a subprocess) of checks that use it."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

pytestmark = pytest.mark.slow  # each run starts the bundled reference server

TYPO_CHECK = '''
import pytest

from conformance.checks import expect
from conformance.results import Violation


@pytest.mark.requirement("LIMIT-01")
def test_a_check_with_a_typo_in_its_violation(api, users):
    api.list(user=users.main)
    expect([Violation("LIMT-01", "a violation of a requirement that does not exist")])
'''


def test_a_violation_of_an_unknown_requirement_is_an_internal_error(pytester: pytest.Pytester) -> None:
    """Never silently dropped and never a pass: the run's verdict is error and names the id."""
    pytester.makepyfile(test_typo=TYPO_CHECK)
    reports = pytester.path / "reports"
    result = pytester.runpytest_subprocess("-p", "conformance.plugin", "-p", "conformance.fixtures",
                                           "--report-dir", str(reports), "--seed", "1", "-p", "no:cacheprovider",
                                           "-p", "no:timeout")  # the suite has a --timeout of its own
    summary = json.loads((reports / "summary.json").read_text(encoding="utf-8"))
    assert result.ret == 3, result.stdout.str()
    assert summary["verdict"] == "error" and "internal error of the suite" in summary["reason"], summary["reason"]
    assert "LIMT-01" in summary["reason"]
    [check] = [c for c in summary["checks"] if c["check_id"].endswith("test_a_check_with_a_typo_in_its_violation")]
    assert check["outcome"] == "error"
    assert next(r for r in summary["requirements"] if r["id"] == "LIMIT-01")["status"] == "skipped"
    junit = ET.parse(reports / "junit.xml").getroot()
    assert junit.find(".//error[@type='InternalError']") is not None
    result.stdout.fnmatch_lines(["dify-conformance verdict: ERROR*"])
