"""verify judges a real full run's walks again from its HAR: a page edited with every checksum recomputed
is refused naming the requirement it now breaks; genuine bundles, failing ones too, are accepted."""

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
from conformance.reports.rejudge_walks import JudgedWalk, cited_request, judged_walks
from conformance.spec.catalogue import Req
from conformance.spec.contract import load_contract

from .full_bundles import shared_full_bundle
from .test_bundle import edit_har, rewrite


@pytest.fixture(scope="module")
def bundles(tmp_path_factory):
    return {"conforming": shared_full_bundle(tmp_path_factory, None, "11"),
            "has-more-wrong": shared_full_bundle(tmp_path_factory, "has-more-wrong", "12")}


@pytest.fixture
def conforming(bundles, tmp_path):
    return Path(shutil.copy(bundles["conforming"], tmp_path / "certification.zip"))


@pytest.fixture
def failing(bundles, tmp_path):
    return Path(shutil.copy(bundles["has-more-wrong"], tmp_path / "certification.zip"))


def _walks(bundle: Path) -> tuple[list[JudgedWalk], dict[int, int]]:
    """The walks judged offline, and each recorded exchange's index in the HAR's entries (by identity)."""
    with zipfile.ZipFile(bundle) as archive:
        files = {n: archive.read(n) for n in archive.namelist()}
    summary, har = json.loads(files["summary.json"]), json.loads(files["evidence.har"])
    spec = next(n for n in files if n.startswith("spec/"))
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / Path(spec).name
        path.write_bytes(files[spec])
        contract = load_contract(path)
    recorded = [e for e, _ in exchanges_of_har(har, summary["target"]["base_url"])]
    return judged_walks(recorded, contract, summary["run_id"]), {id(e): i for i, e in enumerate(recorded)}


def _alone(bundle: Path, walks: list[JudgedWalk]) -> list[JudgedWalk]:
    """The walks none of whose requests was sent twice: no other walk went the same way at the same time,
    so an edited page cannot make it one whose pairing with its next page is in doubt."""
    with zipfile.ZipFile(bundle) as archive:
        sent = Counter(e["request"]["url"] for e in json.loads(archive.read("evidence.har"))["log"]["entries"])
    return [w for w in walks if all(sent[e.url] == 1 for e in w.exchanges)]


def _edit_body(index: int, change):
    def edit(har):
        content = har["log"]["entries"][index]["response"]["content"]
        body = json.loads(content["text"])
        change(body)
        content["text"] = json.dumps(body)

    return edit_har(edit)


@pytest.mark.slow
def test_a_genuine_full_bundle_verifies_with_its_walks_judged_again(conforming):
    walks, _ = _walks(conforming)
    assert len(walks) > 20 and not [v for w in walks for v in w.violations]  # the walks were judged, all clean
    ok, message = verify_bundle(conforming)
    assert ok, message


@pytest.mark.slow
def test_an_item_removed_from_a_middle_page_is_refused_naming_page_01(conforming):
    walks, index = _walks(conforming)
    walk = next(w for w in _alone(conforming, walks) if len(w.walk.pages) >= 4 and len(w.walk.pages[1].items) >= 2)
    middle = walk.walk.pages[1].exchange  # its first item goes: the cursor (its last item) still links the walk
    rewrite(conforming, _edit_body(index[id(middle)], lambda body: body["data"].pop(0)), update_manifest=True)
    ok, reason = verify_bundle(conforming)
    assert not ok and reason.startswith("evidence.har: judged again, a walk shows a PAGE-01 violation at GET "), reason
    assert "summary.json records PAGE-01 passed" in reason, reason


@pytest.mark.slow
def test_has_more_flipped_on_a_walks_last_page_is_refused_naming_page_02(conforming):
    walks, index = _walks(conforming)
    walk = next(w for w in _alone(conforming, walks) if len(w.walk.pages) >= 3 and w.walk.stop == "empty")
    last = walk.walk.pages[-1].exchange
    rewrite(conforming, _edit_body(index[id(last)], lambda body: body.update(has_more=True)), update_manifest=True)
    ok, reason = verify_bundle(conforming)
    assert not ok and reason.startswith("evidence.har: judged again, a walk shows a PAGE-02 violation at GET "), reason
    assert last.url in reason, reason


@pytest.mark.slow
def test_a_failing_bundle_verifies(failing):
    walks, _ = _walks(failing)
    assert any(v.requirement == Req.PAGE_02 for w in walks for v in w.violations)  # the fault shows offline too
    ok, message = verify_bundle(failing)
    assert ok and message.startswith("bundle verified: verdict fail"), message


@pytest.mark.slow
def test_a_recorded_walk_violation_edited_away_is_refused(failing):
    """The summary cites a page of a walk for PAGE-02: made right in the HAR, the walk no longer shows it."""
    walks, index = _walks(failing)
    with zipfile.ZipFile(failing) as archive:
        summary = json.loads(archive.read("summary.json"))
        har = json.loads(archive.read("evidence.har"))
    cited = {cited_request(v["request"]) for c in summary["checks"] for v in c["violations"]
             if v["requirement"] == Req.PAGE_02}
    sent = Counter(e["request"]["url"] for e in har["log"]["entries"])
    in_walks = Counter(e.url for w in walks for e in w.exchanges)
    # A cited page that only walks asked for (no probe sent the same request), and what has_more is right there.
    walk, page = next((w, p) for w in walks for p in w.walk.pages
                      if ("GET", p.exchange.url) in cited and sent[p.exchange.url] == in_walks[p.exchange.url])
    right = walk.walk.pages.index(page) < max(i for i, p in enumerate(walk.walk.pages) if p.items)
    same = [index[id(e)] for w in walks for e in w.exchanges if e.url == page.exchange.url]

    def fix(har):
        for i in same:
            content = har["log"]["entries"][i]["response"]["content"]
            body = json.loads(content["text"])
            body["has_more"] = right
            content["text"] = json.dumps(body)

    rewrite(failing, edit_har(fix), update_manifest=True)
    ok, reason = verify_bundle(failing)
    assert not ok and "shows no PAGE-02 violation, but summary.json records one there" in reason, reason
    assert page.exchange.url in reason, reason
