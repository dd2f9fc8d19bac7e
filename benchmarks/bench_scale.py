"""The suite in read-only mode against a user holding thousands of conversations (not a test).

    python benchmarks/bench_scale.py [--sizes 1000,10000] [--walk-limits 20,50,100] [--profiles quick,full]
                                     [--time-budget SECONDS] [--no-suite] [--work DIR]

For each size N:

1. Data: N conversations of one user (``bench-scale-user``; plus 50 of another user, for isolation),
   written straight into a SQLite file through the reference server's own database layer
   (conformance/server/db.py: one bulk INSERT; no HTTP, no per-row transaction), three per second
   (ties), ``updated_at`` shuffled against ``created_at``; then the reference server serves that
   file (``--db sqlite:///PATH``).
2. Pagination walks with the suite's own client and walker (conformance/data/walker.py) at each
   ``--walk-limits`` value, default order: wall time, pages, ms per page, twice: bare (client and
   walker) and as in a run (every exchange into the evidence log, 200s validated against the spec).
3. ``dify-conformance run --read-only --user bench-scale-user --other-user bench-scale-other --base-url URL
   --profile P`` for each of ``--profiles`` (through benchmarks/suite_probe.py): exit status, verdict,
   wall time, requests (and the requests of each check), the time of the
   walk and sort checks (summary.json), peak RSS of the suite process (kernel rusage, plus a
   sampler of /proc every 0.5 s for the curve, and the probe's own 20 ms trace: which check was running
   at the peak, median RSS during the checks), the evidence log's size on disk, server CPU.
   ``--time-budget`` is passed to the suite (default: the profile's own, 900 s for quick).

Prints Markdown tables and writes benchmarks/results/bench_scale-<time>.json and .md.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import secrets
import shutil
import sys
import tempfile
import threading
import time
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
    process_cpu_s,
    process_rss_kb,
    run_child,
    write_results,
)

from conformance.server.process import ReferenceServer  # noqa: E402

USER = "bench-scale-user"
OTHER = "bench-scale-other"
OTHER_COUNT = 50
TIES = 3  # conversations per second


def fill(db_path: Path, api_key: str, count: int) -> dict[str, Any]:
    """``count`` conversations of USER (and OTHER_COUNT of OTHER) in a SQLite file, through db.py."""
    from conformance.server.auth import app_id_for
    from conformance.server.db import Database, conversations, owner_key

    started = time.perf_counter()
    database = Database(f"sqlite:///{db_path}")
    app_id = app_id_for(api_key)
    base = int(time.time()) - count - 1000  # everything in the past (SCHEMA-03: near creation, not future)
    rows = []
    for owner, n in ((USER, count), (OTHER, OTHER_COUNT)):
        for i in range(n):
            created = base + i // TIES
            rows.append({
                "id": str(__import__("uuid").uuid4()), "app_id": app_id, "owner": owner_key(owner),
                "name": f"scale conversation {i}", "inputs": {}, "status": "normal", "introduction": "",
                "created_at": created, "updated_at": created + (i * 7919) % 97, "is_deleted": False,
            })
    with database.engine.begin() as connection:
        connection.execute(conversations.insert(), rows)
    database.close()
    return {"fill_s": round(time.perf_counter() - started, 3), "rows": len(rows),
            "db_mb": round(db_path.stat().st_size / 2**20, 1)}


def timed_walks(base_url: str, api_key: str, limits: list[int], expected: int, work: Path) -> list[dict[str, Any]]:
    """Walks of USER's list with the suite's client and walker: bare, and recording as a run does."""
    from conformance.data.walker import page_bound, walk_pages
    from conformance.http.api import ServiceApi
    from conformance.http.client import ClientSettings, HttpClient
    from conformance.http.evidence import CrosscutOracle, EvidenceLog, recorder
    from conformance.oracles.schema import ResponseValidator
    from conformance.spec.contract import load_contract

    contract = load_contract()
    results = []
    for recording in (False, True):
        log = EvidenceLog(work / "walk-evidence") if recording else None
        record = recorder(log.record, CrosscutOracle(log, ResponseValidator(contract).crosscut)) if log else None
        http = HttpClient(ClientSettings(base_url=base_url, api_key=api_key),
                          record=record or (lambda exchange: None))
        api = ServiceApi(http)
        for limit in limits:
            started = time.perf_counter()
            walk = walk_pages(api, user=USER, sort_by=None, limit=limit, effective_sort="-updated_at",
                              effective_limit=limit, bound=page_bound(expected))
            seconds = time.perf_counter() - started
            seen = len({i for page in walk.pages for i in page.ids})
            results.append({"limit": limit, "recording": recording, "pages": len(walk.pages), "items": seen,
                            "complete": seen == expected, "seconds": round(seconds, 3),
                            "ms_per_page": round(1000 * seconds / len(walk.pages), 3)})
        http.close()
        if log:
            log.close()
    shutil.rmtree(work / "walk-evidence", ignore_errors=True)
    return results


class Sampler:
    """RSS of a process tree's root and the size of a directory tree, every ``interval`` seconds."""

    def __init__(self, report_dir: Path, interval: float = 0.5) -> None:
        self.report_dir = report_dir
        self.interval = interval
        self.pid: int | None = None
        self.samples: list[tuple[float, int | None, int]] = []  # (t, rss kB, evidence bytes)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._started = time.perf_counter()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            rss = process_rss_kb(self.pid) if self.pid else None
            size = sum(p.stat().st_size for p in self.report_dir.glob(".evidence-*/*") if p.is_file()) \
                if self.report_dir.is_dir() else 0
            self.samples.append((round(time.perf_counter() - self._started, 1), rss, size))

    def watch(self, pid: int) -> None:
        self.pid = pid


