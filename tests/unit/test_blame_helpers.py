"""Exact blame in the small: undecided rejections, odd user probes, special users' near misses, evidence order."""

from __future__ import annotations

import pytest

from conformance.data.users import TestUsers, near_misses
from conformance.model.results import CheckResult, Violation
from conformance.model.verdict import judge
from conformance.oracles import Inconclusive
from conformance.oracles.rejection import rejection_violations
from conformance.spec.catalogue import Req
from conformance.suite.strategies import USER_PROBE_STEM, odd_users

from .conftest import exchange


@pytest.mark.parametrize("status", [500, 503, 429])
def test_a_server_error_or_lasting_throttle_decides_no_rejection(status):
    with pytest.raises(Inconclusive):
        rejection_violations(exchange(status, {"message": "busy"}), Req.LIMIT_02, "limit=0 is out of range")


def test_a_4xx_is_a_rejection_and_a_200_is_not():
    assert rejection_violations(exchange(400, {"code": "invalid_param"}), Req.LIMIT_02, "why") == []
    (found,) = rejection_violations(exchange(200, {"data": [{"id": "c1"}]}), Req.LIMIT_02, "why")
    assert found.requirement == Req.LIMIT_02


def test_odd_users_cover_the_lengths_and_characters_that_break_backends():
    values = dict(odd_users())
    assert [len(values[f"{n} characters"]) for n in (255, 256, 1000, 4000)] == [255, 256, 1000, 4000]
    for char in ("\x00", "\x01", "\t", "\n", "\x7f", "é", "山", "🦊", "ｕ", "+", " ", "%", "/", "'", '"', "\\"):
        assert any(char in v for v in values.values()), repr(char)
    assert all(v.startswith(USER_PROBE_STEM) for v in values.values())
    bounded = dict(odd_users(max_length=64))
    assert sorted(len(bounded[k]) for k in bounded if k.endswith("characters")) == [64, 65, 256]


def test_special_users_own_data_and_their_near_misses_are_probes():
    users = TestUsers.for_run("r1")
    assert users.owners == (users.non_ascii, users.special)
    assert not users.non_ascii.isascii() and all(c in users.special for c in " +%/'\"")
    misses = near_misses(users.non_ascii, users.special)
    assert set(misses) <= set(users.probes) and users.main not in misses
    assert users.non_ascii.replace("ë", "e") in misses  # ASCII-folded
    assert users.special.replace("%2F", "/") in misses  # percent-decoded
    assert not TestUsers.read_only("bob").owners


def test_generated_evidence_comes_after_the_suites_own_probes():
    generated = CheckResult("suite/test_generated.py::test_generated_requests[negative]", "g", (Req.USER_01,), "failed",
                            [Violation(Req.USER_01, "schemathesis noise")])
    plain = CheckResult("suite/test_rejections.py::test_a_missing_required_user_is_refused", "p", (Req.USER_01,),
                        "failed", [Violation(Req.USER_01, "the plain request")])
    statuses, _ = judge([generated, plain])
    (user_01,) = [s for s in statuses if s.id == Req.USER_01]
    assert user_01.evidence[0]["message"] == "the plain request"


def test_a_failing_property_example_prints_its_values():
    # Schemathesis, a pytest plugin here too, swaps hypothesis' printer for one that prints nothing.
    from hypothesis import Phase, given, settings
    from hypothesis import strategies as st

    from conformance.run.checks import run_property

    @settings(database=None, derandomize=True, phases=[Phase.generate, Phase.shrink])
    @given(sort_by=st.sampled_from(["created_at"]), limit=st.integers(min_value=0, max_value=9))
    def walk(sort_by, limit):
        assert limit < 3

    with pytest.raises(AssertionError) as failure:
        run_property(walk)
    notes = "\n".join(failure.value.__notes__)
    assert "sort_by='created_at'" in notes and "limit=3" in notes


def _sender(*statuses):
    answers = iter(statuses)
    sent = []

    def send():
        sent.append(1)
        return exchange(next(answers), {"message": "x"})

    return send, sent


def test_a_persistent_5xx_is_blamed_where_the_requirement_forbids_5xx():
    from conformance.suite.probes import SERVER_ERROR_TRIES, refused

    send, sent = _sender(*[500] * SERVER_ERROR_TRIES)
    (found,) = refused(send, Req.PAGE_03, "last_id names nothing")
    assert found.requirement == Req.PAGE_03 and f"each of {SERVER_ERROR_TRIES} tries" in found.message
    assert len(sent) == SERVER_ERROR_TRIES


def test_a_passing_5xx_is_retried_and_the_real_answer_judged():
    from conformance.suite.probes import refused

    send, sent = _sender(503, 404)
    assert refused(send, Req.PAGE_03, "last_id names nothing") == [] and len(sent) == 2


