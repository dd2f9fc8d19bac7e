"""The suite's speed and fault detection, side by side with plain schemathesis (not a test).

    python benchmarks/bench_suite.py [--repeat 3] [--latencies 0,10,40,dify] [--latency-spec bundled|dify]
                                     [--no-serial] [--latency-only] [--parallel 2] [--faults all|NAME,...]
                                     [--no-faults] [--seed 7] [--st-seed 1] [--work DIR] [--specs DIR]

In one run, against the bundled reference server (started here, one per measurement target, with a
throwaway API key):

1. The latency axis (issue 17): for each level of ``--latencies`` a conforming server that delays
   every response (``serve --latency-ms MS``; ``dify``: ``--latency-ms 20 --latency-jitter
   lognormal``, a Dify-like median with a long tail), and in each of ``--repeat`` rounds, side by
   side: the exhaustive ``st run SPEC --checks all --mode all --max-examples 100
   --continue-on-failure``, ``dify-conformance run --profile quick`` at its default concurrency and,
   when the CLI has ``--concurrency`` (and not ``--no-serial``), at ``--concurrency 1``. Reported per
   level (medians): wall time and requests of each, quick / st against issue 17's targets (at most
   0.8 at 0 ms, 0.5 at 40 ms), and the longest dependent chain the run shows (see _latency.py).
   ``--latency-only`` stops here.
2. Speed on the conforming server without latency, each measurement ``--repeat`` times (medians):
   ``dify-conformance run --profile quick`` and ``--profile full`` (through benchmarks/suite_probe.py,
   which only attaches timing probes), and plain schemathesis on the same target and spec,
   ``st run SPEC --url URL -H "Authorization: Bearer KEY" --checks all --mode all`` (``--seed`` and
   ``--report json,har`` added: same effort, reproducible, countable), in three forms:
   - ``st plain``: exactly that. It exits 1 on the conforming server too (undocumented 400 for an
     empty ``user``), and it stops at the first failure;
   - ``st gate``: the same plus ``--baseline FILE``, FILE holding the failures schemathesis reports
     on the *conforming* server (built here by re-running with ``--baseline-update`` until a run
     exits 0). Its exit status then means "new failures": the only way its exit code can gate;
   - ``st exhaustive``: the plain command plus ``--max-examples 100 --continue-on-failure``.
   The quick profile and ``st exhaustive`` are measured once more on Dify's own published spec
   (``DIFY_SPEC_NAME`` from ``--specs``, GET /conversations only, the server configured to conform to it).
   Reported: wall time, requests, requests per second, suite and server CPU per request, the time
   the seeding waited for distinct seconds (summary.json ``notes.seeding.waited_for_seconds_s``) and
   how much of it overlapped other checks (probe intervals: waits vs. checks blocked on the data;
   also the checks' requests sent during the waits), a run with the waits removed, and a cProfile
   breakdown of one quick run's main thread.
3. Fault detection: for every fault switch of the reference server (conformance/server/faults.py),
   a server with that fault, ``--parallel`` at a time: ``st plain``, ``st gate``, then the quick
   profile. The suite detects a fault when it exits non-zero or summary.json marks a requirement
   the fault breaks as failed (SHOULD faults only show there); ``st plain`` when its failures
   (check, failure type, signature) differ from those on the conforming server; ``st gate`` when it
   exits non-zero.

Prints Markdown tables and writes benchmarks/results/bench_suite-<time>.json and .md. Takes about
15 to 30 minutes on 2 cores (``--repeat 1 --latencies 0,40 --latency-only``: a few minutes). The
machine and its load averages are part of the results: other jobs on a shared machine slow every
figure.
"""

from __future__ import annotations

import argparse
import json
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from _common import (  # noqa: E402
    DIFY_SPEC_NAME,
    PROBE,
    SEEDING_KINDS,
    clean_env,
    describe_machine,
    exchange_timings,
    load,
    machine,
    process_cpu_s,
    run_child,
    total,
    waits_analysis,
    write_results,
)
from _latency import Level, parse_levels, summarise  # noqa: E402
from _profile import profile_breakdown  # noqa: E402
from _report import render, speed_ratios  # noqa: E402

