"""Read-only runs blame only what the evidence proves: a pagination fault is PAGE-01, never USER-02 or a
"cursor that does not advance"; without --other-user no item is called someone else's; with it the two
users' lists must be disjoint; a user without conversations ends the run (exit 3) with that reason."""

from __future__ import annotations

import pytest

from conformance.spec.catalogue import Req

from .conftest import leaks, tracebacks
from .test_stopped_targets import _conversations

pytestmark = pytest.mark.slow  # whole runs of the suite against live servers


def _messages(run):
    return [v["message"] for c in run.summary["checks"] for v in c["violations"]]


def _clean(run, key):
    assert not tracebacks(run.stdout + run.stderr, allow_hypothesis_flaky=True), run.stdout
    assert not leaks(run, key)


def _users(server, key, *, reader=24, other=5):
    _conversations(server.base_url, key, "reader", reader)  # several a second: ties
    if other:
        _conversations(server.base_url, key, "other", other)


def test_a_read_only_user_without_conversations_is_an_error(cli, key, reference):
    server = reference()
    _users(server, key, reader=0)
    run = cli("--base-url", server.base_url, "--read-only", "--user", "reader")
    assert run.exit_code == 3, run.explain()
    assert "'reader' has no conversations" in run.summary["reason"], run.explain()
    assert {r["status"] for r in run.summary["requirements"]} == {"skipped"}
    _clean(run, key)


def test_a_cursor_that_skips_ties_is_page_01_and_nothing_else(cli, key, reference):
    server = reference(faults=["cursor-ties-skipped"])
    _users(server, key)
    run = cli("--base-url", server.base_url, "--read-only", "--user", "reader", "--seed", "5")
    assert run.exit_code == 1, run.explain()
    assert run.failed == {Req.PAGE_01}, run.explain()
    assert run.status(Req.USER_02) == "passed", run.explain()
    for message in _messages(run):
        assert "does not advance" not in message and "no other walk" not in message, message
    _clean(run, key)


@pytest.mark.parametrize(("fault", "failed"), [
    ("limit-field-wrong", {Req.LIMIT_04}),  # the echo is wrong, the pages are right: not LIMIT-03
    ("limit-default-wrong", {Req.LIMIT_03}),
])
def test_a_wrong_limit_echo_and_a_wrong_default_are_told_apart_read_only(cli, key, reference, fault, failed):
    """One rule judges the echo (oracles/limits.py) in walks, windows and single pages alike."""
    server = reference(faults=[fault])
    _users(server, key)
    run = cli("--base-url", server.base_url, "--read-only", "--user", "reader", "--seed", "5")
    assert run.exit_code == 1, run.explain()
    assert run.failed == failed, run.explain()
    _clean(run, key)


def test_without_other_user_user_02_rests_on_near_miss_ids(cli, key, reference):
    server = reference()
    _users(server, key)
    run = cli("--base-url", server.base_url, "--read-only", "--user", "reader", "--seed", "5")
    assert run.exit_code == 0, run.explain()
    check = next(c for c in run.summary["checks"] if "holds_only_their_conversations" in c["check_id"])
    assert check["outcome"] == "skipped" and "without --other-user" in check["reason"], check
    assert run.status(Req.USER_02) == "passed"
    _clean(run, key)


def test_with_other_user_disjoint_lists_pass(cli, key, reference):
    server = reference()
    _users(server, key)
    run = cli("--base-url", server.base_url, "--read-only", "--user", "reader", "--other-user", "other", "--seed", "5")
    assert run.exit_code == 0, run.explain()
    checks = {c["check_id"].split("::")[-1]: c["outcome"] for c in run.summary["checks"]}
    assert checks["test_each_users_list_holds_only_their_conversations"] == "passed", checks
    assert checks["test_another_users_conversation_is_no_cursor"] == "passed", checks
    _clean(run, key)


def test_with_other_user_lists_that_overlap_fail_user_02(cli, key, reference):
    server = reference(faults=["users-not-isolated"])
    _users(server, key)
    run = cli("--base-url", server.base_url, "--read-only", "--user", "reader", "--other-user", "other", "--seed", "5")
    assert run.exit_code == 1, run.explain()
    assert Req.USER_02 in run.failed, run.explain()
    assert any("lists are not disjoint" in m for m in _messages(run)), run.explain()
    assert Req.PAGE_01 not in run.failed, run.explain()
    _clean(run, key)


def test_read_only_cost_grows_with_the_pages_of_the_full_walks_not_with_conversations(tmp_path, cli, key):
    """Politeness on production: ten times the conversations add only the full walks' extra pages
    (one walk per sort at the largest limit), not a walk per limit and sort over all of them."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    from bench_scale import USER, fill

    from conformance.server.process import ReferenceServer

    requests = {}
    for count in (500, 5000):
        database = tmp_path / f"n{count}.sqlite"
        fill(database, key, count)
        with ReferenceServer(api_keys=[key], db_url=f"sqlite:///{database}") as server:
            run = cli("--base-url", server.base_url, "--read-only", "--user", USER, "--seed", "7")
        assert run.exit_code == 0, run.explain()
        requests[count] = run.summary["requests"]
    sorts, largest = 5, 100  # the seed spec: four sort values and the default order; limit maximum 100
    extra_pages = sorts * (5000 - 500) // largest
    # Plus the boundary limits that differ (the divisors of the total: 8 and 40 divide 5000, not 500), each
    # a window of at most 100 / limit + 1 pages per sort. Walks over every conversation would add thousands.
    assert requests[5000] - requests[500] <= extra_pages + 150, requests
    assert requests[5000] < 3000, requests
