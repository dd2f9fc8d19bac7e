"""Hand-built RunResults for the report writer tests: real judge/verdict, no pytest run, no HTTP."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from conformance.model.results import CheckResult, RunResult, Violation, Waiver
from conformance.model.verdict import judge, verdict_of
from conformance.spec.catalogue import Req
from conformance.spec.contract import SpecInfo, bundled_spec_path, load_contract

HOSTILE = "<script>alert(1)</script>"
SECRET = "app-SECRET-key-123"
SPEC_TEXT = bundled_spec_path().read_text(encoding="utf-8")  # a bundle's evidence is judged again with it

MakeRun = Callable[..., RunResult]


@pytest.fixture(scope="module")
def contract():
    """The bundled spec's contract, as a bundle's evidence is judged again with it."""
    return load_contract(bundled_spec_path())


class Clock:
    """Times for hand-made traffic: each exchange a tenth of a second after the one before."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def next(self) -> float:
        self.now += 0.1
        return self.now


def violation(requirement: str, message: str = "answered 200, expected a 4xx", **fields: Any) -> Violation:
    return Violation(
        requirement,
        message,
        request=fields.get(
            "request",
            'curl -sS -X GET -H "Authorization: Bearer ${DIFY_API_KEY}" '
            "'http://127.0.0.1:5001/v1/conversations?limit=0'",
        ),
        status_code=fields.get("status_code", 200),
        body_excerpt=fields.get("body_excerpt", '{"limit": 0, "has_more": false, "data": []}'),
    )


def check(
    *requirements: str,
    outcome: str = "passed",
    violations: Sequence[Violation] = (),
    reason: str | None = None,
    name: str | None = None,
    replay: str | None = None,
) -> CheckResult:
    ids = " ".join(requirements)
    return CheckResult(
        check_id=f"conformance/suite/test_x.py::test_{'_'.join(requirements).lower().replace('-', '')}",
        name=name or f"{ids} behaves as the spec says",
        requirements=tuple(requirements),
        outcome=outcome,  # type: ignore[arg-type]
        violations=list(violations),
        reason=reason,
        duration_s=0.25,
        replay=replay,
    )


def all_passing_checks() -> list[CheckResult]:
    from conformance.spec.catalogue import REQUIREMENTS

    return [check(r.id) for r in REQUIREMENTS]


def build_run(
    checks: Sequence[CheckResult] | None = None,
    waivers: Sequence[Waiver] = (),
    *,
    reason: str | None = None,
    spec: SpecInfo | None = None,
    **fields: Any,
) -> RunResult:
    checks = list(all_passing_checks() if checks is None else checks)
    statuses, stale = judge(checks, waivers)
    values: dict[str, Any] = {
        "suite_version": "0.1.0",
        "spec": spec
        or SpecInfo(
            "spec/conversations.en.yaml",
            hashlib.sha256(SPEC_TEXT.encode()).hexdigest(),
            "Chatflow App API",
            "1.0.0",
        ),
        "base_url": "http://127.0.0.1:5001/v1",
        "profile": "full",
        "seed": 1234,
        "started_at": "2025-01-02T03:04:05+00:00",
        "finished_at": "2025-01-02T03:04:17+00:00",
        "duration_s": 12.3,
        "requests": 640,
        "options": {"base_url": "http://127.0.0.1:5001/v1", "spec": None, "profile": "full", "seed": 1234,
                    "read_only": False, "user": None, "other_user": None, "other_api_key_given": True},
        "verdict": "error" if reason else verdict_of(statuses, stale),
        "reason": reason,
        "requirements": statuses,
        "checks": checks,
        "stale_waivers": stale,
        "response_times": {"list": [0.01, 0.02, 0.03, 0.2], "create": [0.5, 0.7]},
        "run_id": "5eed1234",
        "no_certification": None if not reason else f"the run could not judge its target: {reason}",
    }
    values.update(fields)
    return RunResult(**values)


def failing_checks() -> list[CheckResult]:
    """LIMIT-02 fails (MUST) with a hostile body, USER-01 fails (to be waived), the rest passes."""
    checks = [c for c in all_passing_checks() if c.requirements[0] not in (Req.LIMIT_02, Req.USER_01, Req.DATA_02)]
    checks += [
        check(
            Req.LIMIT_02,
            outcome="failed",
            violations=[
                violation(Req.LIMIT_02, body_excerpt=HOSTILE),
                violation(Req.LIMIT_02, "limit=101 was clamped to 100"),
            ],
            replay="Falsifying example: limit=0\nReplay: run again with --seed 1234",
        ),
        check(Req.USER_01, outcome="failed", violations=[violation(Req.USER_01, "no user: answered 200")]),
        check(Req.DATA_02, outcome="skipped", reason="read-only run: this requirement needs writes"),
    ]
    return checks


@pytest.fixture
def make_run() -> MakeRun:
    return build_run


@pytest.fixture
def passing_run() -> RunResult:
    return build_run()


@pytest.fixture
def failing_run() -> RunResult:
    return build_run(failing_checks(), [Waiver(Req.USER_01, "this Dify version serves a default user")])


@pytest.fixture
def spec_file(tmp_path: Path) -> Path:
    path = tmp_path / "conversations.en.yaml"
    path.write_text(SPEC_TEXT, encoding="utf-8")
    return path
