"""What a run found: the data model every report writer reads.

Checks produce :class:`Violation` s; the pytest plugin turns each test into a :class:`CheckResult`;
:func:`conformance.model.verdict.judge` folds them, with waivers, into :class:`RequirementStatus` es and a
verdict. Writers (summary.json, junit.xml, report.html, the bundle) only render a :class:`RunResult`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from ..spec.contract import SpecInfo

__all__ = [
    "Violation",
    "CheckResult",
    "RequirementStatus",
    "Waiver",
    "RunResult",
    "Outcome",
    "Stop",
    "Status",
    "Verdict",
]

Outcome = Literal["passed", "failed", "skipped", "error"]  # error: the check itself broke (a suite bug)
# Why a check was cut short by the run rather than judged: typed, so the verdict never reads reasons.
Stop = Literal["time-budget", "request-budget", "target-stopped", "interrupted"]
Status = Literal["passed", "failed", "waived", "skipped"]
Verdict = Literal["pass", "fail", "error"]


@dataclass(frozen=True, slots=True)
class Violation:
    """One observed deviation from one requirement, with its evidence.

    ``request`` is a curl command with the API key already redacted.
    """

    requirement: str
    message: str
    request: str | None = None
    status_code: int | None = None
    body_excerpt: str | None = None

    def __post_init__(self) -> None:  # a violation of no known requirement would be lost: fail loudly
        from ..spec.catalogue import requirement

        requirement(self.requirement)

    def evidence(self) -> dict[str, Any]:
        """The summary.json evidence object (CONTRACT.md)."""
        return {
            "message": self.message,
            "request": self.request,
            "status_code": self.status_code,
            "body_excerpt": self.body_excerpt,
        }

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Violation:
        return cls(**data)


@dataclass(slots=True)
class CheckResult:
    """One check (one pytest test, or one cross-cutting check) and what came of it."""

    check_id: str  # pytest node id, or "crosscut::<name>"
    name: str  # human title, starting with the requirement ids it serves
    requirements: tuple[str, ...]
    outcome: Outcome
    violations: list[Violation] = field(default_factory=list)
    reason: str | None = None  # why skipped, or what broke a check that did not finish
    duration_s: float = 0.0
    replay: str | None = None  # how to replay a hypothesis failure
    stopped: Stop | None = None  # the run's limit that kept this check from being judged, if one did
    traceback: str | None = None  # outcome error: where the check broke (redacted), for whoever fixes the suite
    requests: int = 0  # requests this check put on the wire
    # Skipped as inconclusive: the requirements whose failure explains it (oracles.Inconclusive.owners).
    inconclusive_owners: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["requirements"] = list(self.requirements)
        data["inconclusive_owners"] = list(self.inconclusive_owners)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CheckResult:
        data = dict(data)
        data["requirements"] = tuple(data["requirements"])
        data["inconclusive_owners"] = tuple(data.get("inconclusive_owners", ()))
        data["violations"] = [Violation.from_dict(v) for v in data.get("violations", [])]
        return cls(**data)


@dataclass(frozen=True, slots=True)
class Waiver:
    id: str
    reason: str


@dataclass(slots=True)
class RequirementStatus:
    id: str
    level: str
    title: str
    status: Status
    reason: str | None = None
    evidence: list[dict[str, Any]] = field(default_factory=list)
    checks: int = 0  # how many checks served it
    waiver: str | None = None  # the waiver's reason, when waived


@dataclass(slots=True)
class RunResult:
    """Everything the report writers need, built once at the end of a run."""

    suite_version: str
    spec: SpecInfo
    base_url: str
    profile: str
    seed: int
    started_at: str  # ISO-8601
    finished_at: str  # ISO-8601
    duration_s: float
    requests: int
    verdict: Verdict
    reason: str | None
    requirements: list[RequirementStatus]
    checks: list[CheckResult]
    stale_waivers: list[Waiver] = field(default_factory=list)
    read_only: bool = False
    # kind of request ("list", "create", ...) -> response times in seconds
    response_times: dict[str, list[float]] = field(default_factory=dict)
    # what the run noticed besides checks: "data" (what the test data lets the checks observe),
    # "seeding" (seconds waited for distinct timestamps), "throttled" (429s), "cleanup_failed"
    notes: dict[str, Any] = field(default_factory=dict)
    run_id: str = ""  # carried by every report, so a bundle's files can be told to belong together
    # Why the run has no certification.zip; None when it has one (CONTRACT.md: whole full runs only).
    no_certification: str | None = "only the full profile certifies (--profile full)"
    options: dict[str, Any] = field(default_factory=dict)  # the run's options as given (replay.run_options)
    replay: dict[str, Any] | None = None  # a replay's outcomes against the run it replays (replay.py)
