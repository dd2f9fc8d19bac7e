"""Helpers shared by the benchmarks: the machine, its load, child processes with their resource use,
the reference server's CPU time, and interval arithmetic over recorded exchanges. Pure functions
where possible (tests/benchmarks/ exercises them without servers)."""

from __future__ import annotations

import contextlib
import json
import os
import platform
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BENCH_DIR = ROOT / "benchmarks"
RESULTS_DIR = BENCH_DIR / "results"
PROBE = BENCH_DIR / "suite_probe.py"
DIFY_SPEC_NAME = "openapi_chatflow.en.2026-07-03.json"  # Dify's own published spec, in tests/data/dify-docs-specs
SEEDING_KINDS = frozenset({"create", "message", "rename", "seed-read"})  # the background seeding's exchanges

Interval = tuple[float, float]


# -- the machine ----------------------------------------------------------------------------------

def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine() -> dict[str, Any]:
    versions = {}
    for name in ("schemathesis", "hypothesis", "pytest", "requests", "uvicorn"):
        try:
            from importlib.metadata import version

            versions[name] = version(name)
        except Exception:  # noqa: BLE001 (informational only)
            versions[name] = None
    sys.path.insert(0, str(ROOT))
    from conformance import __version__

    return {
        "nproc": os.cpu_count(),
        "usable_cpus": len(os.sched_getaffinity(0)),
        "cpu_model": cpu_model(),
        "python": platform.python_version(),
        "platform": f"{platform.system()} {platform.release()}",
        "suite_version": __version__,
        "packages": versions,
        "PYTHONDONTWRITEBYTECODE": os.environ.get("PYTHONDONTWRITEBYTECODE"),
    }


def load() -> list[float]:
    """The 1, 5 and 15 minute load averages, rounded (the machine is shared: figures carry their load)."""
    return [round(v, 2) for v in os.getloadavg()]


def describe_machine(info: dict[str, Any]) -> str:
    return (f"{info['nproc']} CPUs ({info['usable_cpus']} usable), {info['cpu_model']}; Python {info['python']} "
            f"on {info['platform']}; schemathesis {info['packages'].get('schemathesis')}, "
            f"hypothesis {info['packages'].get('hypothesis')}, dify-conformance {info['suite_version']}")


# -- processes ------------------------------------------------------------------------------------

@dataclass
class ChildRun:
    command: list[str]
    status: int | None  # None: killed at the timeout
    wall_s: float
    cpu_user_s: float
    cpu_sys_s: float
    max_rss_kb: int
    timed_out: bool
    stdout_path: Path
    stderr_path: Path

    @property
    def cpu_s(self) -> float:
        return self.cpu_user_s + self.cpu_sys_s

    def tail(self, chars: int = 2000) -> str:
        parts = []
        for path in (self.stdout_path, self.stderr_path):
            with contextlib.suppress(OSError):
                parts.append(path.read_text(encoding="utf-8", errors="replace")[-chars:])
        return "\n".join(parts)


def run_child(command: Sequence[str], *, cwd: Path, env: dict[str, str], timeout_s: float,
              log_stem: str = "child", on_start: Callable[[int], None] | None = None) -> ChildRun:
    """Run a command to its end (or kill it, and its process group, at the timeout), with its rusage.

    os.wait4 gives the resources of exactly this child (and its waited-for descendants), even when
    other benchmark jobs run in parallel threads.
    """
    cwd.mkdir(parents=True, exist_ok=True)
    out, err = cwd / f"{log_stem}.stdout", cwd / f"{log_stem}.stderr"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        started = time.perf_counter()
        process = subprocess.Popen(list(command), cwd=cwd, env=env, stdout=stdout, stderr=stderr,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
        if on_start is not None:
            on_start(process.pid)
        deadline = started + timeout_s
        timed_out = False
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline and not timed_out:
                timed_out = True
                os.killpg(process.pid, signal.SIGKILL)  # the group we started, nothing else
            time.sleep(0.02)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)  # so Popen does not wait again
    return ChildRun(list(command), None if timed_out else process.returncode, wall, usage.ru_utime,
                    usage.ru_stime, usage.ru_maxrss, timed_out, out, err)


def clean_env(api_key: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a run: the user's, minus DIFY_* and PYTEST_* settings, plus the key."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DIFY_", "PYTEST_"))}
    env["DIFY_API_KEY"] = api_key
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    env.update(extra or {})
    return env


def process_cpu_s(pid: int | None) -> float | None:
    """User + system CPU seconds a live process has used so far (Linux /proc), None if unreadable."""
    if pid is None:
        return None
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2:].split()  # after "pid (comm) ": field 3 onwards
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks  # utime, stime


