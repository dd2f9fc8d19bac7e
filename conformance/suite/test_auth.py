"""AUTH-01: no bearer key, or a wrong one, is answered 401 with no conversation data."""

from __future__ import annotations

import base64
import functools
import secrets

from conformance.data.dataset import TestUsers
from conformance.http.api import ServiceApi
from conformance.http.client import NO_AUTH, BearerOverride
from conformance.run.executor import Probes
from conformance.run.runstate import RunState
from conformance.spec.catalogue import Req
from conformance.suite.probes import refused


def _wrong_credentials(key: str | None) -> list[tuple[str, BearerOverride | None]]:
    stranger = "app-" + secrets.token_urlsafe(18)
    cases: list[tuple[str, BearerOverride | None]] = [
        ("no Authorization header", NO_AUTH),
        ("an unknown key", BearerOverride(f"Bearer {stranger}", f"Bearer {stranger}")),
        ("an empty bearer token", BearerOverride("Bearer ", "Bearer ")),
        ("another scheme", BearerOverride("Basic " + base64.b64encode(b"dify:conformance").decode(),
                                          "Basic ZGlmeTpjb25mb3JtYW5jZQ==")),
    ]
    if key:
        changed = key[:-1] + ("A" if key[-1] != "A" else "B")
        cases += [
            ("the key with its last character changed",
             BearerOverride(f"Bearer {changed}", "Bearer <the API key, last character changed>")),
            ("the key with one character added", BearerOverride(f"Bearer {key}x", "Bearer <the API key>x")),
            ("the key without the Bearer scheme", BearerOverride(key, "<the API key, no scheme>")),
        ]
    return cases


def test_requests_without_a_valid_key_are_refused_with_401(probes: Probes, api: ServiceApi, users: TestUsers,
                                                           run_state: RunState) -> None:
    """Requests without the API key, or with a wrong one, get 401 and no data"""
    known = {cid for _, cid in run_state.ledger.items()}
    # A 5xx is sent again: one that repeats is the target's answer (AUTH-01 and ROBUST-01), a blip ROBUST-01's.
    probes.each(_wrong_credentials(run_state.target.api_key), lambda case: refused(
        functools.partial(api.list, user=users.main, auth=case[1]), Req.AUTH_01, f"a request with {case[0]}",
        known_ids=known, status=401))
