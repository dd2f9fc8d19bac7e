"""The benchmarks' pure helpers (benchmarks/_common.py, _profile.py, _latency.py): interval arithmetic
for the overlap of the seeding's waits with other checks, the profile categories, and the latency
axis' levels, targets and dependent chain. No servers, no runs."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from _common import ExchangeTiming, markdown_table, median, overlap, total, union, waits_analysis  # noqa: E402
from _latency import TARGETS, dependent_chain, parse_levels, summarise, verdict  # noqa: E402
from _latency import render as render_latency  # noqa: E402
from _profile import categorise  # noqa: E402


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
    ("/work/conformance/http/evidence.py", "record", "suite code: evidence"),
    ("/work/conformance/data/walker.py", "walk_pages", "suite code: client"),
    ("~", "<built-in method builtins.isinstance>", "other"),
])
def test_profile_categories(filename, function, category):
    assert categorise(filename, function).startswith(category)


def test_latency_levels_carry_their_server_flags_and_targets():
    levels = parse_levels("0, 10,40,dify")
    assert [level.name for level in levels] == ["0", "10", "40", "dify"]
    assert levels[0].server_args == ()  # no latency: the server as it always was
    assert levels[2].server_args == ("--latency-ms", "40")
    assert levels[3].server_args == ("--latency-ms", "20", "--latency-jitter", "lognormal")
    assert [level.target for level in levels] == [TARGETS[0], None, TARGETS[40], None]


@pytest.mark.parametrize("text", ["", "0,0", "-5", "fast", "1.5"])
def test_bad_latency_levels_are_refused(text):
    with pytest.raises(ValueError):
        parse_levels(text)


def test_verdict_against_a_target():
    assert verdict(0.49, 0.5) == "<= 0.5: met"
    assert verdict(0.51, 0.5) == "<= 0.5: NOT met"
    assert verdict(None, 0.5) == "<= 0.5: not measured"
    assert verdict(0.3, None) == ""


def test_dependent_chain_is_the_longer_of_lifecycle_and_seeding():
    run = {"checks": {"suite/test_page.py::test_walk": 9.0, "suite/test_lifecycle.py::test_lifecycle": 2.5},
           "seeding_span_s": 1.5, "lifecycle_steps": 34, "waited_for_seconds_s": 0.4}
    assert dependent_chain(run) == {"lifecycle_steps": 34, "lifecycle_s": 2.5, "seeding_s": 1.5,
                                    "seeding_waited_s": 0.4, "chain_s": 2.5}
    assert dependent_chain({})["chain_s"] is None


def test_summary_per_level_takes_medians_and_ratios():
    levels = parse_levels("40")
    quick = [{"wall_s": w, "requests": 1000, "exit": 0, "checks": {"test_lifecycle.py::x": 2.0}} for w in (5, 4, 9)]
    st = [{"wall_s": w, "requests": 155, "exit": 1} for w in (10, 12, 11)]
    serial = [{"wall_s": 40, "requests": 1000, "exit": 0}]
    [row] = summarise(levels, {"40": {"quick": quick, "st exhaustive": st, "quick serial": serial}})
    assert row["quick"]["wall_s"] == 5 and row["st exhaustive"]["wall_s"] == 11
    assert row["quick_over_st"] == round(5 / 11, 2)
    assert row["serial_over_quick"] == 8.0
    assert row["chain"]["chain_s"] == 2.0 and row["quick_over_chain"] == 2.5
    assert row["target"] == TARGETS[40]


def test_latency_table_names_each_level_and_its_target():
    runs = {"0": {"quick": [{"wall_s": 4.0, "requests": 985, "exit": 0}],
                  "st exhaustive": [{"wall_s": 4.0, "requests": 155, "exit": 1}]},
            "dify": {"quick": [{"wall_s": 9.0, "requests": 990, "exit": 0}]}}
    table = render_latency(summarise(parse_levels("0,dify"), runs), "spec.yaml", "default concurrency")
    zero, dify = table.splitlines()[-2:]
    assert zero.startswith("| 0 ms | 4.0 | 985 |") and "| 1.0 | <= 0.8: NOT met |" in zero and "| 0; 1 |" in zero
    assert dify.startswith("| Dify-like (log-normal, median 20 ms) | 9.0 | 990 |")
