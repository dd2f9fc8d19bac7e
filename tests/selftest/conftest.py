"""Running whole conformance suites the way users do (the CLI, in a subprocess) against live servers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

SELFTEST_KEY = "app-selftest-Zq8vN3kP0wT5yR7m"  # recognisable: the leak tests look for it everywhere
SELFTEST_OTHER_KEY = "app-selftest-other-Hc4xJ9sL2bQ6"  # a second app on the same server (APP-01)
SELFTEST_KEYS = (SELFTEST_KEY, SELFTEST_OTHER_KEY)


@dataclass
class SuiteRun:
    exit_code: int
    stdout: str
    stderr: str
    report_dir: Path

    @property
    def summary(self) -> dict[str, Any]:
        return json.loads((self.report_dir / "summary.json").read_text(encoding="utf-8"))

    def status(self, requirement: str) -> str:
        return next(r["status"] for r in self.summary["requirements"] if r["id"] == requirement)

    @property
    def failed(self) -> set[str]:
        return {r["id"] for r in self.summary["requirements"] if r["status"] == "failed"}

    def explain(self) -> str:
        """What to print when an assertion about this run fails."""
        if not (self.report_dir / "summary.json").is_file():
            return (f"exit {self.exit_code}, no summary.json\n--- stdout\n{self.stdout[-3000:]}\n"
                    f"--- stderr\n{self.stderr[-3000:]}")
        try:
            failed = {r["id"]: [e["message"] for e in r["evidence"][:2]] for r in self.summary["requirements"]
                      if r["status"] == "failed"}
            skipped = {r["id"]: r["reason"] for r in self.summary["requirements"] if r["status"] == "skipped"}
        except (OSError, ValueError, KeyError):
            failed, skipped = {}, {}
        return (f"exit {self.exit_code}\nfailed: {json.dumps(failed, indent=1)}\nskipped: {skipped}\n"
                f"--- stdout (tail)\n{self.stdout[-3000:]}\n--- stderr (tail)\n{self.stderr[-2000:]}")


def run_suite(report_dir: Path, *args: str, api_key: str | None = SELFTEST_KEY, timeout: float = 900,
              env: dict[str, str] | None = None, other_api_key: str | None = None,
              command: str = "run") -> SuiteRun:
    """``other_api_key``: the second app's key, in DIFY_OTHER_API_KEY (the server must know it).
    ``command``: ``run``, or ``replay`` (then ``args`` start with the earlier run's report directory)."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("DIFY_", "PYTEST_"))}
    if api_key is not None:
        environ["DIFY_API_KEY"] = api_key
    if other_api_key is not None:
        environ["DIFY_OTHER_API_KEY"] = other_api_key
    environ.update(env or {})
    completed = subprocess.run(
        [sys.executable, "-m", "conformance", command, "--report-dir", str(report_dir), *args],
        capture_output=True, text=True, timeout=timeout, env=environ, cwd=report_dir.parent,
    )
    return SuiteRun(completed.returncode, completed.stdout, completed.stderr, report_dir)


@pytest.fixture
def suite(tmp_path):
    """Call as suite(*args, ...) to run the conformance suite; reports go to a fresh directory."""
    counter = iter(range(1000))

    def call(*args: str, **kwargs: Any) -> SuiteRun:
        return run_suite(tmp_path / f"reports-{next(counter)}", *args, **kwargs)

    return call