from conformance.server.faults import FAULTS  # noqa: E402
from conformance.server.process import ReferenceServer  # noqa: E402
from conformance.spec.contract import bundled_spec_path, load_contract  # noqa: E402

# The Dify docs specs carried in the checkout (CC BY 4.0; --specs DIR for another copy).
DIFY_SPECS = Path(__file__).resolve().parents[1] / "tests" / "data" / "dify-docs-specs"
OPTIONAL_USER_SPEC = DIFY_SPECS / "openapi_chatflow.en.2026-07-03.json"
NEEDS_OPTIONAL_USER = {"user-missing-rejected"}  # as in tests/selftest/test_fault_detection.py
ST = Path(sys.executable).with_name("st")
SUITE_TIMEOUT_S = 600.0
ST_TIMEOUT_S = 300.0


def server_args(spec: Path) -> list[str]:
    """Flags that make the reference server conform to this spec (as runstate.start_reference_server does)."""
    contract = load_contract(str(spec))
    args = []
    if contract.limit.minimum is not None:
        args += ["--limit-min", str(contract.limit.minimum)]
    if contract.limit.maximum is not None:
        args += ["--limit-max", str(contract.limit.maximum)]
    if contract.limit.default is not None:
        args += ["--limit-default", str(contract.limit.default)]
    if contract.sort.values:
        args += [f"--sort-values={','.join(contract.sort.values)}"]
    if contract.sort.default:
        args += [f"--sort-default={contract.sort.default}"]
    if not contract.user_required:
        args += ["--user-optional"]
    return args


