"""Certification bundles of real full runs, each made once per test session: under xdist the first
worker that asks makes it and the others wait for it (a file lock in the session's directory), as
tests/integration/conftest.py does for its runs. A test edits a copy, never the shared file."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conformance.server.process import ReferenceServer

KEY, OTHER_KEY = "app-selftest-Zq8vN3kP0wT5yR7m", "app-selftest-other-Hc4xJ9sL2bQ6"


def full_bundle(report_dir: Path, fault: str | None, seed: str) -> Path:
    """certification.zip of a full run against the reference server (with ``fault`` switched on)."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("DIFY_", "PYTEST_"))}
    environ.update(DIFY_API_KEY=KEY, DIFY_OTHER_API_KEY=OTHER_KEY)
    report_dir.parent.mkdir(parents=True, exist_ok=True)
    with ReferenceServer(api_keys=[KEY, OTHER_KEY], faults=[fault] if fault else [], seed=1) as server:
        completed = subprocess.run(
            [sys.executable, "-m", "conformance", "run", "--profile", "full", "--seed", seed, "--base-url",
             server.base_url, "--report-dir", str(report_dir)],
            capture_output=True, text=True, timeout=900, env=environ, cwd=report_dir.parent)
    bundle = report_dir / "certification.zip"
    assert bundle.is_file(), f"exit {completed.returncode}\n{completed.stdout[-3000:]}\n{completed.stderr[-2000:]}"
    return bundle


def shared_full_bundle(factory: pytest.TempPathFactory, fault: str | None, seed: str) -> Path:
    """The session's one bundle of a full run with this fault (None: conforming) and seed."""
    root = factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # the session's directory, above every worker's own
    name = f"full-{fault or 'conforming'}-{seed}"
    bundle = root / "bundles" / name / "certification.zip"
    (root / "bundles").mkdir(parents=True, exist_ok=True)
    with (root / "bundles" / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            return bundle if bundle.is_file() else full_bundle(bundle.parent, fault, seed)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
