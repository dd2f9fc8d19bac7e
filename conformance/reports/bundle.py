"""certification.zip: the reports, the spec, the HTTP evidence and a manifest of checksums.

:func:`verify_bundle` trusts nothing in the bundle it can recompute: it checks every checksum,
that manifest and summary agree, and re-derives the verdict from the bundle's own check results.
"""

from __future__ import annotations

import hashlib
import html
import io
import json
import os
import re
import xml.etree.ElementTree as ET
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import jsonschema

from ..errors import UsageError
from ..model.results import CheckResult, RunResult, Waiver
from ..model.verdict import judge, verdict_of
from ..spec.catalogue import UnknownRequirement
from . import REPORT_NAMES
from .files import write_atomically
from .junit import CHECKS_SUITE, REQUIREMENTS_SUITE, xml_safe
from .summary import load_schema

__all__ = ["write_bundle", "verify_bundle", "BUNDLE_NAME", "BUNDLE_VERSION", "REPORT_NAMES"]

BUNDLE_NAME = "certification.zip"
BUNDLE_VERSION = 1
MANIFEST = "manifest.json"
HAR_NAME = "evidence.har"
_SPEC_DIR = "spec/"
# manifest field -> how to read the same fact from summary.json
_AGREEING_FIELDS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "run_id": lambda s: s["run_id"],
    "suite_version": lambda s: s["suite_version"],
    "spec_sha256": lambda s: s["spec"]["sha256"],
    "profile": lambda s: s["profile"],
    "seed": lambda s: s["seed"],
    "target": lambda s: s["target"],
    "started_at": lambda s: s["started_at"],
    "finished_at": lambda s: s["finished_at"],
    "verdict": lambda s: s["verdict"],
    "requirements": lambda s: _requirement_counts(s),
}


