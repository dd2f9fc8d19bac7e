"""The suite's own CPU per request, beside the reference server's (benchmark, not a test).

    python benchmarks/bench_cpu.py [--repeat 3] [--profile quick] [--seed 7] [--cprofile] [--top 30]
                                   [--baseline CHECKOUT] [--work DIR] [--write]

Starts the reference server once (throwaway key, ``seed=1``), then runs
``python -m conformance run --base-url URL --seed 7 --report-dir DIR`` against it ``--repeat``
times, one after the other. For each run: the suite process' CPU (user + system, from ``wait4``:
the whole process, interpreter start and imports included, and any process it waited for), the
server's CPU over the same run (``/proc/PID/stat`` before and after), the requests the suite sent
(summary.json ``requests``), the wall time, and CPU milliseconds per request for both. Medians over
the runs, with the load averages before and after each (the machine is shared: figures carry their load).

``--baseline CHECKOUT`` measures another checkout's suite (``git archive main | tar -x -C DIR``, say)
against the same server too, its runs interleaved with this checkout's, so both see the same load.
``--cprofile`` adds one run through benchmarks/suite_probe.py with cProfile on the main thread and
prints its top functions by own time and by cumulative time. ``--write`` saves the figures as
benchmarks/results/bench_cpu-<time>.json and .md.
"""

from __future__ import annotations

import argparse
import io
import json
import pstats
import secrets
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from _common import (  # noqa: E402
    PROBE,
    clean_env,
    describe_machine,
    load,
    machine,
    markdown_table,
    median,
    process_cpu_s,
    run_child,
    write_results,
)

from conformance.server.process import ReferenceServer  # noqa: E402

SUITE_TIMEOUT_S = 600.0


