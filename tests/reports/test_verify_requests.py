"""verify judges a real full run's single-request judgements again from its HAR: a refusal edited into a
served page with every checksum recomputed is refused naming the requirement it now breaks, a persistent 5xx
edited into a blip too; genuine bundles, failing ones too, are accepted."""

from __future__ import annotations

import json
import shutil
import tempfile
import zipfile
from collections import Counter
from pathlib import Path

import pytest

from conformance.reports.bundle import verify_bundle
from conformance.reports.rejudge import exchanges_of_har
from conformance.reports.rejudge_requests import judgements, seen_ids
from conformance.reports.rejudge_walks import main_users
from conformance.spec.catalogue import Req
from conformance.spec.contract import load_contract

from .full_bundles import shared_full_bundle
from .test_bundle import edit_har, rewrite


@pytest.fixture(scope="module")
def bundles(tmp_path_factory):
    # The conforming bundle is the walks' own (one full run per session for both modules).
    return {"conforming": shared_full_bundle(tmp_path_factory, None, "11"),
            "unknown-cursor-5xx": shared_full_bundle(tmp_path_factory, "unknown-cursor-5xx", "32")}


@pytest.fixture
def conforming(bundles, tmp_path):
    return Path(shutil.copy(bundles["conforming"], tmp_path / "certification.zip"))


@pytest.fixture
def failing(bundles, tmp_path):
    return Path(shutil.copy(bundles["unknown-cursor-5xx"], tmp_path / "certification.zip"))


def _judged(bundle: Path) -> list[tuple[int, int | None, set[Req]]]:
    """Each HAR entry's index, status and what it is judged for offline."""
    with zipfile.ZipFile(bundle) as archive:
        files = {n: archive.read(n) for n in archive.namelist()}
    summary, har = json.loads(files["summary.json"]), json.loads(files["evidence.har"])
    spec = next(n for n in files if n.startswith("spec/"))
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / Path(spec).name
        path.write_bytes(files[spec])
        contract = load_contract(path)
    recorded = [e for e, _ in exchanges_of_har(har, summary["target"]["base_url"])]
    ids, mains = seen_ids(recorded), main_users(summary["run_id"], {dict(e.params).get("user", "") for e in recorded})
    return [(i, e.status_code, {j.requirement for j in judgements(e, contract, mains, ids)})
            for i, e in enumerate(recorded)]


@pytest.mark.slow
def test_a_genuine_full_bundle_verifies_with_its_refusals_judged_again(conforming):
    judged = Counter(r for _, _, reqs in _judged(conforming) for r in reqs)
    # Every probe of a refusal is judged again: the auth probes, the parameters', the cursors'.
    assert set(judged) == {Req.AUTH_01, Req.USER_01, Req.LIMIT_02, Req.LIMIT_05, Req.SORT_03, Req.PAGE_03,
                           Req.PAGE_04}, judged
    assert judged[Req.AUTH_01] >= 7 and judged[Req.PAGE_03] >= 3 and judged[Req.PAGE_04] >= 7, judged
    ok, message = verify_bundle(conforming)
    assert ok, message


@pytest.mark.slow
def test_a_refused_out_of_range_limit_made_a_served_page_is_refused_naming_limit_02(conforming):
    index = next(i for i, status, reqs in _judged(conforming) if reqs == {Req.LIMIT_02} and status == 400)

    def serve(har):
        response = har["log"]["entries"][index]["response"]
        response.update(status=200, statusText="OK")
        response["content"]["text"] = json.dumps({"limit": 20, "has_more": False, "data": []})

    rewrite(conforming, edit_har(serve), update_manifest=True)
    ok, reason = verify_bundle(conforming)
    assert not ok and reason.startswith("evidence.har: judged again, GET "), reason
    assert reason.endswith("-> 200 violates LIMIT-02, but summary.json records LIMIT-02 passed"), reason


@pytest.mark.slow
def test_a_failing_bundle_of_a_rejection_fault_verifies(failing):
    with zipfile.ZipFile(failing) as archive:
        statuses = {r["id"]: r["status"] for r in json.loads(archive.read("summary.json"))["requirements"]}
    assert statuses[Req.PAGE_03] == "failed"
    ok, message = verify_bundle(failing)
    assert ok and message.startswith("bundle verified: verdict fail"), message


@pytest.mark.slow
def test_a_persistent_5xx_edited_into_a_blip_is_refused(failing):
    """The summary blames PAGE-03 on a 500 given to every try: one try made a 404, the 500 no longer persists."""
    tries = [i for i, status, reqs in _judged(failing) if reqs == {Req.PAGE_03} and status == 500]
    with zipfile.ZipFile(failing) as archive:
        har = json.loads(archive.read("evidence.har"))
    urls = Counter(har["log"]["entries"][i]["request"]["url"] for i in tries)
    url = next(u for u, n in urls.items() if n >= 2)
    first = next(i for i in tries if har["log"]["entries"][i]["request"]["url"] == url)

    def blip(har):
        har["log"]["entries"][first]["response"].update(status=404, statusText="Not Found")

    rewrite(failing, edit_har(blip), update_manifest=True)
    ok, reason = verify_bundle(failing)
    assert not ok and reason == (f"evidence.har: judged again, GET {url} -> 500 shows no PAGE-03 violation, but "
                                 "summary.json records one there"), reason
