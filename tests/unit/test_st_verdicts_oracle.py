"""Schemathesis' verdicts mapped onto the catalogue: only what the contract asks, under its requirement."""

from __future__ import annotations

import pytest

from conformance.oracles.st_verdicts import SCHEMATHESIS_CHECKS, requirement_for_failure
from conformance.spec.catalogue import Req

OUT_OF_RANGE = [(Req.LIMIT_02, "limit=0 is outside 1..100")]


def test_a_server_error_is_robust_01_whatever_the_request():
    assert requirement_for_failure("ServerError", 500, [], schema_confirmed=False) is Req.ROBUST_01
    assert requirement_for_failure("ServerError", 503, OUT_OF_RANGE, schema_confirmed=True) is Req.ROBUST_01


@pytest.mark.parametrize("failure", ["JsonSchemaError", "MalformedJson", "UndefinedContentType",
                                     "MissingContentType", "MalformedMediaType"])
def test_a_schema_failure_counts_only_on_a_200_our_validator_confirms(failure):
    assert requirement_for_failure(failure, 200, [], schema_confirmed=True) is Req.SCHEMA_01
    assert requirement_for_failure(failure, 200, [], schema_confirmed=False) is None
    assert requirement_for_failure(failure, 400, [], schema_confirmed=True) is None  # the seed documents only 200


def test_accepted_negative_data_counts_only_where_the_contract_obliges_a_rejection():
    assert requirement_for_failure("AcceptedNegativeData", 200, OUT_OF_RANGE, schema_confirmed=False) is Req.LIMIT_02
    both = [(Req.SORT_03, "sort_by='x' is not one of ..."), *OUT_OF_RANGE]
    assert requirement_for_failure("AcceptedNegativeData", 204, both, schema_confirmed=False) is Req.SORT_03
    assert requirement_for_failure("AcceptedNegativeData", 200, [], schema_confirmed=False) is None  # user= etc.
    assert requirement_for_failure("AcceptedNegativeData", 404, OUT_OF_RANGE, schema_confirmed=False) is None


@pytest.mark.parametrize("failure", ["UndefinedStatusCode", "RejectedPositiveData", "UnsupportedMethodResponse",
                                     "SomethingNew"])
def test_what_the_catalogue_does_not_ask_shows_nothing(failure):
    assert requirement_for_failure(failure, 200, OUT_OF_RANGE, schema_confirmed=True) is None


def test_only_the_checks_the_mapping_judges_are_run():
    assert set(SCHEMATHESIS_CHECKS) == {"not_a_server_error", "response_schema_conformance",
                                        "content_type_conformance", "negative_data_rejection"}