class Bench:
    def __init__(self, args: argparse.Namespace, work: Path) -> None:
        self.args = args
        self.work = work
        self.key = "app-bench-" + secrets.token_urlsafe(12)
        self._counter = 0
        self._lock = threading.Lock()

    def dir(self, label: str) -> Path:
        with self._lock:
            self._counter += 1
            path = self.work / f"{self._counter:03d}-{label}"
        path.mkdir(parents=True)
        return path

    def server(self, spec: Path, faults: list[str] = (), latency: Sequence[str] = ()) -> ReferenceServer:  # type: ignore[assignment]
        return ReferenceServer(api_keys=[self.key], faults=list(faults), seed=1,
                               extra_args=[*server_args(spec), *latency])

    # -- the suite --------------------------------------------------------------------------------

    def suite(self, server: ReferenceServer, profile: str, spec: Path, *, probe: bool, label: str,
              cprofile: bool = False, no_waits: bool = False, concurrency: int | None = None) -> dict[str, Any]:
        work = self.dir(label)
        report = work / "report"
        run_args = ["run", "--base-url", server.base_url, "--profile", profile, "--seed", str(self.args.seed),
                    "--report-dir", str(report)]
        if spec != bundled_spec_path():
            run_args += ["--spec", str(spec)]
        run_args += ["--concurrency", str(concurrency)] if concurrency is not None else []
        if probe:
            command = [sys.executable, str(PROBE), "--probe-out", str(work / "probe.json"),
                       "--keep-evidence", str(work / "evidence")]
            command += ["--cprofile", str(work / "main-thread.pstats")] if cprofile else []
            command += ["--no-waits"] if no_waits else []
            command += ["--", *run_args]
        else:
            command = [sys.executable, "-m", "conformance", *run_args]
        cpu_before, load_before = process_cpu_s(server.pid), load()
        child = run_child(command, cwd=work, env=clean_env(self.key), timeout_s=SUITE_TIMEOUT_S, log_stem="suite")
        cpu_after = process_cpu_s(server.pid)
        result: dict[str, Any] = {
            "label": label, "profile": profile, "exit": child.status, "timed_out": child.timed_out,
            "wall_s": round(child.wall_s, 3), "suite_cpu_s": round(child.cpu_s, 3),
            "suite_max_rss_mb": round(child.max_rss_kb / 1024, 1),
            "server_cpu_s": round(cpu_after - cpu_before, 3) if None not in (cpu_before, cpu_after) else None,
            "load_before": load_before, "load_after": load(), "work": str(work),
        }
        try:
            summary = json.loads((report / "summary.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            result["error"] = child.tail()
            return result
        result.update(
            verdict=summary["verdict"], reason=summary.get("reason"), requests=summary["requests"],
            duration_s=summary["duration_s"],
            failed=sorted(r["id"] for r in summary["requirements"] if r["status"] == "failed"),
            skipped=sorted(r["id"] for r in summary["requirements"] if r["status"] == "skipped"),
            waited_for_seconds_s=summary.get("notes", {}).get("seeding", {}).get("waited_for_seconds_s"),
            lifecycle_steps=summary.get("notes", {}).get("lifecycle", {}).get("steps"),
            checks={c["check_id"]: c["duration_s"] for c in summary.get("checks", [])},
        )
        result["requests_per_s"] = round(summary["requests"] / child.wall_s, 1)
        for name in ("suite_cpu_s", "server_cpu_s"):
            if result[name] is not None and summary["requests"]:
                result[name.replace("_s", "_ms_per_request")] = round(1000 * result[name] / summary["requests"], 3)
        if probe and (work / "probe.json").is_file():
            result.update(self._probed(work, child.wall_s))
        if cprofile and (work / "main-thread.pstats").is_file():
            result["cprofile"] = profile_breakdown(work / "main-thread.pstats")
        return result

    @staticmethod
    def _probed(work: Path, wall_s: float) -> dict[str, Any]:
        probe = json.loads((work / "probe.json").read_text(encoding="utf-8"))
        timings, notes = exchange_timings(work / "evidence") if (work / "evidence").is_dir() else ([], {})
        data: dict[str, Any] = {"probe_waits": probe["waits"], "probe_blocked": probe["blocked"],
                                "main_thread_cpu_s": round(probe["main_thread_cpu_s"], 3)}
        waits = [tuple(w) for w in probe["waits"]]
        blocked = [tuple(b[:2]) for b in probe["blocked"]]
        data["waits"] = waits_analysis(waits, blocked, timings)
        data["evidence_note_waited_s"] = notes.get("seeding", {}).get("waited_for_seconds_s")
        if not timings:
            return data
        first = min(t.started for t in timings)
        last = max(t.started + t.elapsed for t in timings)
        main = [t for t in timings if t.kind not in SEEDING_KINDS]
        started, ended = probe["process_started"], probe["process_ended"]
        finish = probe.get("finish") or [last, last]
        checks_span = finish[0] - first
        main_in_flight = total(t.interval for t in main)
        idle = total(tuple(b) for b in blocked)
        data["phases"] = {
            "interpreter_and_probe_import_s": round(wall_s - (ended - started), 3),
            "startup_to_first_request_s": round(first - started, 3),  # imports, collection, spec, preflight
            "checks_s": round(checks_span, 3),  # first request to the start of the reports
            "checks_main_thread_requests_in_flight_s": round(main_in_flight, 3),
            "checks_blocked_on_seeding_s": round(idle, 3),
            "checks_suite_side_s": round(checks_span - main_in_flight - idle, 3),
            "reports_s": round(finish[1] - finish[0], 3),
            "exit_s": round(ended - finish[1], 3),
        }
        data["seeding_span_s"] = round(probe["seeding"][1] - probe["seeding"][0], 3) if probe["seeding"] else None
        data["exchanges"] = len(timings)
        data["sum_elapsed_s"] = round(sum(t.elapsed for t in timings), 3)
        data["sum_elapsed_ms_per_request"] = round(1000 * data["sum_elapsed_s"] / len(timings), 3)
        data["any_request_in_flight_s"] = round(total(t.interval for t in timings), 3)
        data["seeding_requests"] = sum(1 for t in timings if t.kind in SEEDING_KINDS)
        data["span_first_to_last_request_s"] = round(last - first, 3)
        return data

    # -- schemathesis -----------------------------------------------------------------------------

    def st(self, server: ReferenceServer, spec: Path, *, label: str, baseline: Path | None = None,
           update: bool = False, record: bool = True, exhaustive: bool = False) -> dict[str, Any]:
        """One ``st run``. Without ``baseline`` the run's own failures are recorded in a new baseline
        file (schemathesis creates a missing one from the run; nothing else changes). ``exhaustive``:
        ``--max-examples 100 --continue-on-failure`` as well (issue 13's yardstick)."""
        work = self.dir(label)
        command = [str(ST), "run", str(spec), "--url", server.base_url, "-H", f"Authorization: Bearer {self.key}",
                   "--checks", "all", "--mode", "all", "--seed", str(self.args.st_seed),
                   "--report", "json,har", "--report-dir", str(work / "st-report")]
        command += ["--max-examples", "100", "--continue-on-failure"] if exhaustive else []
        if spec != bundled_spec_path():
            command += ["--include-path", "/conversations", "--include-method", "GET"]
        identities = work / "failures.json"
        if baseline is not None:
            command += ["--baseline", str(baseline)] + (["--baseline-update"] if update else [])
        elif record:
            command += ["--baseline", str(identities)]
        cpu_before, load_before = process_cpu_s(server.pid), load()
        child = run_child(command, cwd=work, env=clean_env(self.key), timeout_s=ST_TIMEOUT_S, log_stem="st")
        cpu_after = process_cpu_s(server.pid)
        result: dict[str, Any] = {
            "label": label, "exit": child.status, "timed_out": child.timed_out, "wall_s": round(child.wall_s, 3),
            "st_cpu_s": round(child.cpu_s, 3),
            "server_cpu_s": round(cpu_after - cpu_before, 3) if None not in (cpu_before, cpu_after) else None,
            "load_before": load_before, "load_after": load(), "work": str(work),
        }
        reports = work / "st-report"
        for path in sorted(reports.glob("har-*.json")):
            result["requests"] = len(json.loads(path.read_text(encoding="utf-8"))["log"]["entries"])
        for path in sorted(reports.glob("json-*.json")):
            report = json.loads(path.read_text(encoding="utf-8"))
            result["failure_codes"] = sorted(f"{f['code']} {f['title']}" for f in report.get("failures", []))
            result["test_cases"] = report.get("test_cases", {}).get("generated")
            result["errors"] = len(report.get("errors", []))
        if "requests" in result:
            result["requests_per_s"] = round(result["requests"] / child.wall_s, 1)
        if baseline is None and identities.is_file():
            result["identities"] = failure_identities(identities)
        if "failure_codes" not in result:
            result["error"] = child.tail()
        return result

    def st_gate_baseline(self, server: ReferenceServer, spec: Path) -> tuple[Path, dict[str, Any]]:
        """Failures plain schemathesis reports on the conforming server: re-run with --baseline-update
        until a run adds nothing (exits 0), at most 6 times; then check it stays quiet."""
        path = self.dir("st-gate-baseline") / "baseline.json"
        rounds = []
        for attempt in range(6):
            run = self.st(server, spec, label=f"st-gate-baseline-{attempt}", baseline=path, update=True)
            rounds.append({"exit": run["exit"], "wall_s": run["wall_s"], "new": run.get("failure_codes")})
            if run["exit"] == 0:
                break
        entries = json.loads(path.read_text(encoding="utf-8"))["entries"] if path.is_file() else []
        return path, {"rounds": rounds, "entries": [f"{e['check']} {e['failure']} {e['signature']}" for e in entries]}


def failure_identities(path: Path) -> list[str]:
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))["entries"]
    except (OSError, ValueError, KeyError):
        return []
    return sorted(f"{e['check']} {e['failure']} {e['signature']}" for e in entries)


