"""Fixtures of the integration tests: real suite runs through the CLI, in a subprocess, the way users
and CI pipelines run it; reference servers of our own where a test needs to look at the server side.

Session fixtures: a run is made once per test session, also under xdist (a file lock), and shared
by the tests that read it.
"""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from conformance.server.process import ReferenceServer

from .browser import CHROMIUM_PACKAGES, find_chromium

KEY = "app-integration-Vb7qL2xR9mK4"
OTHER_KEY = "app-integration-other-Tq3wZ8nC5"  # a second app on the same server (APP-01)
SEED = "11"  # one seed for the serial and the parallel runs that are compared
FAULT = "cursor-off-by-one"  # breaks PAGE-01


@dataclass
class CliRun:
    exit_code: int
    stdout: str
    stderr: str
    report_dir: Path

    @property
    def summary(self) -> dict[str, Any]:
        return json.loads((self.report_dir / "summary.json").read_text(encoding="utf-8"))

    @property
    def statuses(self) -> dict[str, str]:
        return {r["id"]: r["status"] for r in self.summary["requirements"]}

    @property
    def failed(self) -> set[str]:
        return {i for i, status in self.statuses.items() if status == "failed"}

    def explain(self) -> str:
        return (f"exit {self.exit_code}\n--- stdout (tail)\n{self.stdout[-3000:]}"
                f"\n--- stderr (tail)\n{self.stderr[-2000:]}")


def cli(*args: str, cwd: Path, report_dir: Path | None = None, env: dict[str, str] | None = None,
        api_key: str | None = KEY, timeout: float = 600) -> CliRun:
    """``python -m conformance run ARGS`` in ``cwd``; none of this process' DIFY_ or PYTEST_ variables."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("DIFY_", "PYTEST_"))}
    if api_key is not None:
        environ["DIFY_API_KEY"] = api_key
    environ.update(env or {})
    command = [sys.executable, "-m", "conformance", "run"]
    if report_dir is not None:
        command += ["--report-dir", str(report_dir)]
    completed = subprocess.run([*command, *args], capture_output=True, text=True, timeout=timeout, env=environ,
                               cwd=cwd)
    return CliRun(completed.returncode, completed.stdout, completed.stderr,
                  report_dir if report_dir is not None else cwd / "reports")


@pytest.fixture(scope="session")
def chromium() -> str:
    """Debian's headless chromium; missing is a failure, never a skip: the HTML check must run in CI."""
    path = find_chromium()
    if path is None:
        pytest.fail(f"chromium is not installed (or $CHROMIUM names nothing runnable): the report.html browser "
                    f"check needs it. On Debian: apt-get install -y {' '.join(CHROMIUM_PACKAGES)}", pytrace=False)
    return path


@dataclass
class ServerRuns:
    """A serial and a parallel (-n 2) run with the same seed against one reference server."""

    serial: CliRun
    parallel: CliRun
    database: Path  # the server's SQLite file, readable once the server stopped

    def to_json(self) -> str:
        runs = {name: {**vars(getattr(self, name)), "report_dir": str(getattr(self, name).report_dir)}
                for name in ("serial", "parallel")}
        return json.dumps({**runs, "database": str(self.database)})

    @classmethod
    def from_json(cls, text: str) -> ServerRuns:
        data = json.loads(text)
        serial, parallel = ({**data[n], "report_dir": Path(data[n]["report_dir"])} for n in ("serial", "parallel"))
        return cls(CliRun(**serial), CliRun(**parallel), Path(data["database"]))


def _serial_and_parallel(base: Path, faults: list[str]) -> ServerRuns:
    base.mkdir(parents=True, exist_ok=True)
    database = base / "reference.db"
    # Two apps: APP-01 is judged too, by each worker through the second key.
    with ReferenceServer(api_keys=[KEY, OTHER_KEY], faults=faults, db_url=f"sqlite:///{database}") as server:
        target = ("--base-url", server.base_url, "--seed", SEED)
        other = {"DIFY_OTHER_API_KEY": OTHER_KEY}
        serial = cli(*target, "--", "-q", cwd=base, report_dir=base / "serial", env=other)  # -q: progress anyway
        parallel = cli(*target, "--", "-n", "2", cwd=base, report_dir=base / "parallel", env=other)
    return ServerRuns(serial, parallel, database)


def _once(factory: pytest.TempPathFactory, name: str, faults: list[str]) -> ServerRuns:
    """Made by the first test process that asks (under xdist: one worker; the others wait, then read)."""
    root = factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # the session's directory, above every worker's own
    made = root / f"{name}.json"
    with (root / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if made.is_file():
                return ServerRuns.from_json(made.read_text(encoding="utf-8"))
            runs = _serial_and_parallel(root / name, faults)
            made.write_text(runs.to_json(), encoding="utf-8")
            return runs
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@pytest.fixture(scope="session")
def reference_runs(tmp_path_factory: pytest.TempPathFactory) -> ServerRuns:
    """Against the conforming reference server."""
    return _once(tmp_path_factory, "reference", [])


@pytest.fixture(scope="session")
def fault_runs(tmp_path_factory: pytest.TempPathFactory) -> ServerRuns:
    """Against the reference server with a fault that breaks PAGE-01."""
    return _once(tmp_path_factory, "fault", [FAULT])


@pytest.fixture
def workdir(tmp_path: Path) -> Iterator[Path]:
    """An empty working directory: the config file of a test goes there, nothing else is read."""
    path = tmp_path / "work"
    path.mkdir()
    yield path
