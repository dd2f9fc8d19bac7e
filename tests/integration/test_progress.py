"""Progress on the terminal: one line when a group of checks starts, with the requests sent so far,
serially and under xdist, also with -q; and the counter and the heartbeat on their own."""

from __future__ import annotations

import json
import re

import pytest

from conformance.run.progress import Progress, RequestCounter, group_of

LINE = re.compile(r"^\[([A-Z]+)\] ([\d,]+) requests so far$", re.MULTILINE)
# The suite's modules, in the order the plugin runs them (suite/test_<group>.py).
GROUPS = ["GENERATED", "AUTH", "REJECTIONS", "LIFECYCLE", "APP", "USER", "LIMIT", "SORT", "PAGE", "SCHEMA", "STABLE",
          "DATA"]  # the checks that need no test data first, as the plugin orders them


def _progress(stdout: str) -> list[tuple[str, int]]:
    return [(group, int(count.replace(",", ""))) for group, count in LINE.findall(stdout)]


def _collapsed(groups: list[str]) -> list[str]:  # a heartbeat repeats the running group
    return [g for i, g in enumerate(groups) if i == 0 or groups[i - 1] != g]


@pytest.mark.slow
def test_serial_run_with_q_names_each_group_in_order_with_a_growing_count(reference_runs):
    run = reference_runs.serial  # run with "-- -q", on top of the suite's own -q
    lines = _progress(run.stdout)
    assert _collapsed([g for g, _ in lines]) == GROUPS, run.explain()
    counts = [c for _, c in lines]
    assert counts == sorted(counts) and counts[0] >= 1, counts  # the preflight request is the first
    assert counts[-1] <= run.summary["requests"], (counts, run.summary["requests"])
    assert counts[GROUPS.index("SCHEMA")] > counts[GROUPS.index("PAGE")], "the page walks send requests"


@pytest.mark.slow
def test_parallel_run_names_each_group_once_on_the_controller(reference_runs):
    run = reference_runs.parallel
    lines = _progress(run.stdout)
    groups = [g for g, _ in lines]
    assert sorted(set(groups)) == sorted(GROUPS), run.explain()
    first = [g for i, g in enumerate(groups) if g not in groups[:i]]
    assert len(first) == len(GROUPS), groups
    counts = [c for _, c in lines]
    assert counts == sorted(counts) and counts[-1] <= run.summary["requests"], counts


def test_group_is_the_module_named_for_its_area():
    assert group_of("suite/test_page.py::test_walks[sort_by=-created_at]") == "PAGE"
    assert group_of("conformance/suite/test_generated.py::test_generated_requests") == "GENERATED"
    assert group_of("suite\\test_auth.py::test_x") == "AUTH"


def _exchange(n: int) -> str:
    return json.dumps({"exchange": {"n": n}, "violations": [], "violated": []}) + "\n"


def test_counter_reads_each_line_once_counts_exchanges_only_and_waits_for_whole_lines(tmp_path):
    counter = RequestCounter(tmp_path / "evidence")
    assert counter.count() == 0  # no directory yet
    (tmp_path / "evidence").mkdir()
    one, two = tmp_path / "evidence" / "exchanges-1.jsonl", tmp_path / "evidence" / "exchanges-2.jsonl"
    one.write_text(_exchange(1) + _exchange(2) + json.dumps({"note": "throttled", "data": {}}) + "\n")
    two.write_text(_exchange(3) + _exchange(4)[:10])  # a writer half-way through its second line
    assert counter.count() == 3
    with two.open("a") as handle:
        handle.write(_exchange(4)[10:] + _exchange(5))
    assert counter.count() == 5
    assert counter.count() == 5  # nothing new, nothing counted twice
    (tmp_path / "other.jsonl").write_text(_exchange(6))
    assert counter.count() == 5


def test_one_line_per_group_start_and_a_heartbeat_after_a_quiet_interval(tmp_path):
    now = [0.0]
    said: list[str] = []
    progress = Progress(tmp_path, interval=30.0, clock=lambda: now[0], write=said.append)
    (tmp_path / "exchanges-9.jsonl").write_text(_exchange(1) * 1234)

    def start(nodeid: str, at: float) -> None:
        now[0] = at
        progress.pytest_runtest_logstart(nodeid, ("", 0, ""))

    start("suite/test_page.py::a", 0)
    start("suite/test_page.py::b", 10)  # same group, soon after: quiet
    start("suite/test_sort.py::a", 11)
    start("suite/test_page.py::c", 12)  # a group seen before (xdist interleaves): quiet
    start("suite/test_page.py::d", 42)  # 30 s since the last line: a heartbeat
    assert said == ["[PAGE] 1,234 requests so far", "[SORT] 1,234 requests so far", "[PAGE] 1,234 requests so far"]
