"""The lifecycle state machine as users run it (the CLI, ``-- -k lifecycle``): it catches each
lifecycle fault of the reference server and blames exactly the requirement the fault breaks, with
the shrunk story as numbered curl steps that --seed replays; it passes the conforming server for
twenty seeds; it leaves nothing behind; read-only runs skip it with the reason."""

from __future__ import annotations

import re
import sqlite3

import pytest

from conformance.server.faults import FAULTS
from conformance.server.process import ReferenceServer
from conformance.spec.catalogue import Req
from tests.server_client import ServerClient

from .conftest import SELFTEST_KEY

pytestmark = pytest.mark.slow  # whole runs of the suite against live servers

LIFECYCLE_FAULTS = ("has-more-counts-deleted", "deleted-cursor-accepted", "rename-not-touching",
                    "user-non-ascii-unlisted")
ONLY_LIFECYCLE = ("--", "-k", "lifecycle")


def lifecycle_check(run):
    (check,) = [c for c in run.summary["checks"] if "test_lifecycle" in c["check_id"]]
    return check


def live_conversations(db) -> int:
    with sqlite3.connect(db) as connection:
        return connection.execute("SELECT count(*) FROM conversations WHERE is_deleted = 0").fetchone()[0]


def shrunk_story(run) -> list[str]:
    """The story's step titles, without this run's ids and user names (for comparing two runs)."""
    replay = lifecycle_check(run)["replay"] or ""
    titles = [line for line in replay.splitlines() if re.match(r"\s+\d+\. ", line)]
    return [re.sub(r"dify-conformance-[0-9a-f]{8}-life\d+|[0-9a-f-]{36}", "*", t) for t in titles]


@pytest.mark.parametrize("fault", LIFECYCLE_FAULTS)
def test_the_machine_catches_each_lifecycle_fault_with_the_exact_requirement(fault, suite, tmp_path):
    db = tmp_path / "reference.db"
    with ReferenceServer(api_keys=[SELFTEST_KEY], faults=[fault], seed=1, db_url=f"sqlite:///{db}") as server:
        run = suite("--base-url", server.base_url, "--seed", "7", *ONLY_LIFECYCLE)
    (breaks,) = FAULTS[fault].breaks
    check = lifecycle_check(run)
    assert check["outcome"] == "failed", run.explain()
    assert {v["requirement"] for v in check["violations"]} == {breaks}, check["violations"]
    assert run.failed == {breaks}, run.explain()
    replay = check["replay"]
    assert "Falsifying example, as a story of" in replay, replay
    assert f"it fails {breaks} at step" in replay and "Replay with --seed 7" in replay
    steps = re.findall(r"^\s+(\d+)\. ", replay, re.MULTILINE)
    assert steps == [str(n) for n in range(1, len(steps) + 1)] and len(steps) <= 8, replay
    assert '-H "Authorization: Bearer ${DIFY_API_KEY}"' in replay and SELFTEST_KEY not in replay
    junit = (run.report_dir / "junit.xml").read_text(encoding="utf-8")
    assert "Falsifying example, as a story of" in junit
    assert "notes" in run.summary and "waited_for_seconds_s" in run.summary["notes"]["lifecycle"]
    assert live_conversations(db) == 0, "the run left conversations behind"
    assert "cleanup_failed" not in run.summary["notes"]


def test_the_same_seed_replays_the_same_story(suite):
    with ReferenceServer(api_keys=[SELFTEST_KEY], faults=["has-more-counts-deleted"], seed=1) as server:
        first = suite("--base-url", server.base_url, "--seed", "11", *ONLY_LIFECYCLE)
        second = suite("--base-url", server.base_url, "--seed", "11", *ONLY_LIFECYCLE)
    # The seed replays the same draws, so the same fault is found again with its story; the shrunk
    # steps themselves may differ where the target's seconds fell otherwise (ties and waits are timing).
    assert shrunk_story(first) and shrunk_story(second), (shrunk_story(first), shrunk_story(second))
    assert first.failed == second.failed == {Req.PAGE_02}, (first.explain(), second.explain())


@pytest.mark.parametrize("seed", range(201, 221))
def test_the_conforming_server_passes_for_twenty_seeds(seed, suite, tmp_path):
    db = tmp_path / "reference.db"
    with ReferenceServer(api_keys=[SELFTEST_KEY], seed=1, db_url=f"sqlite:///{db}") as server:
        run = suite("--base-url", server.base_url, "--seed", str(seed), *ONLY_LIFECYCLE)
    assert run.exit_code == 0 and lifecycle_check(run)["outcome"] == "passed", run.explain()
    notes = run.summary["notes"]["lifecycle"]
    assert notes["examples"] >= 3 and notes["steps"] >= 20 and notes["waited_for_seconds_s"] < 10, notes
    assert live_conversations(db) == 0


def test_a_read_only_run_skips_it_with_the_reason(suite):
    with ReferenceServer(api_keys=[SELFTEST_KEY]) as server:
        with ServerClient(server.base_url, SELFTEST_KEY) as api:
            api.create("an-existing-user")
        run = suite("--base-url", server.base_url, "--read-only", "--user", "an-existing-user", *ONLY_LIFECYCLE)
    check = lifecycle_check(run)
    assert check["outcome"] == "skipped", run.explain()
    assert check["reason"] == "read-only run: this requirement needs writes to the target"
