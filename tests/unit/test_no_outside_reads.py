"""The project reads nothing from beside its checkout: the Dify docs specs its tests and benchmarks
use are carried in tests/data/dify-docs-specs/, so a checkout (or CI's clone) is all that is needed.
Every file of the project is searched for a path that leaves it for a `shared` directory."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import DIFY_SPECS, ROOT

# A path into a `shared` directory outside the checkout: `../shared`, an absolute `/work/shared`, or
# Python building it as a path component (`ROOT.parent / "shared"`, `Path("..", "shared")`).
OUTSIDE_SHARED = re.compile(r"""\.\./shared\b|/work/shared\b|/\s*["']shared["']|["']\.\.["']\s*,\s*["']shared["']""")

SKIPPED_DIRS = {".git", ".tox", ".venv", "venv", "__pycache__", ".hypothesis", ".pytest_cache"}
SKIPPED_TOP = {"reports", "build", "dist"}  # a run's reports and build output, not the project's files
SKIPPED = {
    Path(__file__).resolve(),  # this file names the patterns it looks for
    DIFY_SPECS.resolve(),  # the carried specs themselves
    (ROOT / "benchmarks" / "results").resolve(),  # recorded results name the paths of past runs, read nothing
}


def _project_files() -> list[Path]:
    found = []
    for path in ROOT.rglob("*"):
        parts = path.relative_to(ROOT).parts
        if set(parts) & SKIPPED_DIRS or parts[0] in SKIPPED_TOP or any(p.endswith(".egg-info") for p in parts):
            continue
        resolved = path.resolve()
        if path.is_file() and not any(resolved == s or s in resolved.parents for s in SKIPPED):
            found.append(path)
    return found


def _outside_reads(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if OUTSIDE_SHARED.search(line)]


def test_the_detector_finds_the_ways_a_path_leaves_the_checkout():
    for line in ['SHARED = ROOT.parent / "shared"  # beside the checkout',
                 "path = Path(__file__).parents[2] / 'shared' / 'dify-docs-specs'",
                 "dify-conformance run --spec ../shared/dify-docs-specs/x.json",
                 'cp /work/shared/dify-docs-specs/x.json .',
                 'Path("..", "shared")']:
        assert _outside_reads(line) == [line], line
    for line in ["the machine is shared with other test runs", "shared_state = {}", '"shared": 1',
                 "spec tests/data/dify-docs-specs/openapi_chatflow.en.2026-07-03.json"]:
        assert _outside_reads(line) == [], line


def test_no_project_file_reads_a_shared_directory_beside_the_checkout():
    files = _project_files()
    for expected in ("conftest.py", "README.md", ".ci/run", "conformance/reports/html.py", "tests/reports/conftest.py"):
        assert ROOT / expected in files, expected
    offending = {str(path.relative_to(ROOT)): lines for path in files
                 if (lines := _outside_reads(path.read_text(encoding="utf-8", errors="replace")))}
    assert offending == {}


def test_the_carried_specs_are_there_with_their_attribution():
    names = {p.name for p in DIFY_SPECS.iterdir()}
    assert {"openapi_chatflow.en.2025-11-26.json", "openapi_chatflow.ja.2025-11-26.json",
            "openapi_chatflow.en.2026-07-03.json", "openapi_service.en.2026-07-22.json"} <= names
    attribution = (DIFY_SPECS / "ATTRIBUTION.md").read_text(encoding="utf-8")
    assert "CC BY 4.0" in attribution and "LangGenius" in attribution
