"""junit.xml: one test case per check and one per requirement, ids in names, evidence in failures."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from conformance.model.results import Waiver
from conformance.reports.junit import write_junit
from conformance.spec.catalogue import REQUIREMENTS, Req

from .conftest import all_passing_checks, check, violation


def suites(run, tmp_path):
    root = ET.parse(write_junit(run, tmp_path / "junit.xml")).getroot()
    return {s.get("name"): s for s in root.iter("testsuite")}


def test_one_testcase_per_check_named_with_ids(failing_run, tmp_path):
    checks = suites(failing_run, tmp_path)["checks"]
    cases = checks.findall("testcase")
    assert len(cases) == len(failing_run.checks) == int(checks.get("tests"))
    for case, result in zip(cases, failing_run.checks, strict=True):
        assert case.get("name").startswith(result.requirements[0])
        assert case.get("classname") == "dify_conformance." + result.requirements[0].split("-")[0].lower()
        assert [p.get("value") for p in case.iter("property") if p.get("name") == "requirement"] == list(
            result.requirements
        )
    # LIMIT-02 fails the run; USER-01's violation is waived: visible as output, not a failure.
    assert checks.get("failures") == "1" and checks.get("skipped") == "1" and checks.get("errors") == "0"
    [waived] = [c for c in cases if c.get("name").startswith(Req.USER_01)]
    assert waived.find("failure") is None and "USER-01 is waived" in waived.find("system-out").text
    assert checks.get("timestamp") == failing_run.started_at


def test_failure_carries_every_violation(failing_run, tmp_path):
    [case] = [c for c in suites(failing_run, tmp_path)["checks"] if c.get("name", "").startswith(Req.LIMIT_02)]
    failure = case.find("failure")
    assert failure.get("message") == "answered 200, expected a 4xx"
    assert "limit=101 was clamped to 100" in failure.text and "curl -sS" in failure.text
    assert "<script>" in failure.text and "Falsifying example" in failure.text
    [skipped] = [c for c in suites(failing_run, tmp_path)["checks"] if c.find("skipped") is not None]
    assert "read-only" in skipped.find("skipped").get("message")


def test_requirements_suite_one_case_per_requirement(failing_run, tmp_path):
    cases = {
        c.get("name").split(" ")[0]: c for c in suites(failing_run, tmp_path)["requirements"].iter("testcase")
    }
    assert list(cases) == [r.id for r in REQUIREMENTS]
    assert cases[Req.LIMIT_02].find("failure") is not None
    assert cases[Req.DATA_02].find("skipped") is not None
    waived = cases[Req.USER_01]
    assert waived.find("failure") is None and "waived" in waived.find("system-out").text
    assert {p.get("name"): p.get("value") for p in waived.iter("property")}["waived"] == (
        "this Dify version serves a default user"
    )


def test_illegal_xml_characters_are_stripped(make_run, tmp_path):
    run = make_run(
        [
            check(
                Req.AUTH_01,
                outcome="failed",
                name="AUTH-01 bell\x07",
                violations=[violation(Req.AUTH_01, "nul\x00 esc\x1b", body_excerpt="\x0b\ud800x")],
            )
        ]
    )
    path = write_junit(run, tmp_path / "junit.xml")
    ET.parse(path)  # well-formed despite the control characters
    text = path.read_bytes()
    assert b"\x00" not in text and b"\x1b" not in text and b"\x07" not in text


def test_a_passing_run_with_should_violations_has_no_failure_or_error(make_run, tmp_path):
    """SCHEMA-02 (SHOULD) is violated inside a check named after SCHEMA-01 (MUST): visible, not red."""
    checks = [c for c in all_passing_checks() if c.requirements[0] not in (Req.SCHEMA_01, Req.SCHEMA_02)]
    checks.append(check(Req.SCHEMA_01, Req.SCHEMA_02, outcome="failed",
                        violations=[violation(Req.SCHEMA_02, "items lack introduction")]))
    run = make_run(checks)
    assert run.verdict == "pass"
    path = write_junit(run, tmp_path / "junit.xml")
    root = ET.parse(path).getroot()
    assert root.find(".//failure") is None and root.find(".//error") is None
    assert root.get("failures") == "0" and root.get("errors") == "0"
    [case] = [c for c in root.iter("testcase") if c.get("name").startswith("SCHEMA-01 SCHEMA-02")]
    out = case.find("system-out").text
    assert "SCHEMA-02 is a SHOULD requirement" in out and "items lack introduction" in out and "curl" in out
    [requirement] = [c for c in root.iter("testcase") if c.get("name").startswith("SCHEMA-02 ")]
    assert "SHOULD requirement not met" in requirement.find("system-out").text


def test_an_error_run_has_an_error_case_and_a_stale_waiver_a_failure(make_run, tmp_path):
    error = ET.parse(write_junit(make_run(reason="the API key was rejected"), tmp_path / "e.xml")).getroot()
    [case] = [c for c in error.iter("testcase") if c.find("error") is not None]
    assert case.get("name") == "dify-conformance run" and "API key was rejected" in case.find("error").get("message")
    assert error.get("errors") == "1"
    stale = make_run(waivers=[Waiver(Req.SORT_01, "no longer needed")])
    assert stale.verdict == "fail"
    root = ET.parse(write_junit(stale, tmp_path / "s.xml")).getroot()
    [case] = [c for c in root.iter("testcase") if c.find("failure") is not None]
    assert case.get("name") == "stale waiver SORT-01" and root.get("failures") == "1"


def test_every_report_carries_the_run_id(passing_run, tmp_path):
    root = ET.parse(write_junit(passing_run, tmp_path / "junit.xml")).getroot()
    assert {p.get("value") for p in root.iter("property") if p.get("name") == "run_id"} == {"5eed1234"}
