"""certification.zip: written, verified, and every kind of tampering caught with a reason naming the file."""

from __future__ import annotations

import hashlib
import json
import shlex
import zipfile
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest

from conformance.model.exchange import Exchange
from conformance.model.results import Waiver
from conformance.reports.bundle import verify_bundle, write_bundle
from conformance.reports.har import write_har
from conformance.reports.html import write_html
from conformance.reports.junit import write_junit
from conformance.reports.summary import write_summary
from conformance.spec.catalogue import Req
from conformance.spec.contract import SpecInfo

from .conftest import SPEC_TEXT, all_passing_checks, build_run, failing_checks


def recorded_exchanges(run):
    """The exchanges a run with these results recorded: the one each violation cites (its evidence)."""
    records = {}
    for check in run.checks:
        for v in check.violations:
            if v.request and v.status_code is not None:
                url = urlsplit(shlex.split(v.request)[-1])
                exchange = Exchange(kind="list", method="GET", base_url=f"{url.scheme}://{url.netloc}/v1",
                                    path=url.path.removeprefix("/v1"), params=tuple(parse_qsl(url.query)),
                                    status_code=v.status_code, response_headers=(("Content-Type", "application/json"),),
                                    body=(v.body_excerpt or "").encode())
                records[(exchange.url, v.status_code)] = exchange.to_record()
    return list(records.values())


def bundle_of(run, report_dir, spec_file):
    for write, name in (
        (write_summary, "summary.json"),
        (write_junit, "junit.xml"),
        (write_html, "report.html"),
    ):
        write(run, report_dir / name)
    har = write_har(iter(recorded_exchanges(run)), report_dir / "evidence.har", creator_version=run.suite_version)
    return write_bundle(report_dir, run=run, spec_path=spec_file, har_path=har)


@pytest.fixture
def spec_info(spec_file):
    return SpecInfo(
        str(spec_file), hashlib.sha256(SPEC_TEXT.encode()).hexdigest(), "Chatflow App API", "1.0.0"
    )


@pytest.fixture
def bundle(tmp_path, spec_file, spec_info):
    run = build_run(failing_checks(), [Waiver(Req.USER_01, "default user")], spec=spec_info)
    return bundle_of(run, tmp_path, spec_file)


def rewrite(path, change, *, update_manifest=False):
    """Rewrite the zip with ``change(name, data) -> data`` applied to every member."""
    with zipfile.ZipFile(path) as archive:
        files = {name: change(name, archive.read(name)) for name in archive.namelist()}
    if update_manifest:  # a careful forger: checksums made to match
        manifest = json.loads(files["manifest.json"])
        manifest["files"] = {
            n: hashlib.sha256(d).hexdigest() for n, d in files.items() if n != "manifest.json"
        }
        files["manifest.json"] = json.dumps(manifest).encode()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)


def flip_verdict(name, data):
    return data.replace(b'"verdict": "fail"', b'"verdict": "pass"') if name == "summary.json" else data


def test_written_with_every_file_and_verified(bundle):
    with zipfile.ZipFile(bundle) as archive:
        names = set(archive.namelist())
        manifest = json.loads(archive.read("manifest.json"))
    assert names == {
        "manifest.json",
        "summary.json",
        "junit.xml",
        "report.html",
        "evidence.har",
        "spec/conversations.en.yaml",
    }
    assert set(manifest["files"]) == names - {"manifest.json"} and manifest["bundle_version"] == 1
    ok, message = verify_bundle(bundle)
    assert ok, message
    assert message.startswith("bundle verified: verdict fail, 6 files, spec sha256 ")


def test_changed_summary_verdict_is_caught_by_checksum(bundle):
    rewrite(bundle, flip_verdict)
    assert verify_bundle(bundle) == (
        False,
        "summary.json: sha256 differs from manifest.json (the file was changed)",
    )


def test_changed_summary_verdict_with_forged_checksums_is_caught_by_rederivation(bundle):
    def flip_both(name, data):
        data = flip_verdict(name, data)
        return data.replace(b'"verdict": "fail"', b'"verdict": "pass"') if name == "manifest.json" else data

    rewrite(bundle, flip_both, update_manifest=True)
    ok, reason = verify_bundle(bundle)
    assert not ok and reason.startswith("summary.json: recorded verdict 'pass'")


def test_changed_byte_in_junit(bundle):
    rewrite(
        bundle, lambda name, data: data.replace(b"LIMIT-02", b"LIMIT-03", 1) if name == "junit.xml" else data
    )
    ok, reason = verify_bundle(bundle)
    assert not ok and reason.startswith("junit.xml: sha256 differs")


