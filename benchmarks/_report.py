"""The tables of bench_suite.py's speed and fault sections, and their headline ratios: pure functions
over the collected data (the latency axis has its own, in _latency.py)."""

from __future__ import annotations

from typing import Any

from _common import DIFY_SPEC_NAME, describe_machine, markdown_table, median, median_of
from _latency import render as render_latency


def ratio(runs: dict[str, list[dict[str, Any]]], top: str, bottom: str) -> float | None:
    """Median wall time of ``top`` over that of ``bottom``, when both ran."""
    over, under = median_of(runs.get(top, []), "wall_s"), median_of(runs.get(bottom, []), "wall_s")
    return round(over / under, 2) if over and under else None


def render(data: dict[str, Any]) -> str:
    out = [f"machine: {describe_machine(data['machine'])}",
           f"load averages (1/5/15 min): start {data['load_start']}, end {data['load_end']}; "
           f"total benchmark time {data['elapsed_s']:.0f} s", ""]
    if data.get("latency"):
        latency = data["latency"]
        out += [render_latency(latency["rows"], latency["spec"], latency["concurrency"]), ""]
    if data.get("speed"):
        out.append(render_speed(data))
    return "\n".join(out)


def render_speed(data: dict[str, Any]) -> str:
    out = []
    sp = data["speed"]
    runs = sp["runs"]
    rows = []
    for name, items in runs.items():
        waited = median_of(items, "waited_for_seconds_s")
        shares = [r["waits"]["overlapped_share"] for r in items
                  if r.get("waits", {}).get("overlapped_share") is not None]
        rows.append([
            name, len(items), median_of(items, "wall_s"), median_of(items, "requests"),
            median_of(items, "requests_per_s"),
            ", ".join(str(r["exit"]) for r in items),
            median_of(items, "suite_cpu_ms_per_request") or (
                round(1000 * median_of(items, "st_cpu_s") / median_of(items, "requests"), 3)
                if median_of(items, "st_cpu_s") and median_of(items, "requests") else None),
            median_of(items, "server_cpu_ms_per_request") or (
                round(1000 * median_of(items, "server_cpu_s") / median_of(items, "requests"), 3)
                if median_of(items, "server_cpu_s") and median_of(items, "requests") else None),
            waited, f"{100 * median(shares):.0f} %" if shares else None,
            f"{min(r['load_before'][0] for r in items)}-{max(r['load_after'][0] for r in items)}",
        ])
    out.append("### Speed on the conforming reference server (medians)")
    out.append(markdown_table(["run", "n", "wall s", "requests", "req/s", "exit codes", "client CPU ms/req",
                               "server CPU ms/req", "waited for seconds s", "waits overlapped", "load (1 min)"], rows))
    quick, full = runs["quick"], runs["full"]
    r = data["ratios"]
    out += ["", "### Targets",
            f"- quick wall / exhaustive st run wall (--max-examples 100 --continue-on-failure): "
            f"{r['quick_over_st_exhaustive']} on the bundled spec, {r['quick_over_st_exhaustive_dify_spec']} on "
            f"Dify's {DIFY_SPEC_NAME} (target <= 0.8)",
            f"- quick / st plain: {r['quick_over_st_plain']}; quick / st gate: {r['quick_over_st_gate']}; "
            f"full / st gate: {r['full_over_st_gate']}",
            f"- time to the first request (interpreter start to the preflight): {r['first_request_s']:.2f} s "
            "(target < 1)",
            f"- faults detected: suite quick {r['suite_detected']}, st plain {r['st_plain_detected']}, "
            f"st gate {r['st_gate_detected']} (of {r['faults']})",
            f"- suite client CPU per request {r['suite_cpu_ms_per_request']} ms vs server CPU per request "
            f"{r['server_cpu_ms_per_request']} ms (ratio {r['client_over_server_cpu']})",
            f"- waits for distinct seconds: {r['waited_s']} s per quick run, {r['waits_overlapped_share']} overlapped; "
            f"quick without the waits: {r['no_waits_wall_s']} s wall vs {r['quick_wall_s']} s"]
    phases = [q.get("phases") for q in quick if q.get("phases")]
    if phases:
        keys = list(phases[0])
        out += ["", "### Where a quick run's wall time goes (median of the probed runs, seconds)",
                markdown_table(["phase", "quick", "full"],
                               [[k, round(median([p[k] for p in phases]), 3),
                                 round(median([f["phases"][k] for f in full if f.get("phases")]), 3)
                                 if any(f.get("phases") for f in full) else None] for k in keys])]
    prof = sp["profiled"].get("cprofile")
    if prof:
        out += ["", f"### cProfile of one quick run's main thread (own time, {prof['total_s']} s in all; "
                f"wall {sp['profiled']['wall_s']} s under the profiler)",
                markdown_table(["category", "s", "share"],
                               [[c["category"], c["seconds"], f"{100 * c['share']:.0f} %"]
                                for c in prof["by_category"]])]
    if data.get("faults"):
        out += ["", "### Fault detection (quick profile vs plain schemathesis; 2 at a time)"]
        rows = []
        for f in data["faults"]:
            new, gone = f["st_plain_new_failures"], f["st_plain_missing_failures"]
            gate_codes = "; ".join(f["st_gate"].get("failure_codes") or [])
            rows.append([f["fault"], ",".join(f["breaks"]),
                         f"{'yes' if f['suite_detects'] else 'NO'} (exit {f['suite']['exit']}; "
                         f"{','.join(f['suite'].get('failed') or []) or '-'})",
                         f"{'yes' if f['st_plain_detects'] else 'no'} (exit {f['st_plain']['exit']}"
                         f"{'; new: ' + '; '.join(new) if new else ''}{'; gone: ' + '; '.join(gone) if gone else ''})",
                         f"{'yes' if f['st_gate_detects'] else 'no'} (exit {f['st_gate']['exit']}"
                         f"{'; ' + gate_codes if f['st_gate_detects'] else ''})",
                         f["suite"].get("wall_s"), f["st_plain"].get("wall_s"), f["st_gate"].get("wall_s")])
        out.append(markdown_table(["fault", "breaks", "suite quick detects", "st plain detects", "st gate detects",
                                   "suite s", "st plain s", "st gate s"], rows))
    gate = sp["gate_baseline"]
    out += ["", f"st gate baseline (failures of plain st on the conforming server): {gate['entries']}; built in "
            f"{len(gate['rounds'])} rounds; conforming re-runs with it exited {gate['conforming_exits']}",
            f"st plain failures on the conforming server: {sp['st_plain_conforming_identities']}"]
    return "\n".join(out)


