"""The suite under pytest-xdist (``dify-conformance run -- -n 2``) judges like a serial run with the
same seed, and every worker tests with users and data of its own (seen from the server's database)."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

import conformance
from conformance.server.process import ReferenceServer
from conformance.spec.catalogue import Req

from .conftest import FAULT, KEY, SEED, cli

SUITE = Path(conformance.__file__).parent

pytestmark = pytest.mark.slow


def _owners(database: Path) -> Counter[str]:
    """Conversations made per user (any state, deleted too), read from the server's own database."""
    with sqlite3.connect(database) as db:
        rows = db.execute("SELECT owner, COUNT(*) FROM conversations GROUP BY owner").fetchall()
    return Counter({owner.removeprefix("u:"): count for owner, count in rows})


def test_parallel_run_passes_like_the_serial_run(reference_runs):
    serial, parallel = reference_runs.serial, reference_runs.parallel
    assert serial.exit_code == 0, serial.explain()
    assert parallel.exit_code == 0, parallel.explain()
    assert parallel.summary["verdict"] == serial.summary["verdict"] == "pass"
    assert parallel.statuses == serial.statuses, parallel.explain()
    assert set(parallel.statuses.values()) == {"passed"}
    assert "dify-conformance verdict: PASS" in parallel.stdout


def test_parallel_run_fails_like_the_serial_run_naming_the_requirement(fault_runs):
    serial, parallel = fault_runs.serial, fault_runs.parallel
    assert serial.exit_code == 1, serial.explain()
    assert parallel.exit_code == 1, parallel.explain()
    assert parallel.summary["verdict"] == serial.summary["verdict"] == "fail"
    assert Req.PAGE_01 in parallel.failed, parallel.explain()
    assert parallel.failed == serial.failed, f"{FAULT}: serial {serial.failed}, parallel {parallel.failed}"
    assert re.search(r"MUST requirement\(s\) failed: .*PAGE-01", parallel.stdout), parallel.explain()
    junit = (parallel.report_dir / "junit.xml").read_text(encoding="utf-8")
    assert Req.PAGE_01 in junit and "<failure" in junit


def test_each_worker_makes_and_deletes_its_own_users_data(reference_runs):
    owners = _owners(reference_runs.database)
    per_worker: dict[str, Counter[str]] = {}
    for owner, count in owners.items():
        match = re.fullmatch(r"dify-conformance-[0-9a-f]+-(gw\d+)-(.+)", owner)
        if match:
            per_worker.setdefault(match[1], Counter())[match[2]] += count
    assert set(per_worker) == {"gw0", "gw1"}, sorted(owners)
    # Each worker seeded the whole data set for its own users (the main user and its case twin); the
    # scratch users' conversations are made by the checks that need them, on whichever worker runs those.
    seeded = {worker: (made["alice"], made["ALICE"]) for worker, made in per_worker.items()}
    assert seeded["gw0"] == seeded["gw1"] and min(seeded["gw0"]) > 0, per_worker
    # The serial run made one set, without a worker in the user names, and nothing was made twice.
    serial_users = [o for o in owners if not re.search(r"-gw\d+-", o)]
    assert serial_users and all(o.startswith("dify-conformance-") for o in serial_users), sorted(owners)
    with sqlite3.connect(reference_runs.database) as db:
        left = db.execute("SELECT COUNT(*) FROM conversations WHERE NOT is_deleted").fetchone()[0]
    assert left == 0, "every run deletes what it made, also under xdist"


def test_replay_hint_names_the_runs_seed_under_xdist(tmp_path):
    """``pytest conformance -n 2`` without --seed (the CLI always passes one): the replay hint of a failing
    property names the seed of the run, the one in summary.json, not a worker's own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DIFY_", "PYTEST_"))}
    env["DIFY_API_KEY"] = KEY
    with ReferenceServer(api_keys=[KEY], faults=[FAULT]) as server:
        done = subprocess.run(
            [sys.executable, "-m", "pytest", str(SUITE), "-c", str(SUITE / "pytest.ini"), "--rootdir", str(SUITE),
             "--base-url", server.base_url, "--report-dir", str(tmp_path / "r"), "-n", "2", "-k", "random_walks"],
            capture_output=True, text=True, timeout=600, env=env, cwd=tmp_path)
    summary = json.loads((tmp_path / "r" / "summary.json").read_text(encoding="utf-8"))
    hints = set(re.findall(r"run again with --seed (\d+)", done.stdout))
    assert hints, done.stdout[-3000:]
    assert hints == {str(summary["seed"])}, f"replay hints name {hints}, the run's seed is {summary['seed']}"


def test_distributing_with_tx_makes_data_on_the_workers_only(tmp_path):
    database = tmp_path / "reference.db"
    with ReferenceServer(api_keys=[KEY], db_url=f"sqlite:///{database}") as server:
        run = cli("--base-url", server.base_url, "--seed", SEED, "--", "--tx", "2*popen", "--dist", "load",
                  cwd=tmp_path, report_dir=tmp_path / "reports")
    assert run.exit_code == 0, run.explain()
    owners = _owners(database)
    assert owners and all(re.search(r"-gw\d+-", owner) for owner in owners), sorted(owners)
