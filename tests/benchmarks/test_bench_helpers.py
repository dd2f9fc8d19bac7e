"""The benchmarks' pure helpers (benchmarks/_common.py, bench_suite.py): interval arithmetic for the
overlap of the seeding's waits with other checks, and the profile categories. No servers, no runs."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from _common import ExchangeTiming, markdown_table, median, overlap, total, union, waits_analysis  # noqa: E402
from bench_suite import categorise  # noqa: E402


def test_union_merges_overlapping_and_touching_intervals():
    assert union([(5, 6), (0, 2), (1, 3), (3, 4)]) == [(0, 4), (5, 6)]
    assert total([(0, 2), (1, 3), (10, 11)]) == 4


def test_overlap_counts_time_covered_by_both_sets():
    assert overlap([(0, 10)], [(2, 3), (5, 7)]) == 3
    assert overlap([(0, 1)], [(1, 2)]) == 0
    assert overlap([], [(0, 1)]) == 0


def test_waits_are_overlapped_except_where_a_check_was_blocked_on_the_data():
    waits = [(0.0, 1.0), (2.0, 3.0)]
    blocked = [(2.5, 4.0)]
    timings = [ExchangeTiming("list", 0.2, 0.1), ExchangeTiming("create", 0.5, 0.1), ExchangeTiming("list", 2.9, 0.5)]
    found = waits_analysis(waits, blocked, timings)
    assert found["waited_s"] == 2.0
    assert found["idle_s"] == 0.5
    assert found["overlapped_share"] == 0.75
    assert found["check_requests_during_waits"] == 2  # the seeding's own create is not a check's
    assert waits_analysis([], [], [])["overlapped_share"] is None


def test_median_and_table():
    assert median([3, 1, 2]) == 2
    assert median([4, 1, 2, 3]) == 2.5
    assert markdown_table(["a", "b"], [[1, None]]).splitlines() == ["| a | b |", "|---|---|", "| 1 |  |"]


@pytest.mark.parametrize(("filename", "function", "category"), [
    ("~", "<method 'recv_into' of '_socket.socket' objects>", "socket I/O"),
    ("/x/site-packages/hypothesis/core.py", "run", "hypothesis"),
    ("/x/site-packages/_pytest/assertion/rewrite.py", "run", "imports and pytest assertion rewriting"),
    ("/work/conformance/evidence.py", "record", "suite code: evidence"),
    ("/work/conformance/walker.py", "walk_pages", "suite code: client"),
    ("~", "<built-in method builtins.isinstance>", "other"),
])
def test_profile_categories(filename, function, category):
    assert categorise(filename, function).startswith(category)
