"""The second app's key (--other-api-key, APP-01): never in any output, checked before the run (a
rejected one is exit 3 with one line), and in read-only mode the --user's lists under both keys must be
disjoint. Without it APP-01 is skipped with that reason."""

from __future__ import annotations

import pytest

from conformance.spec.catalogue import Req

from .conftest import canary_key, leaks, one_line_reason, tracebacks
from .test_stopped_targets import _conversations

pytestmark = pytest.mark.slow  # whole runs of the suite against live servers


@pytest.fixture
def other_key() -> str:
    return canary_key(special=True)  # URL encoding changes it: every form must stay hidden


def _clean(run, *keys):
    assert not tracebacks(run.stdout + run.stderr, allow_hypothesis_flaky=True), run.stdout
    for key in keys:
        assert not leaks(run, key), leaks(run, key)


def test_both_keys_stay_hidden_and_app_01_is_judged(cli, key, other_key, reference):
    server = reference(api_keys=[key, other_key], faults=["apps-not-isolated"])
    run = cli("--base-url", server.base_url, "--seed", "3", "--profile", "full", other_api_key=other_key)
    assert run.exit_code == 1 and run.failed == {Req.APP_01}, run.explain()
    evidence = next(r for r in run.summary["requirements"] if r["id"] == Req.APP_01)["evidence"]
    assert evidence and all("${DIFY_" in e["request"] for e in evidence), evidence
    assert run.summary["options"]["other_api_key_given"] is True
    _clean(run, key, other_key)  # summary, JUnit, HTML, terminal (and HAR, when a bundle is written)


def test_without_a_second_key_app_01_is_skipped_with_the_reason(cli, key, reference):
    server = reference()
    run = cli("--base-url", server.base_url, "--seed", "3", "--", "-k", "test_app or test_auth")
    status = next(r for r in run.summary["requirements"] if r["id"] == Req.APP_01)
    assert status["status"] == "skipped" and "--other-api-key" in status["reason"], status
    assert run.exit_code == 0, run.explain()


def test_a_rejected_second_key_is_exit_3_with_one_line(cli, key, other_key, reference):
    server = reference()  # knows the first key only
    run = cli("--base-url", server.base_url, other_api_key=other_key)
    assert run.exit_code == 3, run.explain()
    reason = one_line_reason(run)
    assert "other app's API key was rejected" in reason and "DIFY_OTHER_API_KEY" in reason, reason
    _clean(run, key, other_key)


def test_read_only_lists_under_both_keys_must_be_disjoint(cli, key, other_key, reference):
    clean = reference(api_keys=[key, other_key])
    leaky = reference(api_keys=[key, other_key], faults=["apps-not-isolated"])
    for server in (clean, leaky):
        _conversations(server.base_url, key, "reader", 6)
        _conversations(server.base_url, other_key, "reader", 3)
    args = ("--read-only", "--user", "reader", "--seed", "5")
    passed = cli("--base-url", clean.base_url, *args, other_api_key=other_key)
    assert passed.exit_code == 0 and passed.status(Req.APP_01) == "passed", passed.explain()
    failed = cli("--base-url", leaky.base_url, *args, other_api_key=other_key)
    assert failed.exit_code == 1 and failed.failed == {Req.APP_01}, failed.explain()
    messages = [v["message"] for c in failed.summary["checks"] for v in c["violations"]]
    assert any("lists are not disjoint" in m for m in messages), messages
    _clean(passed, key, other_key)
    _clean(failed, key, other_key)


def test_read_only_without_conversations_in_the_other_app_is_not_judged(cli, key, other_key, reference):
    server = reference(api_keys=[key, other_key])
    _conversations(server.base_url, key, "reader", 4)
    run = cli("--base-url", server.base_url, "--read-only", "--user", "reader", "--seed", "5",
              other_api_key=other_key)
    status = next(r for r in run.summary["requirements"] if r["id"] == Req.APP_01)
    assert status["status"] == "skipped" and "no conversations in the other app" in status["reason"], status
