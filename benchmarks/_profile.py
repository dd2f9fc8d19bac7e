"""The cProfile breakdown of the benchmarks: a profiled main thread's own time, by category."""

from __future__ import annotations

import pstats
from pathlib import Path
from typing import Any

_CATEGORIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("socket I/O (waiting for the server; includes GIL hand-over to the seeding threads)",
     ("_socket.socket", "select.", "_ssl.")),
    ("thread waits (locks, sleeps: the seeding future, rate limits)", ("_thread.lock", "time.sleep", "threading.py")),
    ("imports and pytest assertion rewriting", ("_pytest/assertion/rewrite.py", "builtins.compile", "<frozen ",
                                                "importlib", "marshal.", "builtins.exec", "posix.stat")),
    ("JSON Schema validation (jsonschema, referencing)", ("jsonschema/", "referencing/", "openapi_schema_validator/",
                                                          "rpds")),
    ("hypothesis (generation, engine)", ("hypothesis/",)),
    ("schemathesis (strategies, its checks)", ("schemathesis/",)),
    ("HTTP client (requests, urllib3, http.client)", ("requests/", "urllib3/", "http/client.py", "email/",
                                                      "socket.py", "idna/", "charset_normalizer/")),
    ("suite code: evidence, reports (incl. json, dataclasses)", ("conformance/http/evidence.py", "conformance/reports/",
                                                                 "conformance/model/exchange.py", "json/", "dataclasses.py",
                                                                 "_json.", "conformance/run/finish.py")),
    ("suite code: client, checks, oracles", ("conformance/",)),
    ("pytest and pluggy", ("_pytest/", "pluggy/", "pytest/")),
    ("YAML (spec loading)", ("yaml/",)),
)


def categorise(filename: str, function: str) -> str:
    where = f"{filename}:{function}"
    for name, needles in _CATEGORIES:
        if any(needle in where for needle in needles):
            return name
    return "other (stdlib, typing, gc, ...)"


def profile_breakdown(path: Path) -> dict[str, Any]:
    """Own time (tottime) of the profiled main thread, by category, wall-clock seconds.

    Builtins and generic stdlib functions (isinstance, bytes.decode, ast, typing, ...) count for
    whoever called them: their time is shared among their callers' categories, by the callers' share
    of it, up to a few levels up.
    """
    stats = pstats.Stats(str(path)).stats  # type: ignore[attr-defined]
    generic = "other (stdlib, typing, gc, ...)"
    memo: dict[Any, dict[str, float]] = {}

    def shares(key: Any, depth: int) -> dict[str, float]:
        if key in memo:
            return memo[key]
        own = categorise(key[0], key[2])
        callers = stats.get(key, (0, 0, 0, 0, {}))[4]
        if own != generic or not callers or depth > 8:
            result = {own: 1.0}
        else:
            memo[key] = {generic: 1.0}  # a recursion cycle counts as generic
            weights = {caller: (edge[2] or edge[1] or 1) for caller, edge in callers.items()}
            whole = sum(weights.values())
            result = {}
            for caller, weight in weights.items():
                for category, share in shares(caller, depth + 1).items():
                    result[category] = result.get(category, 0.0) + share * weight / whole
        memo[key] = result
        return result

    totals: dict[str, float] = {}
    for key, (_cc, _nc, tottime, _ct, _callers) in stats.items():
        for category, share in shares(key, 0).items():
            totals[category] = totals.get(category, 0.0) + tottime * share
    overall = sum(totals.values())
    ordered = sorted(totals.items(), key=lambda kv: -kv[1])
    return {"total_s": round(overall, 3),
            "by_category": [{"category": k, "seconds": round(v, 3), "share": round(v / overall, 3)}
                            for k, v in ordered]}
