"""summary.json: the stable, versioned machine-readable report (CONTRACT.md, schema in summary.schema.json).

The contract's keys come first in meaning; the extension keys (``run_id``, ``finished_at``,
``read_only``, ``checks``, ``waivers``, ``stale_waivers``, ``response_times``, ``notes``, ``certification``,
``options``, ``replay``)
are documented in the README and in the schema. Keys are sorted so that two summaries diff cleanly.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from ..model.results import RequirementStatus, RunResult
from .files import write_atomically
from .view import applied_waivers, requirements_in_order, stale_waiver_entries, timing_stats

__all__ = ["SCHEMA_VERSION", "SCHEMA_PATH", "summary_dict", "summary_json", "write_summary", "load_schema"]

SCHEMA_VERSION = 2  # 2: options (what replay runs again with) and replay
SCHEMA_PATH = Path(__file__).with_name("summary.schema.json")
_EVIDENCE_KEYS = ("message", "request", "status_code", "body_excerpt")


def summary_dict(run: RunResult) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "run_id": run.run_id,
        "verdict": run.verdict,
        "reason": run.reason if run.verdict == "error" else None,
        "suite_version": run.suite_version,
        "spec": {
            "path": run.spec.path,
            "sha256": run.spec.sha256,
            "title": run.spec.title,
            "version": run.spec.version,
        },
        "target": {"base_url": run.base_url},
        "profile": run.profile,
        "seed": run.seed,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "duration_s": run.duration_s,
        "requests": run.requests,
        "read_only": run.read_only,
        "requirements": [_requirement(s) for s in requirements_in_order(run)],
        "checks": [check.to_dict() for check in run.checks],
        "waivers": applied_waivers(run),
        "stale_waivers": stale_waiver_entries(run),
        "response_times": {kind: stats.to_dict() for kind, stats in timing_stats(run.response_times).items()},
        "notes": run.notes,
        "certification": {"bundle": run.no_certification is None, "reason": run.no_certification},
        "options": run.options,
        "replay": run.replay,
    }


def _requirement(status: RequirementStatus) -> dict[str, Any]:
    return {
        "id": status.id,
        "level": status.level,
        "title": status.title,
        "status": status.status,
        "reason": status.reason,
        # Exactly the contract's evidence keys, whatever else a producer put in.
        "evidence": [{key: item.get(key) for key in _EVIDENCE_KEYS} for item in status.evidence],
    }


def summary_json(run: RunResult) -> str:
    return json.dumps(summary_dict(run), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_summary(run: RunResult, path: str | os.PathLike[str]) -> Path:
    return write_atomically(path, summary_json(run))


def load_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of summary.json v2."""
    schema: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return schema