# -- the run --------------------------------------------------------------------------------------

def speed(bench: Bench, spec: Path) -> dict[str, Any]:
    repeat = bench.args.repeat
    runs: dict[str, list[dict[str, Any]]] = {"quick": [], "full": [], "st plain": [], "st gate": [],
                                             "st exhaustive": []}
    with bench.server(spec) as server:
        gate, gate_info = bench.st_gate_baseline(server, spec)
        false_alarms = []
        for index in range(repeat):
            print(f"  speed round {index + 1}/{repeat} (load {load()})", flush=True)
            runs["st plain"].append(bench.st(server, spec, label=f"st-plain-{index}"))
            runs["st exhaustive"].append(bench.st(server, spec, label=f"st-exhaustive-{index}", exhaustive=True))
            runs["st gate"].append(bench.st(server, spec, label=f"st-gate-{index}", baseline=gate))
            false_alarms.append(runs["st gate"][-1]["exit"])
            runs["quick"].append(bench.suite(server, "quick", spec, probe=True, label=f"quick-{index}"))
            runs["full"].append(bench.suite(server, "full", spec, probe=True, label=f"full-{index}"))
        print(f"  quick with cProfile, and quick without waits (load {load()})", flush=True)
        profiled = bench.suite(server, "quick", spec, probe=True, label="quick-cprofile", cprofile=True)
        no_waits = bench.suite(server, "quick", spec, probe=True, label="quick-no-waits", no_waits=True)
    # The same yardstick on Dify's own published spec (GET /conversations only), the document a team
    # would point plain schemathesis at: the server is configured to conform to it.
    dify = bench.args.specs / DIFY_SPEC_NAME
    if dify.is_file():
        runs.update({"quick (Dify spec)": [], "st exhaustive (Dify spec)": []})
        with bench.server(dify) as server:
            for index in range(repeat):
                print(f"  Dify spec round {index + 1}/{repeat} (load {load()})", flush=True)
                runs["st exhaustive (Dify spec)"].append(bench.st(server, dify, label=f"st-exhaustive-dify-{index}",
                                                                  exhaustive=True))
                runs["quick (Dify spec)"].append(bench.suite(server, "quick", dify, probe=True,
                                                             label=f"quick-dify-{index}"))
    return {"runs": runs, "gate_baseline": {"path": str(gate), **gate_info, "conforming_exits": false_alarms},
            "profiled": profiled, "no_waits": no_waits,
            "st_plain_conforming_identities": runs["st plain"][0].get("identities", [])}


