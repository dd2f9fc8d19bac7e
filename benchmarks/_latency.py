"""The latency axis of bench_suite.py: its levels, its targets (issue 17), the dependent chain and its
table. Pure functions (tests/benchmarks/ exercises them without servers)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from _common import markdown_table, median_of

DIFY_LIKE = "dify"  # the level name of a Dify-like latency
DIFY_LIKE_MEDIAN_MS = 20  # a real Dify 1.7.2 on PostgreSQL answered in a median 22 ms (issue 17)
# quick's wall time over the exhaustive st run's, at most (issue 17), by injected latency in ms.
TARGETS = {0: 0.8, 40: 0.5}


@dataclass(frozen=True)
class Level:
    name: str  # "0", "10", "40", "dify"
    server_args: tuple[str, ...]
    target: float | None  # quick / st exhaustive at most, where issue 17 sets one

    @property
    def label(self) -> str:
        if self.name == DIFY_LIKE:
            return f"Dify-like (log-normal, median {DIFY_LIKE_MEDIAN_MS} ms)"
        return f"{self.name} ms"


def parse_levels(text: str) -> list[Level]:
    """``"0,10,40,dify"`` -> the levels, in that order; ValueError on anything else."""
    levels = []
    for raw in (part.strip() for part in text.split(",")):
        if raw == DIFY_LIKE:
            levels.append(Level(raw, ("--latency-ms", str(DIFY_LIKE_MEDIAN_MS), "--latency-jitter", "lognormal"),
                                None))
            continue
        try:
            ms = int(raw)
        except ValueError:
            raise ValueError(f"latency level {raw!r}: a whole number of milliseconds or {DIFY_LIKE!r}") from None
        if ms < 0:
            raise ValueError(f"latency level {raw!r}: 0 or more milliseconds")
        levels.append(Level(str(ms), ("--latency-ms", str(ms)) if ms else (), TARGETS.get(ms)))
    if not levels or len({level.name for level in levels}) != len(levels):
        raise ValueError(f"latency levels {text!r}: at least one, each once")
    return levels


def lifecycle_seconds(checks: dict[str, float]) -> float | None:
    """The lifecycle check's wall time (summary.json's check durations): one state machine, in one
    thread, each step after the one before it."""
    found = [seconds for check, seconds in checks.items() if "test_lifecycle" in check]
    return max(found) if found else None


def dependent_chain(run: dict[str, Any]) -> dict[str, Any]:
    """The longest chain of requests that wait for each other in one quick run, as far as the run tells:
    the lifecycle machine (its steps, and its check's wall time) and the seeding (its span from the
    probe: one request after another, and the waits for distinct seconds). A walk's pages are a chain
    too, but not counted: nothing in the summary says how long the longest walk was."""
    lifecycle = lifecycle_seconds(run.get("checks") or {})
    seeding = run.get("seeding_span_s")
    known = [s for s in (lifecycle, seeding) if s is not None]
    return {"lifecycle_steps": run.get("lifecycle_steps"), "lifecycle_s": lifecycle, "seeding_s": seeding,
            "seeding_waited_s": run.get("waited_for_seconds_s"), "chain_s": max(known) if known else None}


def ratio_of(top: float | None, bottom: float | None) -> float | None:
    return round(top / bottom, 2) if top and bottom else None


def verdict(ratio: float | None, target: float | None) -> str:
    if target is None:
        return ""
    if ratio is None:
        return f"<= {target}: not measured"
    return f"<= {target}: {'met' if ratio <= target else 'NOT met'}"


def summarise(levels: Sequence[Level], runs: dict[str, dict[str, list[dict[str, Any]]]]) -> list[dict[str, Any]]:
    """One row per level: medians of wall time and requests per run kind, quick / st, the chain."""
    rows = []
    for level in levels:
        by_kind = runs.get(level.name, {})
        row: dict[str, Any] = {"level": level.name, "label": level.label, "target": level.target}
        for kind, items in by_kind.items():
            row[kind] = {"n": len(items), "wall_s": median_of(items, "wall_s"),
                         "requests": median_of(items, "requests"), "exits": [i.get("exit") for i in items]}
        quick, st = row.get("quick", {}).get("wall_s"), row.get("st exhaustive", {}).get("wall_s")
        row["quick_over_st"] = ratio_of(quick, st)
        row["serial_over_quick"] = ratio_of(row.get("quick serial", {}).get("wall_s"), quick)
        chains = [dependent_chain(r) for r in by_kind.get("quick", [])]
        row["chain"] = {key: median_of(chains, key) for key in ("lifecycle_steps", "lifecycle_s", "seeding_s",
                                                               "seeding_waited_s", "chain_s")}
        row["quick_over_chain"] = ratio_of(quick, row["chain"]["chain_s"])
        rows.append(row)
    return rows


def render(rows: Sequence[dict[str, Any]], spec_name: str, concurrency: str) -> str:
    def cell(row: dict[str, Any], kind: str, key: str) -> Any:
        return row.get(kind, {}).get(key)

    table = markdown_table(
        ["latency per response", "quick s", "quick requests", "quick serial s", "st exhaustive s", "st requests",
         "quick / st", "target", "serial / quick", "lifecycle steps", "lifecycle s", "seeding s",
         "chain s", "quick / chain", "exit codes quick; st"],
        [[r["label"], cell(r, "quick", "wall_s"), cell(r, "quick", "requests"), cell(r, "quick serial", "wall_s"),
          cell(r, "st exhaustive", "wall_s"), cell(r, "st exhaustive", "requests"), r["quick_over_st"],
          verdict(r["quick_over_st"], r["target"]), r["serial_over_quick"], r["chain"]["lifecycle_steps"],
          r["chain"]["lifecycle_s"], r["chain"]["seeding_s"], r["chain"]["chain_s"], r["quick_over_chain"],
          "; ".join(", ".join(map(str, cell(r, kind, "exits") or [])) for kind in ("quick", "st exhaustive"))]
         for r in rows])
    return "\n".join([
        f"### Latency axis: the conforming reference server with injected latency, spec {spec_name} (medians)",
        f"quick: `dify-conformance run --profile quick` ({concurrency}); st exhaustive: `st run --checks all "
        "--mode all --max-examples 100 --continue-on-failure`; side by side in each round. Chain: the longest "
        "chain of requests that wait for each other that the run shows (the lifecycle check's wall time or "
        "the seeding's span, whichever is longer; a walk's pages are not counted).", "", table])
