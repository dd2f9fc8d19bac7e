"""Invalid input is refused with a 4xx and no data: LIMIT-02, LIMIT-05, SORT-03, USER-01 (required
form), PAGE-03 (a cursor naming nothing), PAGE-04 (a malformed cursor). No test data needed."""

from __future__ import annotations

import random
import uuid
from typing import Unpack, cast

import pytest

from conformance.config.profiles import Profile
from conformance.data.dataset import TestUsers
from conformance.http.api import ListParams, ServiceApi
from conformance.model.exchange import Exchange
from conformance.model.results import Violation
from conformance.oracles.params import rejection_obligations
from conformance.oracles.rejection import rejection_violations
from conformance.run.checks import inconclusive
from conformance.run.executor import Probes, draw_examples
from conformance.run.runstate import RunState
from conformance.spec.catalogue import Req
from conformance.spec.contract import Contract
from conformance.suite import strategies
from conformance.suite.probes import refused


def _refused(api: ServiceApi, requirement: Req, why: str, **params: Unpack[ListParams]) -> list[Violation]:
    return refused(lambda: api.list(**params), requirement, why)


def _bounds_or_skip(contract: Contract) -> None:
    if not contract.limit.bounded:
        pytest.skip("the spec gives limit no minimum and maximum: nothing is out of range")


def _refused_as_obliged(api: ServiceApi, contract: Contract, **params: Unpack[ListParams]) -> list[Violation]:
    """Sent, and held to the requirement that the contract's rule (oracles.params) says obliges its refusal."""
    def send() -> Exchange:
        return api.list(**params)

    first = send()
    obligations = rejection_obligations(first.params, contract)
    if len(obligations) != 1:
        raise RuntimeError(f"{first.describe()}: the contract obliges {len(obligations)} refusal(s) of this request, "
                           "not one: the strategy and oracles.params disagree")
    (requirement, why), = obligations
    return refused(send, requirement, why, first=first)


def test_limits_outside_the_bounds_are_refused(probes: Probes, api: ServiceApi, contract: Contract,
                                               users: TestUsers) -> None:
    """Limits just, far and absurdly outside the spec's bounds get a 4xx"""
    _bounds_or_skip(contract)
    probes.each(strategies.out_of_range_limits(contract.limit), lambda value: _refused_as_obliged(
        api, contract, user=users.main, limit=value))


def test_random_limits_outside_the_bounds_are_refused(probes: Probes, api: ServiceApi, contract: Contract,
                                                      users: TestUsers, profile: Profile) -> None:
    """Random integers outside the bounds get a 4xx (property)"""
    _bounds_or_skip(contract)
    drawn = draw_examples(profile.examples, value=strategies.invalid_limits(contract.limit))
    probes.each([d["value"] for d in drawn], lambda value: _refused_as_obliged(
        api, contract, user=users.main, limit=value))


def test_limits_that_are_not_integers_are_refused(probes: Probes, api: ServiceApi, contract: Contract,
                                                  users: TestUsers) -> None:
    """Limits that are not integers (1.5, abc, NaN, ...) get a 4xx"""
    probes.each(strategies.NON_INTEGER_LIMITS, lambda value: _refused_as_obliged(
        api, contract, user=users.main, limit=value))


def test_random_non_integer_limits_are_refused(probes: Probes, api: ServiceApi, contract: Contract,
                                               users: TestUsers, profile: Profile) -> None:
    """Random non-integer limits get a 4xx (property)"""
    drawn = draw_examples(profile.examples, value=strategies.non_integer_limits())
    probes.each([d["value"] for d in drawn], lambda value: _refused_as_obliged(
        api, contract, user=users.main, limit=value))


def test_sort_values_outside_the_enum_are_refused(probes: Probes, api: ServiceApi, contract: Contract,
                                                  users: TestUsers) -> None:
    """sort_by values outside the spec's enum (near misses and strangers) get a 4xx"""
    if not contract.sort.values:
        pytest.skip("the spec gives sort_by no enum: nothing is outside it")
    probes.each(strategies.invalid_sort_values(contract.sort), lambda value: _refused_as_obliged(
        api, contract, user=users.main, sort_by=value))


def test_random_sort_values_outside_the_enum_are_refused(probes: Probes, api: ServiceApi, contract: Contract,
                                                         users: TestUsers, profile: Profile) -> None:
    """Random strings outside the enum get a 4xx (property)"""
    if not contract.sort.values:
        pytest.skip("the spec gives sort_by no enum: nothing is outside it")
    drawn = draw_examples(profile.examples, value=strategies.sort_values_outside(contract.sort))
    probes.each([d["value"] for d in drawn], lambda value: _refused_as_obliged(
        api, contract, user=users.main, sort_by=value))


def test_a_missing_required_user_is_refused(probes: Probes, api: ServiceApi, contract: Contract,
                                            run_state: RunState) -> None:
    """Without the required user, a 4xx and no data (when the spec marks user required)"""
    if not contract.user_required:
        pytest.skip("the spec marks user optional: the optional form of USER-01 applies")
    known = {cid for _, cid in run_state.ledger.items()}
    requests: tuple[ListParams, ...] = ({}, {"limit": contract.limit.maximum}, {"sort_by": contract.sort.default})
    probes.each(requests, lambda request: rejection_violations(
        api.list(**cast(ListParams, {k: v for k, v in request.items() if v is not None})),  # the same keys, fewer
        Req.USER_01, "user is required and missing", known_ids=known))


def test_a_cursor_naming_no_conversation_is_refused(probes: Probes, api: ServiceApi, contract: Contract,
                                                    users: TestUsers, run_state: RunState) -> None:
    """A well-formed last_id that names nothing gets a 4xx, never a 5xx or a first page"""
    # Drawn from the run's seed, so that a replay of the run sends the same cursors.
    draw = random.Random(run_state.settings.seed)
    values = (str(uuid.UUID(int=draw.getrandbits(128), version=4)), str(uuid.UUID(int=0)),
              str(uuid.UUID(int=draw.getrandbits(128), version=4)).upper())
    probes.each(values, lambda value: _refused(api, Req.PAGE_03, f"last_id={value} names no conversation",
                                               user=users.main, last_id=value))


def test_malformed_cursors_are_refused(probes: Probes, api: ServiceApi, contract: Contract, users: TestUsers) -> None:
    """A last_id that cannot be a conversation id gets a 4xx"""
    values = strategies.malformed_cursors(contract.last_id_format)
    if not values:
        inconclusive(f"the spec gives conversation ids no known format ({contract.last_id_format!r}): "
                     "no last_id is malformed")
    probes.each(values, lambda value: _refused(api, Req.PAGE_04, f"last_id={value[:40]!r} is not a "
                                               f"{contract.last_id_format}", user=users.main, last_id=value))