def speed_ratios(speed_data: dict[str, Any], results: list[dict[str, Any]]) -> dict[str, Any]:
    runs = speed_data["runs"]
    quick_wall, full_wall = median_of(runs["quick"], "wall_s"), median_of(runs["full"], "wall_s")
    plain_wall, gate_wall = median_of(runs["st plain"], "wall_s"), median_of(runs["st gate"], "wall_s")
    shares = [q["waits"]["overlapped_share"] for q in runs["quick"] if q.get("waits", {}).get("overlapped_share")
              is not None]
    suite_cpu, server_cpu = median_of(runs["quick"], "suite_cpu_ms_per_request"), median_of(
        runs["quick"], "server_cpu_ms_per_request")
    return {
        "quick_wall_s": quick_wall, "full_wall_s": full_wall,
        "st_plain_wall_s": plain_wall, "st_gate_wall_s": gate_wall,
        "st_exhaustive_wall_s": median_of(runs["st exhaustive"], "wall_s"),
        "quick_over_st_exhaustive": ratio(runs, "quick", "st exhaustive"),
        "quick_over_st_exhaustive_dify_spec": ratio(runs, "quick (Dify spec)", "st exhaustive (Dify spec)"),
        "first_request_s": median([q["phases"]["interpreter_and_probe_import_s"]
                                   + q["phases"]["startup_to_first_request_s"] for q in runs["quick"]
                                   if q.get("phases")] or [float("nan")]),
        "quick_over_st_plain": ratio(runs, "quick", "st plain"),
        "quick_over_st_gate": ratio(runs, "quick", "st gate"),
        "full_over_st_gate": ratio(runs, "full", "st gate"),
        "faults": len(results),
        "suite_detected": sum(1 for f in results if f["suite_detects"]),
        "suite_named_breaks": sum(1 for f in results if f["suite_names_breaks"]),
        "st_plain_detected": sum(1 for f in results if f["st_plain_detects"]),
        "st_gate_detected": sum(1 for f in results if f["st_gate_detects"]),
        "suite_cpu_ms_per_request": suite_cpu, "server_cpu_ms_per_request": server_cpu,
        "client_over_server_cpu": round(suite_cpu / server_cpu, 2) if suite_cpu and server_cpu else None,
        "waited_s": median_of(runs["quick"], "waited_for_seconds_s"),
        "waits_overlapped_share": round(median(shares), 3) if shares else None,
        "no_waits_wall_s": speed_data["no_waits"].get("wall_s"),
    }