def test_junit_disagreeing_with_summary(bundle):
    def unfail(name, data):
        return (
            data.replace(b"<failure", b"<skipped").replace(b"</failure>", b"</skipped>")
            if name == "junit.xml"
            else data
        )

    rewrite(bundle, unfail, update_manifest=True)
    ok, reason = verify_bundle(bundle)
    assert not ok and reason.startswith("junit.xml: failed requirements [] disagree")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda files: files.pop("evidence.har"), "evidence.har: listed in manifest.json but missing"),
        (lambda files: files.update({"extra.txt": b"x"}), "extra.txt: in the bundle but not listed"),
        (lambda files: files.pop("manifest.json"), "manifest.json is missing"),
    ],
)
def test_missing_or_extra_files(bundle, change, expected):
    with zipfile.ZipFile(bundle) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    change(files)
    with zipfile.ZipFile(bundle, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    ok, reason = verify_bundle(bundle)
    assert not ok and reason.startswith(expected)


def test_manifest_disagreeing_with_summary(bundle):
    rewrite(bundle, lambda n, d: d.replace(b'"seed": 1234', b'"seed": 99') if n == "manifest.json" else d)
    ok, reason = verify_bundle(bundle)
    assert not ok and reason == "manifest.json: seed 99 disagrees with summary.json 1234"


def test_not_a_zip(tmp_path):
    path = tmp_path / "certification.zip"
    path.write_bytes(b"not a zip")
    ok, reason = verify_bundle(path)
    assert not ok and "not a readable zip archive" in reason


def test_stale_waiver_is_reflected_and_verifies(tmp_path, spec_file, spec_info):
    run = build_run(waivers=[Waiver(Req.SORT_01, "fixed long ago")], spec=spec_info)
    bundle = bundle_of(run, tmp_path, spec_file)
    with zipfile.ZipFile(bundle) as archive:
        summary = json.loads(archive.read("summary.json"))
    assert summary["verdict"] == "fail" and [w["id"] for w in summary["stale_waivers"]] == [Req.SORT_01]
    assert verify_bundle(bundle) == (
        True,
        f"bundle verified: verdict fail, 6 files, spec sha256 {spec_info.sha256}",
    )


def test_a_bundle_of_a_run_that_could_not_judge_certifies_nothing(tmp_path, spec_file, spec_info):
    bundle = bundle_of(build_run(reason="time budget ran out", spec=spec_info), tmp_path, spec_file)
    ok, why = verify_bundle(bundle)
    assert not ok and "not to be certified" in why and "time budget ran out" in why, why


@pytest.mark.parametrize("fields, expected", [
    ({"profile": "quick"}, "a quick run certifies nothing"),
    ({"read_only": True}, "read-only run certifies nothing"),
])
def test_a_bundle_of_a_partial_run_is_refused(tmp_path, spec_file, spec_info, fields, expected):
    bundle = bundle_of(build_run(spec=spec_info, **fields), tmp_path, spec_file)
    ok, why = verify_bundle(bundle)
    assert not ok and expected in why, why


def test_a_bundle_with_unjudged_must_requirements_is_refused(tmp_path, spec_file, spec_info):
    checks = [c for c in all_passing_checks() if c.requirements[0] != Req.PAGE_01]
    bundle = bundle_of(build_run(checks, spec=spec_info), tmp_path, spec_file)
    ok, why = verify_bundle(bundle)
    assert not ok and "not judged: PAGE-01" in why, why


def _rewrite(bundle: Path, name: str, change) -> None:
    """Change one member and re-hash the manifest, as a forger would: checksums alone then hold."""
    with zipfile.ZipFile(bundle) as archive:
        files = {n: archive.read(n) for n in archive.namelist()}
    files[name] = change(files[name])
    manifest = json.loads(files["manifest.json"])
    manifest["files"][name] = hashlib.sha256(files[name]).hexdigest()
    if name == "summary.json":
        manifest["target"] = json.loads(files[name])["target"]
    files["manifest.json"] = json.dumps(manifest).encode()
    with zipfile.ZipFile(bundle, "w") as archive:
        for n, data in files.items():
            archive.writestr(n, data)


def test_a_summary_rewritten_for_another_target_is_refused(tmp_path, spec_file, spec_info):
    bundle = bundle_of(build_run(spec=spec_info), tmp_path, spec_file)

    def elsewhere(raw: bytes) -> bytes:
        summary = json.loads(raw)
        summary["target"]["base_url"] = "https://other.example.com/v1"
        return json.dumps(summary).encode()

    _rewrite(bundle, "summary.json", elsewhere)
    ok, why = verify_bundle(bundle)
    assert not ok and why.startswith("junit.xml: base_url"), why


def test_a_report_of_another_run_is_refused(tmp_path, spec_file, spec_info):
    bundle = bundle_of(build_run(spec=spec_info), tmp_path, spec_file)
    _rewrite(bundle, "report.html", lambda raw: raw.replace(b"5eed1234", b"0ther999"))
    ok, why = verify_bundle(bundle)
    assert not ok and why.startswith("report.html: run-id"), why


def edit_har(edit):
    """A rewrite of the bundle's evidence.har only: ``edit(har)`` changes the parsed HAR in place."""
    def change(name, data):
        if name != "evidence.har":
            return data
        har = json.loads(data)
        edit(har)
        return json.dumps(har).encode()

    return change


def test_a_recorded_response_changed_with_forged_checksums_is_caught_by_judging_it_again(bundle):
    """The evidence is judged again: a response made a 5xx no longer gives the recorded results."""
    rewrite(bundle, edit_har(lambda har: har["log"]["entries"][0]["response"].update(status=500)),
            update_manifest=True)
    ok, reason = verify_bundle(bundle)
    assert not ok and reason.startswith("evidence.har: judged again, 1 recorded response(s) violate ROBUST-01"), reason


def test_evidence_missing_from_the_recorded_exchanges_is_refused(bundle):
    rewrite(bundle, edit_har(lambda har: har["log"]["entries"].pop()), update_manifest=True)
    ok, reason = verify_bundle(bundle)
    assert not ok and "is not among the exchanges in evidence.har" in reason, reason