def accepts_concurrency() -> bool:
    """Whether this checkout's ``dify-conformance run`` has ``--concurrency`` (issue 17)."""
    shown = subprocess.run([sys.executable, "-m", "conformance", "run", "--help"], capture_output=True, text=True,
                           env=clean_env("app-unused"), timeout=60, check=False)
    return "--concurrency" in shown.stdout


def latency_axis(bench: Bench, spec: Path, levels: list[Level], serial: bool) -> dict[str, dict[str, list[Any]]]:
    """At each level a server answering after that latency; in each round, side by side: the exhaustive
    st run, quick at the default concurrency and (``serial``) quick at ``--concurrency 1``."""
    runs: dict[str, dict[str, list[Any]]] = {}
    for level in levels:
        kinds: dict[str, list[Any]] = {"st exhaustive": [], "quick": [], **({"quick serial": []} if serial else {})}
        runs[level.name] = kinds
        with bench.server(spec, latency=level.server_args) as server:
            for index in range(bench.args.repeat):
                print(f"  latency {level.label}, round {index + 1}/{bench.args.repeat} (load {load()})", flush=True)
                slug = f"latency-{level.name}-{index}"
                kinds["st exhaustive"].append(bench.st(server, spec, label=f"{slug}-st-exhaustive", exhaustive=True))
                kinds["quick"].append(bench.suite(server, "quick", spec, probe=True, label=f"{slug}-quick"))
                if serial:
                    kinds["quick serial"].append(bench.suite(server, "quick", spec, probe=True,
                                                             label=f"{slug}-quick-serial", concurrency=1))
    return runs