def test_a_5xx_is_not_retried_nor_blamed_where_the_requirement_does_not_name_5xx():
    from conformance.suite.probes import refused

    send, sent = _sender(500, 500)
    with pytest.raises(Inconclusive):
        refused(send, Req.SORT_03, "sort_by is outside the enum")
    assert len(sent) == 1


def test_a_repeated_5xx_breaks_auth_01_and_a_blip_does_not():
    from conformance.spec.catalogue import Req
    from conformance.suite.probes import SERVER_ERROR_TRIES, refused

    send, sent = _sender(*[500] * SERVER_ERROR_TRIES)
    (found,) = refused(send, Req.AUTH_01, "a request with an empty bearer token", status=401)
    assert found.requirement == Req.AUTH_01 and len(sent) == SERVER_ERROR_TRIES
    send, sent = _sender(503, 401)
    assert refused(send, Req.AUTH_01, "a request with an empty bearer token", status=401) == [] and len(sent) == 2


def test_the_5xx_blame_is_typed_data_of_the_catalogue_not_its_titles():
    from conformance.spec.catalogue import REQUIREMENTS, Req

    breaking = {r.id for r in REQUIREMENTS if r.repeated_5xx_breaks}
    assert breaking == {Req.AUTH_01, Req.LIMIT_02, Req.PAGE_03}
    assert all(r.answer for r in REQUIREMENTS if r.repeated_5xx_breaks)


def test_every_user_that_owns_data_has_whitespace_twins_among_the_probes():
    from conformance.data.users import whitespace_twins

    users = TestUsers.for_run("r1")
    for owner in (users.main, *users.owners):
        assert set(whitespace_twins(owner)) <= set(users.probes)
    assert {" bob", "bob ", "\tbob", "bob\t"} <= set(TestUsers.read_only("bob").probes)


def _skipped(owners, reason="inconclusive: a server error (see ROBUST-01)"):
    return CheckResult("t::x", "PAGE-01 x", (Req.PAGE_01,), "skipped", reason=reason, inconclusive_owners=owners)


def test_an_inconclusive_check_whose_owner_did_not_fail_is_an_internal_error():
    from conformance.model.verdict import settle_inconclusive
    from conformance.spec.catalogue import Req

    (check,) = settle_inconclusive([_skipped((Req.SCHEMA_01,))])
    assert check.outcome == "error" and Req.SCHEMA_01 in check.reason
    failing = CheckResult("crosscut::SCHEMA-01", Req.SCHEMA_01, (Req.SCHEMA_01,), "failed",
                          violations=[Violation(Req.SCHEMA_01, "data: null")])
    kept, _ = settle_inconclusive([_skipped((Req.SCHEMA_01, Req.SCHEMA_02)), failing])
    assert kept.outcome == "skipped"
    (plain,) = settle_inconclusive([_skipped(())])  # no owner named: a plain skip
    assert plain.outcome == "skipped"


def test_inconclusive_owners_are_typed_and_travel_with_the_check():
    from conformance.spec.catalogue import Req

    assert Inconclusive("x", Req.ROBUST_01).owners == (Req.ROBUST_01,) and Inconclusive("x").owners == ()
    with pytest.raises(Inconclusive) as raised:
        rejection_violations(exchange(503, {"message": "busy"}), Req.LIMIT_02, "limit=0 is out of range")
    assert raised.value.owners == (Req.ROBUST_01,)
    check = _skipped((Req.ROBUST_01,))
    assert CheckResult.from_dict(check.to_dict()) == check


def test_the_skip_of_an_inconclusive_check_carries_its_owners():
    from conformance.run.checks import InconclusiveSkip, inconclusive
    from conformance.run.executor import Probes
    from conformance.spec.catalogue import Req

    with pytest.raises(InconclusiveSkip) as raised:
        inconclusive(Inconclusive("a 503", Req.ROBUST_01))
    assert raised.value.owners == (Req.ROBUST_01,)
    with pytest.raises(InconclusiveSkip) as raised:
        inconclusive("no integer updated_at", (Req.SCHEMA_01, Req.SCHEMA_02))
    assert raised.value.owners == (Req.SCHEMA_01, Req.SCHEMA_02)
    soft = Probes()

    def undecided(error: Inconclusive) -> list:
        raise error

    soft.each([Inconclusive("a 503", Req.ROBUST_01), Inconclusive("a body too large", Req.SCHEMA_01)], undecided)
    with pytest.raises(InconclusiveSkip) as raised:
        soft.finish()
    assert raised.value.owners == (Req.ROBUST_01, Req.SCHEMA_01)
    soft.judge(lambda: undecided(Inconclusive("still throttled")))  # no owner: it may explain the skip alone
    with pytest.raises(InconclusiveSkip) as raised:
        soft.finish()
    assert raised.value.owners == ()
