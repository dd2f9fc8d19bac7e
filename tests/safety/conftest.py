"""Shared helpers of the safety tests: a recognisable key, whole runs of the CLI, and the searches
every run is put through (the key in any output, a Python traceback on the terminal)."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import pytest

from conformance.server.process import ReferenceServer
from tests.selftest.conftest import SuiteRun, run_suite

from .servers import json_escaped

RUN_TIMEOUT = 120.0  # no run of these tests may take longer: a hang is a failure, not a stuck CI job
# The checks that send the most requests and need no test data: a whole run's worth of misbehaviour to
# meet in a few seconds (the test data is still made, and deleted, in the background).
REQUEST_HEAVY = ("--", "-k", "test_generated or test_rejections")


def canary_key(special: bool = False) -> str:
    """A key recognisable anywhere; ``special`` adds characters that URL encoding changes."""
    key = f"app-LEAKCANARY-{secrets.token_hex(10)}"
    return key + "+/" + secrets.token_hex(3) if special else key


def key_forms(key: str) -> set[str]:
    """Every form in which the key would count as leaked: as is, URL-encoded, JSON-escaped, its random part."""
    random_part = key.removeprefix("app-LEAKCANARY-").split("+")[0]
    return {key, quote(key, safe=""), quote_plus(key), json_escaped(key), random_part}


def _files(directory: Path) -> Iterator[tuple[str, bytes]]:
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        data = path.read_bytes()
        yield str(path), data
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as bundle:
                for name in bundle.namelist():
                    yield f"{path}!{name}", bundle.read(name)


def leaks(run: SuiteRun, key: str, *, also: Path | None = None) -> list[str]:
    """Where the key shows up: stdout, stderr, any file the run left (zip members included)."""
    places = [("stdout", run.stdout.encode()), ("stderr", run.stderr.encode())]
    places += list(_files(also or run.report_dir.parent))  # the run's working directory, reports included
    found = []
    for where, data in places:
        for form in key_forms(key):
            index = data.find(form.encode())
            if index >= 0:
                found.append(f"{where}: ...{data[max(0, index - 200): index + 60]!r}")
    return found


_TRACEBACK = "Traceback (most recent call last)"
# Hypothesis' reports of a failure it could not reproduce (the target answered differently the second
# time) embed the original traceback; the plugin passes them on (see test_broken_targets).
_HYPOTHESIS_FLAKY = ("FlakyFailure", "Inconsistent results from replaying", "produces unreliable results",
                     "Failed to reproduce exception")
# Where pytest's output turns to another failure (____ name ____), or to another part (==== FAILURES ====,
# the verdict lines, ...): a traceback is judged with the text of its own part only.
_SECTION = re.compile(r"^(?:_{3,} .+ _{3,}|={3,} .+ ={3,}|dify-conformance verdict: .*)$", re.MULTILINE)


def tracebacks(text: str, *, allow_hypothesis_flaky: bool = False) -> list[str]:
    """The Python tracebacks in terminal output, with a little context each.

    ``allow_hypothesis_flaky`` passes over those inside the failure text of a check that hypothesis
    reported as flaky, and only those: any other traceback still counts.
    """
    found = []
    for section in _SECTION.split(text):
        if allow_hypothesis_flaky and any(marker in section for marker in _HYPOTHESIS_FLAKY):
            continue
        found += [section[max(0, m.start() - 300): m.start() + 500]
                  for m in re.finditer(re.escape(_TRACEBACK), section)]
    return found


def one_line_reason(run: SuiteRun) -> str:
    """The verdict-error reason of an exit-3 run, checked to be one line in summary.json and on the terminal."""
    summary = run.summary
    assert summary["verdict"] == "error", run.explain()
    reason = summary["reason"]
    assert reason and "\n" not in reason, run.explain()
    terminal = run.stdout + run.stderr
    assert reason in terminal, f"the reason {reason!r} is not on the terminal\n{run.explain()}"
    assert len(terminal.strip().splitlines()) <= 3, f"more than a line or so on the terminal:\n{terminal}"
    return reason


# ``python -m conformance`` as a terminal starts it: Ctrl-C (SIGINT) raises KeyboardInterrupt. A process
# started in the background by a non-interactive shell inherits SIGINT ignored, and Python keeps it so.
_INTERRUPTIBLE = ("import runpy, signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
                  "sys.argv[0] = 'dify-conformance'; runpy.run_module('conformance', run_name='__main__')")


def spawn_cli(report_dir: Path, key: str, *args: str) -> subprocess.Popen[bytes]:
    """``dify-conformance run`` started in the background (for signals and watching), as run_suite runs it.

    Its output goes to files, not pipes: nobody reads a pipe while the run goes on, and a full one would
    stop the run.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DIFY_", "PYTEST_"))}
    env["DIFY_API_KEY"] = key
    report_dir.parent.mkdir(parents=True, exist_ok=True)
    out, err = tempfile.TemporaryFile(), tempfile.TemporaryFile()  # noqa: SIM115 (closed in finish())
    process = subprocess.Popen([sys.executable, "-c", _INTERRUPTIBLE, "run", "--report-dir", str(report_dir), *args],
                               stdout=out, stderr=err, env=env, cwd=report_dir.parent)
    process.outputs = (out, err)  # type: ignore[attr-defined]
    return process


def finish(process: subprocess.Popen[bytes], report_dir: Path, timeout: float = RUN_TIMEOUT) -> SuiteRun:
    """Wait for a spawned run (killing it if it outlives ``timeout``) and collect what it printed."""
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise
    texts = []
    for handle in process.outputs:  # type: ignore[attr-defined]
        handle.seek(0)
        texts.append(handle.read().decode("utf-8", errors="replace"))
        handle.close()
    return SuiteRun(process.returncode, texts[0], texts[1], report_dir)


@pytest.fixture
def key() -> str:
    return canary_key()


@pytest.fixture
def cli(tmp_path: Path, key: str) -> Callable[..., SuiteRun]:
    """cli(*args, key=..., timeout=...): ``dify-conformance run`` in a subprocess, reports in a fresh directory."""
    counter = iter(range(1000))

    def call(*args: str, api_key: str | None = None, timeout: float = RUN_TIMEOUT, **kwargs: Any) -> SuiteRun:
        directory = tmp_path / f"run-{next(counter)}"
        directory.mkdir()
        return run_suite(directory / "reports", *args, api_key=api_key or key, timeout=timeout, **kwargs)

    return call


@pytest.fixture
def reference(key: str) -> Callable[..., ReferenceServer]:
    """reference(faults=..., ...): a started reference server accepting the test's key, stopped afterwards."""
    started: list[ReferenceServer] = []

    def start(**kwargs: Any) -> ReferenceServer:
        kwargs.setdefault("api_keys", [key])
        kwargs.setdefault("seed", 1)
        server = ReferenceServer(**kwargs).__enter__()
        started.append(server)
        return server

    yield start
    for server in started:
        server.close()


def peak_rss_run(report_dir: Path, key: str, *args: str) -> tuple[SuiteRun, int]:
    """The CLI in a subprocess, watching its peak resident memory (VmHWM, kB) while it runs."""
    process = spawn_cli(report_dir, key, *args)
    peak = [0]

    def watch() -> None:
        status = Path(f"/proc/{process.pid}/status")
        while process.poll() is None:
            try:
                for line in status.read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        peak[0] = max(peak[0], int(line.split()[1]))
            except (OSError, ValueError):
                pass
            time.sleep(0.1)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    run = finish(process, report_dir)
    watcher.join(5)
    return run, peak[0]