def fault_job(bench: Bench, fault: str, specs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    spec = OPTIONAL_USER_SPEC if fault in NEEDS_OPTIONAL_USER else bundled_spec_path()
    reference = specs[str(spec)]
    started = time.perf_counter()
    with bench.server(spec, [fault]) as server:
        plain = bench.st(server, spec, label=f"fault-{fault}-st-plain")
        gate = bench.st(server, spec, label=f"fault-{fault}-st-gate", baseline=Path(reference["gate"]))
        suite = bench.suite(server, "quick", spec, probe=False, label=f"fault-{fault}-quick")
    breaks = set(FAULTS[fault].breaks)
    failed = set(suite.get("failed", []))
    plain_new = sorted(set(plain.get("identities", [])) - set(reference["plain_identities"]))
    plain_gone = sorted(set(reference["plain_identities"]) - set(plain.get("identities", [])))
    print(f"  {fault}: suite exit {suite['exit']} failed {sorted(failed)}; st plain exit {plain['exit']} "
          f"new {plain_new}; st gate exit {gate['exit']}  ({time.perf_counter() - started:.0f} s, load {load()})",
          flush=True)
    return {
        "fault": fault, "breaks": sorted(breaks), "spec": spec.name,
        "suite": {k: suite.get(k) for k in ("exit", "verdict", "failed", "wall_s", "requests", "timed_out", "error")},
        "suite_detects": (suite["exit"] not in (0, None)) or bool(breaks & failed),
        "suite_names_breaks": breaks <= failed,
        "st_plain": {k: plain.get(k) for k in ("exit", "wall_s", "requests", "failure_codes", "timed_out", "error")},
        "st_plain_new_failures": plain_new, "st_plain_missing_failures": plain_gone,
        "st_plain_detects": plain["exit"] not in (0, None) and bool(plain_new or plain_gone),
        "st_gate": {k: gate.get(k) for k in ("exit", "wall_s", "requests", "failure_codes", "timed_out", "error")},
        "st_gate_detects": gate["exit"] not in (0, None),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], epilog=__doc__.split("\n\n", 1)[1],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3, help="measurements each (default 3; medians)")
    parser.add_argument("--latencies", default="0,10,40,dify",
                        help="latency levels in ms per response, comma-separated, 'dify' for a Dify-like "
                             "log-normal around 20 ms; 'none' skips the axis (default 0,10,40,dify)")
    parser.add_argument("--latency-spec", choices=("bundled", "dify"), default="bundled",
                        help=f"the spec of the latency axis: the bundled one or Dify's {DIFY_SPEC_NAME} "
                             "(default bundled)")
    parser.add_argument("--no-serial", action="store_true",
                        help="on the latency axis, skip quick at --concurrency 1 (run only when the CLI has it)")
    parser.add_argument("--latency-only", action="store_true", help="the latency axis only: no 0 ms details, "
                        "no fault detection")
    parser.add_argument("--parallel", type=int, default=2, help="fault jobs at a time (default 2)")
    parser.add_argument("--faults", default="all", help="'all' or comma-separated fault names")
    parser.add_argument("--no-faults", action="store_true", help="speed only")
    parser.add_argument("--seed", type=int, default=7, help="the suite's --seed (default 7, as the self-tests)")
    parser.add_argument("--st-seed", type=int, default=1, help="schemathesis' --seed (default 1)")
    parser.add_argument("--work", type=Path, help="keep every run's files here (default: a temporary directory)")
    parser.add_argument("--specs", type=Path, default=DIFY_SPECS,
                        help="the directory holding the Dify docs specs (default: tests/data/dify-docs-specs)")
    args = parser.parse_args()
    global OPTIONAL_USER_SPEC
    OPTIONAL_USER_SPEC = args.specs / OPTIONAL_USER_SPEC.name
    if args.repeat < 1 or args.parallel < 1:
        parser.error("--repeat and --parallel must be at least 1")
    try:
        levels = [] if args.latencies == "none" else parse_levels(args.latencies)
    except ValueError as exc:
        parser.error(f"--latencies: {exc}")
    latency_spec = bundled_spec_path() if args.latency_spec == "bundled" else args.specs / DIFY_SPEC_NAME
    if levels and not latency_spec.is_file():
        parser.error(f"{latency_spec} not found: pass --specs DIR")
    faults = [] if args.no_faults or args.latency_only else sorted(FAULTS) if args.faults == "all" else \
        args.faults.split(",")
    unknown = [f for f in faults if f not in FAULTS]
    if unknown:
        parser.error(f"unknown faults {unknown}; known: {', '.join(FAULTS)}")
    if any(f in NEEDS_OPTIONAL_USER for f in faults) and not OPTIONAL_USER_SPEC.is_file():
        parser.error(f"{OPTIONAL_USER_SPEC} not found (needed for {', '.join(NEEDS_OPTIONAL_USER)}): pass --specs DIR")
    if not ST.is_file():
        parser.error(f"schemathesis' st not found next to {sys.executable}")

    work = args.work or Path(tempfile.mkdtemp(prefix="bench-suite-"))
    work.mkdir(parents=True, exist_ok=True)
    bench = Bench(args, work)
    started, load_start = time.perf_counter(), load()
    info = machine()
    print(f"machine: {describe_machine(info)}; load {load_start}; work in {work}", flush=True)
    data: dict[str, Any] = {"benchmark": "bench_suite", "command": " ".join(sys.argv), "machine": info,
                            "load_start": load_start}

    if levels:
        concurrent = accepts_concurrency()
        serial = concurrent and not args.no_serial
        print(f"latency axis: {', '.join(level.label for level in levels)} on {latency_spec.name}"
              f"{'' if concurrent else ' (this CLI has no --concurrency: serial only)'}", flush=True)
        runs = latency_axis(bench, latency_spec, levels, serial)
        data["latency"] = {"spec": latency_spec.name, "runs": runs, "rows": summarise(levels, runs),
                           "concurrency": "default concurrency; quick serial: --concurrency 1" if serial else
                           "default concurrency" if concurrent else "serial: this CLI has no --concurrency"}

    if not args.latency_only:
        print("speed on the conforming server", flush=True)
        spec = bundled_spec_path()
        speed_data = speed(bench, spec)
        specs = {str(spec): {"gate": speed_data["gate_baseline"]["path"],
                             "plain_identities": speed_data["st_plain_conforming_identities"]}}
        if any(f in NEEDS_OPTIONAL_USER for f in faults):
            with bench.server(OPTIONAL_USER_SPEC) as server:
                gate, info_optional = bench.st_gate_baseline(server, OPTIONAL_USER_SPEC)
                plain = bench.st(server, OPTIONAL_USER_SPEC, label="st-plain-optional-user")
            specs[str(OPTIONAL_USER_SPEC)] = {"gate": str(gate), "plain_identities": plain.get("identities", []),
                                              "gate_info": info_optional}
        results = []
        if faults:
            print(f"fault detection: {len(faults)} faults, {args.parallel} at a time", flush=True)
            with ThreadPoolExecutor(args.parallel) as pool:
                results = list(pool.map(lambda f: fault_job(bench, f, specs), faults))
        data.update(speed=speed_data, faults=results, specs=specs, ratios=speed_ratios(speed_data, results))

    data["elapsed_s"] = round(time.perf_counter() - started, 1)
    data["load_end"] = load()
    try:
        markdown = render(data)
    except Exception as exc:  # noqa: BLE001 (keep the measurements even if a table cannot be drawn)
        markdown = f"(tables could not be rendered: {type(exc).__name__}: {exc}; see the JSON)"
    print("\n" + markdown)
    json_path, md_path = write_results("bench_suite", data, markdown)
    print(f"\nresults: {json_path} and {md_path}; run files in {work}")
    if args.work is None:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