def run_suite(server: ReferenceServer, key: str, work: Path, args: argparse.Namespace, *,
              cprofile: Path | None = None, checkout: Path | None = None) -> dict[str, Any]:
    """One suite run against ``server`` (this checkout's suite, or ``checkout``'s): CPU of both sides,
    requests and wall time."""
    report = work / "report"
    run_args = ["run", "--base-url", server.base_url, "--profile", args.profile, "--seed", str(args.seed),
                "--report-dir", str(report)]
    if cprofile is None:
        command = [sys.executable, "-m", "conformance", *run_args]
    else:
        command = [sys.executable, str(PROBE), "--probe-out", str(work / "probe.json"), "--cprofile", str(cprofile),
                   "--", *run_args]
    server_before, load_before = process_cpu_s(server.pid), load()
    env = clean_env(key) | ({"PYTHONPATH": str(checkout)} if checkout else {})
    child = run_child(command, cwd=work, env=env, timeout_s=SUITE_TIMEOUT_S, log_stem="suite")
    server_after = process_cpu_s(server.pid)
    result: dict[str, Any] = {
        "exit": child.status, "wall_s": round(child.wall_s, 3), "suite_cpu_s": round(child.cpu_s, 3),
        "suite_user_s": round(child.cpu_user_s, 3), "suite_sys_s": round(child.cpu_sys_s, 3),
        "server_cpu_s": (round(server_after - server_before, 3)
                         if server_before is not None and server_after is not None else None),
        "load_before": load_before, "load_after": load(),
    }
    try:
        summary = json.loads((report / "summary.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        result["error"] = child.tail()
        return result
    requests = summary["requests"]
    result.update(verdict=summary["verdict"], requests=requests)
    if requests:
        result["suite_ms_per_request"] = round(1000 * child.cpu_s / requests, 3)
        if result["server_cpu_s"] is not None:
            result["server_ms_per_request"] = round(1000 * result["server_cpu_s"] / requests, 3)
    return result


def top_functions(path: Path, top: int) -> str:
    """The profile's top functions by own time, then by cumulative time, as pstats prints them."""
    out = io.StringIO()
    stats = pstats.Stats(str(path), stream=out)
    stats.strip_dirs()
    for order in ("tottime", "cumulative"):
        out.write(f"\n== top {top} by {order} ==\n")
        stats.sort_stats(order).print_stats(top)
    return out.getvalue()


def medians(runs: list[dict[str, Any]]) -> dict[str, Any]:
    keys = ("wall_s", "suite_cpu_s", "server_cpu_s", "requests", "suite_ms_per_request", "server_ms_per_request")
    return {key: round(median([r[key] for r in runs if r.get(key) is not None]), 3) for key in keys}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="suite runs to take the median of")
    parser.add_argument("--profile", default="quick", help="the suite's --profile")
    parser.add_argument("--seed", type=int, default=7, help="the suite's --seed")
    parser.add_argument("--cprofile", action="store_true", help="one more run with cProfile on the main thread")
    parser.add_argument("--top", type=int, default=30, help="functions shown per cProfile listing")
    parser.add_argument("--baseline", type=Path, help="also measure this checkout's suite, interleaved")
    parser.add_argument("--work", type=Path, help="keep the runs' directories here (default: a temporary one)")
    parser.add_argument("--write", action="store_true", help="write benchmarks/results/bench_cpu-<time>.json/.md")
    args = parser.parse_args()

    work = args.work or Path(tempfile.mkdtemp(prefix="bench-cpu-"))
    work.mkdir(parents=True, exist_ok=True)
    key = "app-bench-" + secrets.token_urlsafe(12)
    info = machine()
    print(describe_machine(info), flush=True)
    runs: list[dict[str, Any]] = []
    baseline: list[dict[str, Any]] = []
    profile_text = None
    try:
        with ReferenceServer(api_keys=[key], seed=1) as server:
            for index in range(args.repeat):
                if args.baseline:
                    run_dir = work / f"baseline-{index}"
                    run_dir.mkdir()
                    baseline.append(run_suite(server, key, run_dir, args, checkout=args.baseline.resolve()))
                    print(f"baseline run {index + 1}/{args.repeat}: {json.dumps(baseline[-1])}", flush=True)
                run_dir = work / f"run-{index}"
                run_dir.mkdir()
                runs.append(run_suite(server, key, run_dir, args))
                print(f"run {index + 1}/{args.repeat}: {json.dumps(runs[-1])}", flush=True)
            if args.cprofile:
                run_dir = work / "cprofile"
                run_dir.mkdir()
                profiled = run_suite(server, key, run_dir, args, cprofile=run_dir / "main-thread.pstats")
                print(f"cprofile run: {json.dumps(profiled)}", flush=True)
                if (run_dir / "main-thread.pstats").is_file():
                    profile_text = top_functions(run_dir / "main-thread.pstats", args.top)
                    print(profile_text)
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)

    summary = medians(runs)
    header = ["suite", "run", "exit", "requests", "wall s", "suite CPU s", "server CPU s", "suite ms/req",
              "server ms/req", "load before", "load after"]
    rows: list[list[Any]] = []
    for name, measured in (("baseline", baseline), ("this checkout", runs)):
        if not measured:
            continue
        rows += [[name, i + 1, r.get("exit"), r.get("requests"), r["wall_s"], r["suite_cpu_s"], r["server_cpu_s"],
                  r.get("suite_ms_per_request"), r.get("server_ms_per_request"), r["load_before"], r["load_after"]]
                 for i, r in enumerate(measured)]
        middle = medians(measured)
        rows.append([name, "median", "", middle["requests"], middle["wall_s"], middle["suite_cpu_s"],
                     middle["server_cpu_s"], middle["suite_ms_per_request"], middle["server_ms_per_request"], "", ""])
    table = markdown_table(header, rows)
    print(table)
    if args.write:
        markdown = (f"# Suite and server CPU per request (`--profile {args.profile} --seed {args.seed}`)\n\n"
                    f"{describe_machine(info)}\n\nSuite CPU: the whole `python -m conformance run` process (user + "
                    "system, interpreter start and imports included); server CPU: the reference server over the same "
                    f"run. Baseline: {args.baseline or '(none)'}, its runs interleaved with this checkout's.\n\n"
                    f"{table}\n")
        if profile_text:
            markdown += f"\n## cProfile of one run's main thread\n\n```\n{profile_text}\n```\n"
        data = {"machine": info, "args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
                "runs": runs, "medians": summary, "baseline_runs": baseline,
                "baseline_medians": medians(baseline) if baseline else None}
        paths = write_results("bench_cpu", data, markdown)
        print("wrote", *paths)
    return 0 if all(r.get("exit") == 0 for r in runs + baseline) else 1


if __name__ == "__main__":
    sys.exit(main())
