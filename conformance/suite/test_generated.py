"""Generated requests, positive and negative, from the spec by schemathesis: no 5xx (ROBUST-01),
valid 200s (SCHEMA-01), and every request the contract obliges a rejection for refused (USER-01,
LIMIT-02, LIMIT-05, SORT-03). Schemathesis' verdicts are mapped, see oracles/st_verdicts.py."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests

from conformance.config.profiles import Profile
from conformance.data.dataset import TestUsers
from conformance.http.api import ServiceApi
from conformance.model.exchange import Exchange
from conformance.model.results import Violation
from conformance.oracles import Inconclusive, violation
from conformance.oracles.params import Obligation, rejection_obligations
from conformance.oracles.rejection import rejection_violations
from conformance.oracles.schema import ResponseValidator
from conformance.oracles.st_verdicts import SCHEMATHESIS_CHECKS, requirement_for_failure
from conformance.run.executor import Probes, draw_examples
from conformance.spec.contract import Contract

if TYPE_CHECKING:  # schemathesis is imported where it is used: collecting this module stays cheap
    from schemathesis import APIOperation, Case

    # schemathesis' operation map hands out its operations, and their cases, with type parameters left open
    Operation = APIOperation[Any, Any, Any, Any]
    GeneratedCase = Case[Operation]


def _wire_params(case: GeneratedCase, users: TestUsers) -> list[tuple[str, str]]:
    """The query exactly as it goes on the wire; a generated user becomes one of this run's own."""
    kwargs = case.as_transport_kwargs(base_url="http://target.invalid")
    url = requests.Request("GET", kwargs["url"], params=kwargs.get("params")).prepare().url or ""
    params = parse_qsl(urlsplit(url).query, keep_blank_values=True)
    return [(k, f"{users.scratch}-gen-{v}" if k == "user" else v) for k, v in params]


def _schemathesis_verdicts(case: GeneratedCase, exchange: Exchange, status: int, obligations: Sequence[Obligation],
                           validator: ResponseValidator) -> list[Violation]:
    from schemathesis import checks
    from schemathesis.core.failures import FailureGroup
    from schemathesis.core.transport import Response
    from schemathesis.specs.openapi import checks as openapi_checks

    functions = [getattr(checks, n, None) or getattr(openapi_checks, n) for n in SCHEMATHESIS_CHECKS]
    request = requests.Request("GET", exchange.url, headers=dict(exchange.request_headers)).prepare()
    headers: dict[str, list[str]] = {}
    for name, value in exchange.response_headers:
        headers.setdefault(name.lower(), []).append(value)
    response = Response(status_code=status, headers=headers, content=exchange.body,
                        request=request, elapsed=exchange.elapsed_s, verify=True)
    try:
        case.validate_response(response, checks=functions)
    except FailureGroup as group:
        failures: list[Exception] = list(group.exceptions)
    except Exception as single:  # a single failure is raised as itself
        failures = [single]
    else:
        return []
    confirmed = bool(validator.schema_violations(exchange))
    found: list[Violation] = []
    for failure in failures:
        requirement = requirement_for_failure(type(failure).__name__, status, obligations, confirmed)
        if requirement:
            why = obligations[0][1] if requirement == (obligations[0][0] if obligations else None) else ""
            found.append(violation(requirement, f"schemathesis {getattr(failure, 'code', '')} "
                                   f"{getattr(failure, 'title', type(failure).__name__)}{': ' + why if why else ''}",
                                   exchange))
    return found


def _judge(api: ServiceApi, contract: Contract, validator: ResponseValidator, users: TestUsers,
           case: GeneratedCase) -> list[Violation]:
    params = _wire_params(case, users)
    exchange = api.list_raw(params)
    if exchange.status_code is None:
        return []  # ROBUST-01 records it; nothing else to judge
    obligations = rejection_obligations(params, contract)
    found: list[Violation] = []
    for requirement, why in obligations:
        # A 5xx or a lasting 429 leaves the refusal unknown: ROBUST-01 (or nothing) judges it.
        with contextlib.suppress(Inconclusive):
            found += rejection_violations(exchange, requirement, why)
    found += _schemathesis_verdicts(case, exchange, exchange.status_code, obligations, validator)
    # One violation per requirement and exchange: ours and schemathesis' may say the same.
    unique = {(v.requirement, v.request): v for v in found}
    return list(unique.values())


@pytest.mark.parametrize("mode", ["positive", "negative"])
def test_generated_requests(probes: Probes, mode: str, operation: Operation, api: ServiceApi, contract: Contract,
                            validator: ResponseValidator, users: TestUsers, profile: Profile) -> None:
    """Schemathesis-generated requests: no 5xx, valid 200s, invalid input refused"""
    from schemathesis import GenerationMode

    # Drawn first (a generated request is its own evidence: no shrinking, which costs hundreds of
    # requests), then sent at once; every failing request is reported, not only the first.
    cases = draw_examples(profile.generated_examples, case=operation.as_strategy(generation_mode=GenerationMode(mode)))
    probes.each([drawn["case"] for drawn in cases], lambda case: _judge(api, contract, validator, users, case))
