"""The evidence log: every exchange of the run, as JSON lines on disk, one file per process.

Each line is one event: a redacted exchange, a cross-cutting violation the oracle found in one (a
5xx, a redirect or no answer: ROBUST-01; a 200 list response that is not valid or complete:
SCHEMA-01, SCHEMA-02), or a run note. At the end the controller reads the files once, streaming:
request count, response times, the cross-cutting checks, and the HAR of the certification bundle.
Memory stays flat however long the run.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..model.exchange import Exchange
from ..model.results import CheckResult, Violation
from ..spec.catalogue import Req
from ..spec.contract import LIST_OPERATION
from ..spec.registry import CROSSCUT

__all__ = ["EvidenceLog", "CrosscutOracle", "recorder", "EvidenceSummary", "read_evidence", "crosscut_violations"]

_KEEP_PER_REQUIREMENT = 20  # violations kept per cross-cutting requirement per process


def crosscut_violations(exchange: Exchange, validate: Callable[[Exchange], list[Violation]],
                        list_path: str = LIST_OPERATION.path) -> list[Violation]:
    from ..oracles import violation

    if exchange.status_code is None:
        return [violation(Req.ROBUST_01, f"no usable response: {exchange.error}", exchange)]
    if exchange.status_code >= 500:
        return [violation(Req.ROBUST_01, f"answered {exchange.status_code}, a server error", exchange)]
    if 300 <= exchange.status_code < 400:  # the client never follows one: the key stays with the target
        where = exchange.header("location") or "(no Location header)"
        return [violation(Req.ROBUST_01, f"no usable response: answered {exchange.status_code}, a redirect to "
                          f"{where}, which is not followed (the API key never leaves the target)", exchange)]
    if exchange.method == "GET" and exchange.path == list_path and exchange.status_code == 200:
        if exchange.error:  # the body broke off, or did not finish within the timeout (a slow drip)
            return [violation(Req.SCHEMA_01, f"a 200 response whose body is incomplete: {exchange.error}", exchange)]
        return validate(exchange)
    return []


class EvidenceLog:
    """Appends the events of this process to ``<directory>/exchanges-<pid>.jsonl`` (thread-safe): the
    exchanges as recorded, the violations the cross-cutting oracle found in them, and run notes."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / f"exchanges-{os.getpid()}.jsonl"
        self._file = self.path.open("a", encoding="utf-8")
        self._lock = threading.Lock()

    def record(self, exchange: Exchange) -> None:
        self._write({"exchange": exchange.to_record()})

    def violation(self, requirement: str, kept: Violation | None) -> None:
        """A cross-cutting violation: counted always, its evidence kept for the first few."""
        self._write({"violated": requirement, "violation": kept.to_dict() if kept else None})

    def check(self, result: CheckResult) -> None:
        """A check's result: the controller gathers them from every process' log."""
        self._write({"check": result.to_dict()})

    def note(self, kind: str, data: dict[str, Any]) -> None:
        """A run note (cleanup failures, throttling, seeding facts) for the controller to report."""
        self._write({"note": kind, "data": data})

    def _write(self, line: dict[str, Any]) -> None:
        with self._lock:
            self._file.write(json.dumps(line, ensure_ascii=False) + "\n")
            self._file.flush()

    def close(self) -> None:
        with self._lock:
            self._file.close()


class CrosscutOracle:
    """Judges every recorded exchange for ROBUST-01, SCHEMA-01, SCHEMA-02 and SCHEMA-03, whichever check sent it,
    and writes what it finds to the log. Subscribed beside the log: the HTTP client only records."""

    def __init__(self, log: EvidenceLog, validate: Callable[[Exchange], list[Violation]],
                 list_path: str = LIST_OPERATION.path) -> None:
        self._log = log
        self._validate = validate
        self._list_path = list_path
        self._kept: dict[str, int] = {}
        self._lock = threading.Lock()

    def __call__(self, exchange: Exchange) -> None:
        for found in crosscut_violations(exchange, self._validate, self._list_path):
            with self._lock:
                self._kept[found.requirement] = self._kept.get(found.requirement, 0) + 1
                keep = self._kept[found.requirement] <= _KEEP_PER_REQUIREMENT
            self._log.violation(found.requirement, found if keep else None)


def recorder(*subscribers: Callable[[Exchange], None]) -> Callable[[Exchange], None]:
    """One ``record`` callback for the HTTP client that hands each exchange to every subscriber."""

    def record(exchange: Exchange) -> None:
        for subscriber in subscribers:
            subscriber(exchange)

    return record


@dataclass
class EvidenceSummary:
    requests: int = 0
    response_times: dict[str, list[float]] = field(default_factory=dict)
    crosscut: dict[str, list[Violation]] = field(default_factory=dict)
    crosscut_counts: dict[str, int] = field(default_factory=dict)
    list_successes: int = 0
    notes: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    checks: list[CheckResult] = field(default_factory=list)  # every check of every process

    def crosscut_checks(self, *, judged: bool = True) -> list[CheckResult]:
        """One check per cross-cutting requirement. ``judged``: some check of the suite ran; when none
        did, a clean record is no evidence of anything (a pass needs something judged), but a
        violation found is still reported."""
        checks = []
        for check in CROSSCUT:
            requirement, title = check.name, check.title
            violations = self.crosscut.get(requirement, [])
            observed = self.requests if requirement == Req.ROBUST_01 else self.list_successes
            count = self.crosscut_counts.get(requirement, 0)
            passed = bool(observed) and judged
            checks.append(CheckResult(
                check_id=f"crosscut::{requirement}",
                name=title,
                requirements=(requirement,),
                outcome="failed" if count else ("passed" if passed else "skipped"),
                violations=violations,
                reason=(f"{count} violating response(s) of {observed}" if count
                        else None if passed else "no check ran" if observed else "no response to judge"),
            ))
        return checks


def read_evidence(directory: Path, list_path: str = LIST_OPERATION.path) -> EvidenceSummary:
    summary = EvidenceSummary()
    for line in iter_lines(directory):
        if "note" in line:
            summary.notes.append((line["note"], line["data"]))
        elif "check" in line:
            summary.checks.append(CheckResult.from_dict(line["check"]))
        elif "violated" in line:
            requirement = line["violated"]
            summary.crosscut_counts[requirement] = summary.crosscut_counts.get(requirement, 0) + 1
            kept = summary.crosscut.setdefault(requirement, [])
            if line.get("violation") and len(kept) < _KEEP_PER_REQUIREMENT:
                kept.append(Violation.from_dict(line["violation"]))
        else:
            record = line["exchange"]
            summary.requests += 1
            summary.response_times.setdefault(record["kind"], []).append(record["elapsed_s"])
            if record["method"] == "GET" and record["path"] == list_path and record["status_code"] == 200:
                summary.list_successes += 1
    return summary


def iter_lines(directory: Path) -> Iterator[dict[str, Any]]:
    for path in sorted(directory.glob("exchanges-*.jsonl")):
        with path.open(encoding="utf-8") as handle:
            for raw in handle:
                if raw.strip():
                    yield json.loads(raw)


def iter_exchange_records(directory: Path) -> Iterator[dict[str, Any]]:
    for line in iter_lines(directory):
        if "exchange" in line:
            yield line["exchange"]