def process_rss_kb(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


# -- intervals and evidence -----------------------------------------------------------------------

def union(intervals: Iterable[Interval]) -> list[Interval]:
    """Merge overlapping intervals; the result is sorted and disjoint."""
    merged: list[list[float]] = []
    for start, end in sorted(intervals):
        if end < start:
            start, end = end, start
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(a, b) for a, b in merged]


def total(intervals: Iterable[Interval]) -> float:
    return sum(end - start for start, end in union(intervals))


def overlap(a: Iterable[Interval], b: Iterable[Interval]) -> float:
    """Seconds covered by both interval sets."""
    left, right = union(a), union(b)
    covered, i, j = 0.0, 0, 0
    while i < len(left) and j < len(right):
        start, end = max(left[i][0], right[j][0]), min(left[i][1], right[j][1])
        if end > start:
            covered += end - start
        if left[i][1] < right[j][1]:
            i += 1
        else:
            j += 1
    return covered


def iter_evidence(directory: Path) -> Iterator[dict[str, Any]]:
    """Lines of the suite's evidence log (exchanges-*.jsonl): {"exchange": ...} or {"note": ...}."""
    for path in sorted(directory.glob("exchanges-*.jsonl")):
        with path.open(encoding="utf-8") as handle:
            for raw in handle:
                if raw.strip():
                    yield json.loads(raw)


@dataclass(frozen=True)
class ExchangeTiming:
    kind: str
    started: float
    elapsed: float

    @property
    def interval(self) -> Interval:
        return (self.started, self.started + self.elapsed)


def exchange_timings(directory: Path) -> tuple[list[ExchangeTiming], dict[str, dict[str, Any]]]:
    """Timings of every recorded exchange, and the run notes by kind (the last of each kind)."""
    timings, notes = [], {}
    for line in iter_evidence(directory):
        if "note" in line:
            notes[line["note"]] = line["data"]
        elif "exchange" in line:  # the other events (checks, violations) carry no timing of their own
            record = line["exchange"]
            timings.append(ExchangeTiming(record["kind"], record["started_at"], record["elapsed_s"]))
    return timings, notes


def waits_analysis(waits: Sequence[Interval], blocked: Sequence[Interval],
                   timings: Sequence[ExchangeTiming]) -> dict[str, Any]:
    """How much of the seeding's waiting for distinct seconds overlapped other work.

    A wait is *idle* where a check was blocked waiting for the data at the same time (nothing else
    could run); the rest of it was *overlapped*: the checks that need no data went on meanwhile.
    Also counts the checks' own requests started during the waits (the timestamp view of the same).
    """
    waited = total(waits)
    idle = overlap(waits, blocked)
    checks = [t for t in timings if t.kind not in SEEDING_KINDS]
    during = sum(1 for t in checks if any(a <= t.started < b for a, b in waits))
    busy = overlap(waits, [t.interval for t in checks])
    return {
        "waited_s": round(waited, 3),
        "idle_s": round(idle, 3),
        "overlapped_s": round(waited - idle, 3),
        "overlapped_share": round((waited - idle) / waited, 3) if waited else None,
        "check_requests_during_waits": during,
        "check_requests_in_flight_during_waits_s": round(busy, 3),
    }


def median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    n = len(ordered)
    if not n:
        return float("nan")
    return ordered[n // 2] if n % 2 else (ordered[n // 2 - 1] + ordered[n // 2]) / 2


def median_of(runs: Sequence[dict[str, Any]], key: str) -> float | None:
    values = [r[key] for r in runs if isinstance(r.get(key), (int, float))]
    return round(median(values), 3) if values else None


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    for row in rows:
        lines.append("| " + " | ".join("" if v is None else str(v) for v in row) + " |")
    return "\n".join(lines)


def write_results(name: str, data: dict[str, Any], markdown: str) -> tuple[Path, Path]:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    json_path = RESULTS_DIR / f"{name}-{stamp}.json"
    md_path = RESULTS_DIR / f"{name}-{stamp}.md"
    json_path.write_text(json.dumps(data, indent=1, default=str) + "\n", encoding="utf-8")
    md_path.write_text(markdown + "\n", encoding="utf-8")
    return json_path, md_path