def run_suite(base_url: str, api_key: str, work: Path, budget: float | None, profile: str) -> dict[str, Any]:
    work = work / profile
    work.mkdir(parents=True, exist_ok=True)
    report = work / "report"
    command = [sys.executable, str(PROBE), "--probe-out", str(work / "probe.json"), "--trace-rss", "--",
               "run", "--read-only", "--user", USER, "--other-user", OTHER, "--base-url", base_url,
               "--profile", profile, "--seed", "7", "--report-dir", str(report)]
    if budget:
        command += ["--time-budget", str(budget)]
    sampler = Sampler(report)
    sampler.start()
    child = run_child(command, cwd=work, env=clean_env(api_key), timeout_s=(budget or 900) * 3 + 300,
                      log_stem="suite", on_start=sampler.watch)
    sampler.stop()
    result: dict[str, Any] = {"profile": profile,
                              "exit": child.status, "timed_out": child.timed_out, "wall_s": round(child.wall_s, 2),
                              "suite_cpu_s": round(child.cpu_s, 2), "peak_rss_mb": round(child.max_rss_kb / 1024, 1),
                              "rss_samples_mb": [(t, round(r / 1024, 1)) for t, r, _ in sampler.samples if r],
                              "evidence_peak_mb": round(max((s for _, _, s in sampler.samples), default=0) / 2**20, 1)}
    try:
        summary = json.loads((report / "summary.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        result["error"] = child.tail()
        return result
    checks = summary.get("checks", [])

    def seconds(prefix: str) -> float:
        return round(sum(c["duration_s"] for c in checks if c["check_id"].startswith(prefix)), 2)

    result.update(
        verdict=summary["verdict"], reason=summary.get("reason"), requests=summary["requests"],
        duration_s=summary["duration_s"],
        failed=sorted(r["id"] for r in summary["requirements"] if r["status"] == "failed"),
        skipped={r["id"]: r["reason"] for r in summary["requirements"] if r["status"] == "skipped"},
        budget_skipped=sorted(c["check_id"] for c in checks if "time budget" in (c.get("reason") or "")),
        sort_checks_s=seconds("suite/test_sort.py"),
        walk_checks_s=seconds("suite/test_page.py"),
        check_seconds={c["check_id"]: c["duration_s"] for c in checks if c["duration_s"] >= 0.5},
    )
    result["requests_per_s"] = round(summary["requests"] / child.wall_s, 1)
    with contextlib.suppress(OSError, ValueError, KeyError):
        result.update(rss_by_check(json.loads((work / "probe.json").read_text(encoding="utf-8"))))
    return result


def rss_by_check(probe: dict[str, Any]) -> dict[str, Any]:
    """From the probe's RSS trace: the peak and the check running then, and the median RSS during the checks."""
    import bisect

    rss, checks = probe.get("rss") or [], probe.get("checks") or []
    if not rss or not checks:
        return {}
    starts = [c[0] for c in checks]
    finish = (probe.get("finish") or [float("inf")])[0]
    peak_time, peak_kb = max(rss, key=lambda sample: sample[1])
    index = bisect.bisect_right(starts, peak_time) - 1
    during = "reports" if peak_time >= finish else checks[index][1] if index >= 0 else "startup"
    in_checks = sorted(kb for t, kb in rss if starts[0] <= t < finish)
    return {"peak_during": during, "peak_traced_mb": round(peak_kb / 1024, 1),
            "median_rss_during_checks_mb": round(in_checks[len(in_checks) // 2] / 1024, 1) if in_checks else None}


def render(data: dict[str, Any]) -> str:
    out = [f"machine: {describe_machine(data['machine'])}",
           f"load averages (1/5/15 min): start {data['load_start']}, end {data['load_end']}; "
           f"total {data['elapsed_s']:.0f} s", ""]
    out.append("### Data (straight into SQLite through conformance/server/db.py)")
    out.append(markdown_table(["conversations", "rows", "fill s", "db MB"],
                              [[s["size"], s["fill"]["rows"], s["fill"]["fill_s"], s["fill"]["db_mb"]]
                               for s in data["sizes"]]))
    out += ["", "### Full pagination walks, default order (suite client + walker)"]
    rows = []
    for s in data["sizes"]:
        for w in s["walks"]:
            rows.append([s["size"], w["limit"], "evidence + validation" if w["recording"] else "bare", w["pages"],
                         "yes" if w["complete"] else "NO", w["seconds"], w["ms_per_page"]])
    out.append(markdown_table(["conversations", "limit", "recording", "pages", "complete", "s", "ms/page"], rows))
    suites = [(s, r) for s in data["sizes"] for r in s.get("suites", [])]
    if suites:
        out += ["", "### dify-conformance run --read-only --other-user (per profile)"]
        rows = []
        for s, r in suites:
            rows.append([s["size"], r.get("profile"), r.get("exit"), r.get("verdict"), r.get("wall_s"),
                         r.get("requests"),
                         r.get("requests_per_s"), r.get("walk_checks_s"), r.get("sort_checks_s"),
                         r.get("peak_rss_mb"), r.get("median_rss_during_checks_mb"), r.get("evidence_peak_mb"),
                         len(r.get("budget_skipped") or []),
                         r.get("load")])
        out.append(markdown_table(["conversations", "profile", "exit", "verdict", "wall s", "requests", "req/s",
                                   "walk checks s", "sort checks s", "peak RSS MB", "median RSS in checks MB",
                                   "evidence MB", "checks skipped (budget)", "load (1 min)"], rows))
        for s, r in suites:
            where = f"{s['size']} {r.get('profile')}"
            if r.get("reason"):
                out.append(f"- {where}: {r['reason']}")
            if r.get("peak_during"):
                out.append(f"- {where}: RSS peaked ({r['peak_traced_mb']} MB) during {r['peak_during']}")
            slow = sorted((r.get("check_seconds") or {}).items(), key=lambda kv: -kv[1])[:6]
            out.append(f"- {where}: slowest checks: " + "; ".join(f"{k.split('::')[-1]} {v} s" for k, v in slow))
    return "\n".join(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], epilog=__doc__.split("\n\n", 1)[1],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000", help="conversation counts (default 1000,10000)")
    parser.add_argument("--profiles", default="quick,full", help="suite profiles to run (default quick,full)")
    parser.add_argument("--walk-limits", default="20,50,100", help="limits of the timed walks (default 20,50,100)")
    parser.add_argument("--time-budget", type=float, help="the suite's --time-budget (default: the profile's)")
    parser.add_argument("--no-suite", action="store_true", help="data and walks only")
    parser.add_argument("--work", type=Path, help="keep the databases and reports here (default: temporary)")
    args = parser.parse_args()
    try:
        sizes = [int(v) for v in args.sizes.split(",")]
        limits = [int(v) for v in args.walk_limits.split(",")]
    except ValueError:
        parser.error("--sizes and --walk-limits take comma-separated integers")
    work = args.work or Path(tempfile.mkdtemp(prefix="bench-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    key = "app-bench-" + secrets.token_urlsafe(12)
    info, started, load_start = machine(), time.perf_counter(), load()
    print(f"machine: {describe_machine(info)}; load {load_start}; work in {work}", flush=True)
    results = []
    for size in sizes:
        here = work / f"n{size}"
        shutil.rmtree(here, ignore_errors=True)
        here.mkdir(parents=True)
        db = here / "conversations.db"
        entry: dict[str, Any] = {"size": size, "fill": fill(db, key, size)}
        print(f"{size}: filled in {entry['fill']['fill_s']} s (load {load()})", flush=True)
        with ReferenceServer(api_keys=[key], db_url=f"sqlite:///{db}") as server:
            entry["walks"] = timed_walks(server.base_url, key, limits, size, here)
            print(f"{size}: walks " + ", ".join(f"{w['limit']}{'+rec' if w['recording'] else ''}: {w['seconds']} s"
                                                for w in entry["walks"]), flush=True)
            entry["suites"] = []
            for profile in ([] if args.no_suite else args.profiles.split(",")):
                cpu_before, load_before = process_cpu_s(server.pid), load()
                r = run_suite(server.base_url, key, here, args.time_budget, profile)
                cpu_after = process_cpu_s(server.pid)
                r["server_cpu_s"] = round(cpu_after - cpu_before, 2) if None not in (cpu_before, cpu_after) else None
                r["load"] = f"{load_before[0]}-{load()[0]}"
                entry["suites"].append(r)
                print(f"{size} {profile}: suite exit {r.get('exit')} verdict {r.get('verdict')} in "
                      f"{r.get('wall_s')} s, "
                      f"{r.get('requests')} requests, peak RSS {r.get('peak_rss_mb')} MB (load {load()})", flush=True)
        results.append(entry)
    data = {"benchmark": "bench_scale", "command": " ".join(sys.argv), "machine": info, "load_start": load_start,
            "sizes": results, "data_method": "bulk INSERT through conformance.server.db into a SQLite file",
            "elapsed_s": round(time.perf_counter() - started, 1), "load_end": load()}
    try:
        markdown = render(data)
    except Exception as exc:  # noqa: BLE001 (keep the measurements even if a table cannot be drawn)
        markdown = f"(tables could not be rendered: {type(exc).__name__}: {exc}; see the JSON)"
    print("\n" + markdown)
    json_path, md_path = write_results("bench_scale", data, markdown)
    print(f"\nresults: {json_path} and {md_path}; files in {work}")
    if args.work is None:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
