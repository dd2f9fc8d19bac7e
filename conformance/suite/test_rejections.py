"""Invalid input is refused with a 4xx and no data: LIMIT-02, LIMIT-05, SORT-03, USER-01 (required
form), PAGE-03 (a cursor naming nothing), PAGE-04 (a malformed cursor). No test data needed."""

from __future__ import annotations

import uuid
from typing import Unpack, cast

import pytest
from hypothesis import given

from conformance import strategies
from conformance.api import ListParams, ServiceApi
from conformance.checks import SoftChecks, decided, inconclusive, run_property
from conformance.contract import Contract
from conformance.dataset import TestUsers
from conformance.oracles import Inconclusive
from conformance.oracles.rejection import rejection_violations
from conformance.probes import refused
from conformance.runstate import RunState


def _refused(api: ServiceApi, soft: SoftChecks, requirement: str, why: str, **params: Unpack[ListParams]) -> None:
    try:
        soft.add(refused(lambda: api.list(**params), requirement, why))
    except Inconclusive as error:
        soft.undecidable(error)


def _bounds_or_skip(contract: Contract) -> None:
    if not contract.limit.bounded:
        pytest.skip("the spec gives limit no minimum and maximum: nothing is out of range")


def test_limits_outside_the_bounds_are_refused(api: ServiceApi, contract: Contract, users: TestUsers) -> None:
    """Limits just, far and absurdly outside the spec's bounds get a 4xx"""
    _bounds_or_skip(contract)
    soft = SoftChecks()
    for value in strategies.out_of_range_limits(contract.limit):
        _refused(api, soft, "LIMIT-02", f"limit={value} is outside {contract.limit.minimum}.."
                 f"{contract.limit.maximum}", user=users.main, limit=value)
    soft.finish()


def test_random_limits_outside_the_bounds_are_refused(api: ServiceApi, contract: Contract, users: TestUsers) -> None:
    """Random integers outside the bounds get a 4xx (property)"""
    _bounds_or_skip(contract)

    @given(value=strategies.invalid_limits(contract.limit))
    def out_of_range(value: int) -> None:
        decided(lambda: refused(lambda: api.list(user=users.main, limit=value), "LIMIT-02",
                                f"limit={value} is outside {contract.limit.minimum}..{contract.limit.maximum}"))

    run_property(out_of_range)


def test_limits_that_are_not_integers_are_refused(api: ServiceApi, users: TestUsers) -> None:
    """Limits that are not integers (1.5, abc, NaN, ...) get a 4xx"""
    soft = SoftChecks()
    for value in strategies.NON_INTEGER_LIMITS:
        _refused(api, soft, "LIMIT-05", f"limit={value!r} is not an integer", user=users.main, limit=value)
    soft.finish()


def test_random_non_integer_limits_are_refused(api: ServiceApi, users: TestUsers) -> None:
    """Random non-integer limits get a 4xx (property)"""

    @given(value=strategies.non_integer_limits())
    def non_integer(value: str) -> None:
        decided(lambda: refused(lambda: api.list(user=users.main, limit=value), "LIMIT-05",
                                f"limit={value!r} is not an integer"))

    run_property(non_integer)


def test_sort_values_outside_the_enum_are_refused(api: ServiceApi, contract: Contract, users: TestUsers) -> None:
    """sort_by values outside the spec's enum (near misses and strangers) get a 4xx"""
    if not contract.sort.values:
        pytest.skip("the spec gives sort_by no enum: nothing is outside it")
    soft = SoftChecks()
    for value in strategies.invalid_sort_values(contract.sort):
        _refused(api, soft, "SORT-03", f"sort_by={value!r} is outside the enum", user=users.main, sort_by=value)
    soft.finish()


def test_random_sort_values_outside_the_enum_are_refused(api: ServiceApi, contract: Contract,
                                                         users: TestUsers) -> None:
    """Random strings outside the enum get a 4xx (property)"""
    if not contract.sort.values:
        pytest.skip("the spec gives sort_by no enum: nothing is outside it")

    @given(value=strategies.sort_values_outside(contract.sort))
    def outside_enum(value: str) -> None:
        decided(lambda: refused(lambda: api.list(user=users.main, sort_by=value), "SORT-03",
                                f"sort_by={value!r} is outside the enum"))

    run_property(outside_enum)


def test_a_missing_required_user_is_refused(api: ServiceApi, contract: Contract, run_state: RunState) -> None:
    """Without the required user, a 4xx and no data (when the spec marks user required)"""
    if not contract.user_required:
        pytest.skip("the spec marks user optional: the optional form of USER-01 applies")
    known = {cid for _, cid in run_state.ledger.items()}
    soft = SoftChecks()
    requests: tuple[ListParams, ...] = ({}, {"limit": contract.limit.maximum}, {"sort_by": contract.sort.default})
    for request in requests:
        params = cast(ListParams, {k: v for k, v in request.items() if v is not None})  # the same keys, fewer
        try:
            soft.add(rejection_violations(api.list(**params), "USER-01", "user is required and missing",
                                          known_ids=known))
        except Inconclusive as error:
            soft.undecidable(error)
    soft.finish()


def test_a_cursor_naming_no_conversation_is_refused(api: ServiceApi, contract: Contract, users: TestUsers) -> None:
    """A well-formed last_id that names nothing gets a 4xx, never a 5xx or a first page"""
    soft = SoftChecks()
    for value in (str(uuid.uuid4()), str(uuid.UUID(int=0)), str(uuid.uuid4()).upper()):
        _refused(api, soft, "PAGE-03", f"last_id={value} names no conversation", user=users.main, last_id=value)
    soft.finish()


def test_malformed_cursors_are_refused(api: ServiceApi, contract: Contract, users: TestUsers) -> None:
    """A last_id that cannot be a conversation id gets a 4xx"""
    values = strategies.malformed_cursors(contract.last_id_format)
    if not values:
        inconclusive(f"the spec gives conversation ids no known format ({contract.last_id_format!r}): "
                     "no last_id is malformed")
    soft = SoftChecks()
    for value in values:
        _refused(api, soft, "PAGE-04", f"last_id={value[:40]!r} is not a {contract.last_id_format}",
                 user=users.main, last_id=value)
    soft.finish()
