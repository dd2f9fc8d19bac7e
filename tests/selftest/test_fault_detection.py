"""The suite's mutation score and its exact blame: against the reference server with each fault
switched on, the run fails (or, for a SHOULD, reports the failure) exactly the requirements the fault
breaks, plus the collateral ones its registry entry declares with a reason: no more, no fewer.

Each fault is one named deviation (conformance/server/faults.py). Fixed seeds: a fault the suite
misses is a hard, reproducible failure here, never retried.
"""

from __future__ import annotations

import pytest

from conformance.server.faults import FAULTS
from conformance.server.process import ReferenceServer
from conformance.spec.catalogue import Level, Req, requirement
from conftest import DIFY_SPECS

from .conftest import SELFTEST_KEY, SELFTEST_KEYS, SELFTEST_OTHER_KEY

OPTIONAL_USER_SPEC = DIFY_SPECS / "openapi_chatflow.en.2026-07-03.json"
# Faults that only exist where the spec makes `user` optional (the server then serves a default user).
NEEDS_OPTIONAL_USER = {"user-missing-rejected"}


@pytest.mark.slow
@pytest.mark.parametrize("concurrency", ["1", "8"])  # the same failed set however many requests are in flight
@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_each_fault_fails_the_requirement_it_breaks(fault, concurrency, suite):
    optional = fault in NEEDS_OPTIONAL_USER
    # Two apps on the server and both keys given: APP-01 is judged against every fault, not only its own.
    with ReferenceServer(api_keys=SELFTEST_KEYS, faults=[fault], seed=1,
                         extra_args=["--user-optional"] if optional else []) as server:
        spec = ["--spec", str(OPTIONAL_USER_SPEC)] if optional else []
        run = suite("--base-url", server.base_url, "--seed", "7", "--concurrency", concurrency, *spec,
                    other_api_key=SELFTEST_OTHER_KEY)
    fails = set(FAULTS[fault].fails)
    assert (run.report_dir / "summary.json").is_file(), run.explain()
    assert run.failed == fails, f"{fault} should fail exactly {sorted(fails)}\n{run.explain()}"
    assert run.status(Req.APP_01) != "skipped", run.explain()
    must = any(requirement(r).level is Level.MUST for r in fails)
    assert run.exit_code == (1 if must else 0), run.explain()
    assert run.summary["verdict"] == ("fail" if must else "pass"), run.explain()


def _faulty_run(suite, fault):
    with ReferenceServer(api_keys=[SELFTEST_KEY], faults=[fault], seed=1) as server:
        return suite("--base-url", server.base_url, "--seed", "7")


def _requirement(run, requirement_id):
    return next(r for r in run.summary["requirements"] if r["id"] == requirement_id)


@pytest.mark.slow
def test_a_lost_tie_is_shown_where_the_cursor_lost_it(suite):
    run = _faulty_run(suite, "cursor-ties-skipped")
    # Where the missing items' sort values are known (another walk saw them), the evidence says they tie.
    evidence = next((e for e in _requirement(run, Req.PAGE_01)["evidence"] if "tie with the cursor at" in e["message"]),
                    None)
    assert evidence is not None, run.explain()
    assert "after the cursor" in evidence["message"] and "last_id=" in evidence["request"], evidence
    # The random walks' drawn examples are named by their values, in the walk's own evidence.
    walks = [v for c in run.summary["checks"] if "random_walks" in c["check_id"] for v in c["violations"]]
    assert walks and all("limit=" in v["message"] and "sort_by" in v["message"] for v in walks), walks


@pytest.mark.slow
def test_a_missing_user_is_shown_with_the_plain_request(suite):
    run = _faulty_run(suite, "user-missing-served")
    evidence = _requirement(run, Req.USER_01)["evidence"][0]
    assert evidence["request"].rstrip("'").endswith("/conversations"), evidence  # no generated parameters