def _requirement_counts(summary: dict[str, Any]) -> dict[str, int]:
    return dict(sorted(Counter(r["status"] for r in summary["requirements"]).items()))


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write_bundle(
    report_dir: str | os.PathLike[str],
    *,
    run: RunResult,
    spec_path: str | os.PathLike[str],
    har_path: str | os.PathLike[str],
) -> Path:
    """Write ``certification.zip`` into ``report_dir`` from the reports already written there."""
    report_dir, spec_path = Path(report_dir), Path(spec_path)
    contents: dict[str, bytes] = {name: (report_dir / name).read_bytes() for name in REPORT_NAMES}
    spec = spec_path.read_bytes()
    if _sha256(spec) != run.spec.sha256:  # the bundle would certify a spec the run did not use
        raise UsageError(
            f"spec file {spec_path} changed during the run (sha256 {_sha256(spec)[:12]}..., "
            f"the run used {run.spec.sha256[:12]}...); run again"
        )
    contents[_SPEC_DIR + spec_path.name] = spec
    contents[HAR_NAME] = Path(har_path).read_bytes()
    manifest = {
        "bundle_version": BUNDLE_VERSION,
        "run_id": run.run_id,
        "suite_version": run.suite_version,
        "spec_sha256": run.spec.sha256,
        "profile": run.profile,
        "seed": run.seed,
        "target": {"base_url": run.base_url},
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "verdict": run.verdict,
        "requirements": dict(sorted(Counter(r.status for r in run.requirements).items())),
        "files": {name: _sha256(data) for name, data in sorted(contents.items())},
    }
    contents[MANIFEST] = (json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()
    return write_atomically(report_dir / BUNDLE_NAME, _zip_bytes(contents, _zip_time(run.finished_at)))


def _zip_time(iso: str) -> tuple[int, int, int, int, int, int]:
    """Every member is stamped with the run's end, so the same run gives the same bytes."""
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return (1980, 1, 1, 0, 0, 0)
    stamp = (moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second)
    return max(stamp, (1980, 1, 1, 0, 0, 0))  # zip's epoch


def _zip_bytes(contents: dict[str, bytes], stamp: tuple[int, int, int, int, int, int]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in [MANIFEST, *sorted(n for n in contents if n != MANIFEST)]:
            archive.writestr(
                zipfile.ZipInfo(name, date_time=stamp), contents[name], compress_type=zipfile.ZIP_DEFLATED
            )
    return buffer.getvalue()


class _Rejected(Exception):
    """One line saying why a bundle does not verify."""


def verify_bundle(path: str | os.PathLike[str]) -> tuple[bool, str]:
    """``(True, "bundle verified: ...")`` or ``(False, why)`` with one line naming the culprit."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = [info for info in archive.infolist() if not info.is_dir()]
            files = {info.filename: archive.read(info) for info in members}
    except (OSError, zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, zlib.error) as exc:
        return False, f"{path}: not a readable zip archive ({exc})"
    if len(files) != len(members):  # a second member of the same name would shadow the checked one
        return False, f"{path}: holds two members of the same name"
    try:
        manifest = _manifest(files)
        summary = _checked_files(files, manifest)
        _agree(manifest, summary)
        _certifies_a_whole_run(summary)
        verdict = _rederive(summary)
        _backed_by_evidence(files, summary)
        _junit_agrees(files["junit.xml"], summary)
        _html_agrees(files["report.html"], summary)
    except _Rejected as exc:
        return False, str(exc)
    return True, (
        f"bundle verified: verdict {verdict}, {len(files)} files, spec sha256 {summary['spec']['sha256']}"
    )


def _json(files: dict[str, bytes], name: str) -> Any:
    try:
        return json.loads(files[name].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _Rejected(f"{name}: not valid JSON ({exc})") from None


def _manifest(files: dict[str, bytes]) -> dict[str, Any]:
    if MANIFEST not in files:
        raise _Rejected(f"{MANIFEST} is missing from the bundle")
    manifest = _json(files, MANIFEST)
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), dict):
        raise _Rejected(f"{MANIFEST}: no `files` table of checksums")
    if manifest.get("bundle_version") != BUNDLE_VERSION:
        raise _Rejected(
            f"{MANIFEST}: bundle_version {manifest.get('bundle_version')!r} is not {BUNDLE_VERSION}"
        )
    return manifest


def _checked_files(files: dict[str, bytes], manifest: dict[str, Any]) -> dict[str, Any]:
    """Every listed file present with its checksum, nothing unlisted; returns the parsed summary."""
    listed: dict[str, str] = manifest["files"]
    for name in [*REPORT_NAMES, HAR_NAME]:
        if name not in listed:
            raise _Rejected(f"{MANIFEST} does not list {name}")
    specs = [name for name in listed if name.startswith(_SPEC_DIR)]
    if len(specs) != 1:
        raise _Rejected(f"{MANIFEST} lists {len(specs)} spec files under {_SPEC_DIR}, expected 1")
    for name, digest in sorted(listed.items()):
        if name not in files:
            raise _Rejected(f"{name}: listed in {MANIFEST} but missing from the bundle")
        if _sha256(files[name]) != digest:
            raise _Rejected(f"{name}: sha256 differs from {MANIFEST} (the file was changed)")
    extra = sorted(set(files) - set(listed) - {MANIFEST})
    if extra:
        raise _Rejected(f"{extra[0]}: in the bundle but not listed in {MANIFEST}")
    summary = _json(files, "summary.json")
    try:
        jsonschema.validate(summary, load_schema())
    except jsonschema.ValidationError as exc:
        where = "/".join(str(p) for p in exc.absolute_path) or "top level"
        problem = " ".join(exc.message.split())[:200]
        raise _Rejected(f"summary.json: does not match its schema at {where}: {problem}") from None
    if _sha256(files[specs[0]]) != summary["spec"]["sha256"]:
        raise _Rejected(f"{specs[0]}: sha256 differs from the spec sha256 recorded in summary.json")
    return dict(summary)


def _agree(manifest: dict[str, Any], summary: dict[str, Any]) -> None:
    for field, read in _AGREEING_FIELDS.items():
        if manifest.get(field) != read(summary):
            raise _Rejected(
                f"{MANIFEST}: {field} {manifest.get(field)!r} disagrees with summary.json {read(summary)!r}"
            )


def _certifies_a_whole_run(summary: dict[str, Any]) -> None:
    """A bundle of a partial run (filtered, read-only, unjudged MUST requirements) certifies nothing."""
    certification = summary.get("certification") or {}
    if not certification.get("bundle"):
        raise _Rejected(f"summary.json: this run was not to be certified ({certification.get('reason')})")
    if summary["profile"] != "full" or summary["read_only"]:
        raise _Rejected(f"summary.json: a {summary['profile']}{' read-only' if summary['read_only'] else ''} run "
                        "certifies nothing; only a full profile run in write mode does")
    unjudged = [r["id"] for r in summary["requirements"] if r["level"] == "MUST" and r["status"] == "skipped"]
    if unjudged:
        raise _Rejected(f"summary.json: MUST requirement(s) not judged: {', '.join(unjudged)}")


def _rederive(summary: dict[str, Any]) -> str:
    """The verdict the bundle's own check results and waivers give; it must equal the recorded one."""
    try:
        checks = [CheckResult.from_dict(c) for c in summary["checks"]]
    except UnknownRequirement as exc:
        raise _Rejected(f"summary.json: {exc}") from None
    waivers = [Waiver(w["id"], w["reason"]) for w in summary["waivers"] + summary["stale_waivers"]]
    statuses, stale = judge(checks, waivers)
    recorded = {r["id"]: r["status"] for r in summary["requirements"]}
    for status in statuses:
        if recorded.get(status.id) != status.status:
            raise _Rejected(
                f"summary.json: {status.id} is recorded {recorded.get(status.id)!r}, "
                f"but the bundle's checks give {status.status!r}"
            )
    recorded_stale = sorted(w["id"] for w in summary["stale_waivers"])
    if sorted(w.id for w in stale) != recorded_stale:
        raise _Rejected(
            f"summary.json: stale waivers recorded {recorded_stale}, "
            f"but the bundle's checks give {sorted(w.id for w in stale)}"
        )
    # An error verdict is a fact about the run (it could not finish), not about the checks.
    derived = "error" if summary["verdict"] == "error" and summary["reason"] else verdict_of(statuses, stale)
    if derived != summary["verdict"]:
        raise _Rejected(
            f"summary.json: recorded verdict {summary['verdict']!r}, "
            f"but the bundle's own results give {derived!r}"
        )
    return derived


def _backed_by_evidence(files: dict[str, bytes], summary: dict[str, Any]) -> None:
    """The results judged again from the bundle's own recorded exchanges (rejudge.py)."""
    from .rejudge import evidence_problems

    specs = [name for name in files if name.startswith(_SPEC_DIR)]
    if len(specs) != 1:
        raise _Rejected(f"the bundle holds {len(specs)} specs under {_SPEC_DIR}, not one")
    problems = evidence_problems(files, summary, HAR_NAME, specs[0])
    if problems:
        raise _Rejected(problems[0])


def _junit_agrees(raw: bytes, summary: dict[str, Any]) -> None:
    try:
        root = ET.fromstring(raw)
    except ET.ParseError as exc:
        raise _Rejected(f"junit.xml: not well-formed XML ({exc})") from None
    suites = {suite.get("name"): suite for suite in root.iter("testsuite")}
    for name in (CHECKS_SUITE, REQUIREMENTS_SUITE):
        if name not in suites:
            raise _Rejected(f"junit.xml: no testsuite named {name!r}")
    properties = {p.get("name"): p.get("value") for p in suites[CHECKS_SUITE].findall("properties/property")}
    for name, expected_value in (("run_id", summary["run_id"]), ("base_url", summary["target"]["base_url"]),
                                 ("seed", str(summary["seed"])), ("verdict", summary["verdict"])):
        if properties.get(name) != expected_value:
            raise _Rejected(f"junit.xml: {name} {properties.get(name)!r} disagrees with summary.json "
                            f"{expected_value!r}")
    cases = len(list(suites[CHECKS_SUITE].iter("testcase")))
    if cases != len(summary["checks"]):
        raise _Rejected(f"junit.xml: {cases} check test cases, summary.json has {len(summary['checks'])} checks")

    def failed(suite: ET.Element) -> list[str]:
        return [case.get("name", "") for case in suite.iter("testcase") if case.find("failure") is not None]

    def requirement_of(case_name: str) -> str:
        return case_name.split(" ", 1)[0]

    failed_requirements = sorted(requirement_of(name) for name in failed(suites[REQUIREMENTS_SUITE])
                                 if not name.startswith("stale waiver "))
    expected = sorted(r["id"] for r in summary["requirements"] if r["status"] == "failed" and r["level"] == "MUST")
    if failed_requirements != expected:
        raise _Rejected(
            f"junit.xml: failed requirements {failed_requirements} disagree with summary.json {expected}"
        )
    failing = set(expected)
    failed_checks = Counter(failed(suites[CHECKS_SUITE]))
    expected_checks = Counter(xml_safe(c["name"]) for c in summary["checks"] if c["outcome"] == "failed"
                              and any(v["requirement"] in failing for v in c["violations"]))
    if failed_checks != expected_checks:
        differing = sorted((failed_checks - expected_checks) + (expected_checks - failed_checks))
        raise _Rejected(f"junit.xml: failed checks disagree with summary.json, e.g. {differing[0]!r}")


_META = re.compile(r'<meta name="dify-conformance-([a-z-]+)" content="([^"]*)">')


def _html_agrees(raw: bytes, summary: dict[str, Any]) -> None:
    found = {name: html.unescape(value) for name, value in _META.findall(raw.decode("utf-8", errors="replace"))}
    for name, expected in (("run-id", summary["run_id"]), ("seed", str(summary["seed"])),
                           ("verdict", summary["verdict"])):
        if found.get(name) != expected:
            raise _Rejected(f"report.html: {name} {found.get(name)!r} disagrees with summary.json {expected!r}")
