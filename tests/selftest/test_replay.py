"""``dify-conformance replay`` through real processes: a run against a server with a fault, then the
replay of its failed checks against the same server restarted without the fault (FIXED, exit 0) and
with it (STILL FAILING, exit 1), at a fraction of the run's requests."""

from __future__ import annotations

import pytest

from conformance.server.process import ReferenceServer
from conformance.spec.catalogue import Req

from .conftest import SELFTEST_KEYS, SELFTEST_OTHER_KEY, run_suite

FAULT = "cursor-off-by-one"  # PAGE-01: its failing checks are walks, a small part of the run


def _replay(source, report_dir, server):
    return run_suite(report_dir, str(source), "--base-url", server.base_url, command="replay",
                     other_api_key=SELFTEST_OTHER_KEY)


@pytest.mark.slow
def test_a_replay_says_fixed_against_the_fix_and_still_failing_against_the_fault(tmp_path):
    with ReferenceServer(api_keys=SELFTEST_KEYS, faults=[FAULT], seed=1) as server:
        run = run_suite(tmp_path / "run", "--base-url", server.base_url, "--seed", "7",
                        other_api_key=SELFTEST_OTHER_KEY)
    assert run.exit_code == 1 and run.failed == {Req.PAGE_01}, run.explain()

    with ReferenceServer(api_keys=SELFTEST_KEYS, seed=1) as fixed:  # restarted without the fault
        replay = _replay(run.report_dir, tmp_path / "fixed", fixed)
    assert replay.exit_code == 0, replay.explain()
    lines = [line.split() for line in replay.stdout.splitlines()]
    assert ["FIXED", Req.PAGE_01] in [line[:2] for line in lines], replay.stdout[-2000:]
    block = replay.summary["replay"]
    assert block["of_run"] == run.summary["run_id"] and block["exit_status"] == 0
    assert [(o["id"], o["outcome"]) for o in block["outcomes"]] == [(Req.PAGE_01, "FIXED")]
    assert replay.summary["seed"] == 7 and replay.summary["profile"] == run.summary["profile"]
    assert replay.summary["options"]["base_url"] == fixed.base_url
    rerun = {c["check_id"] for c in replay.summary["checks"] if not c["check_id"].startswith("crosscut::")}
    failed_there = {c["check_id"] for c in run.summary["checks"] if c["outcome"] == "failed"}
    assert rerun == failed_there, (rerun, failed_there)
    # The walks that failed are most of a run's list requests, and the test data is made again: ~60 %
    # here (README, Replay); a failed check of fewer requests (APP-01, say) costs ~15 %.
    assert replay.summary["requests"] < 0.75 * run.summary["requests"], (replay.summary["requests"],
                                                                         run.summary["requests"])
    assert (tmp_path / "fixed" / "report.html").read_text(encoding="utf-8").count("FIXED") >= 1

    with ReferenceServer(api_keys=SELFTEST_KEYS, faults=[FAULT], seed=1) as still:
        again = _replay(run.report_dir, tmp_path / "still", still)
    assert again.exit_code == 1, again.explain()
    assert ["STILL", "FAILING", Req.PAGE_01] in [line.split()[:3] for line in again.stdout.splitlines()]
    assert [(o["id"], o["outcome"]) for o in again.summary["replay"]["outcomes"]] == [(Req.PAGE_01, "STILL FAILING")]
    for text in (replay.stdout, replay.stderr, again.stdout, again.stderr):
        assert all(key not in text for key in SELFTEST_KEYS)


def test_replay_without_an_earlier_run_is_a_usage_error(tmp_path):
    replay = run_suite(tmp_path / "out", str(tmp_path / "nothing-here"), command="replay")
    assert replay.exit_code == 2 and replay.stdout == ""
    (line,) = replay.stderr.splitlines()
    assert "no summary.json" in line


def test_replay_of_a_run_that_passed_re_runs_nothing(tmp_path):
    run = run_suite(tmp_path / "run", "--seed", "3", "--", "-k", "test_auth")  # the bundled server
    assert run.exit_code == 0, run.explain()
    replay = run_suite(tmp_path / "out", str(run.report_dir), command="replay")
    assert replay.exit_code == 0 and "nothing failed there" in replay.stdout, replay.explain()
    assert not (tmp_path / "out" / "summary.json").exists()
