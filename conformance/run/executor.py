"""One executor for every check: each check runs as a job, several at once, and the executor owns what
every check used to handle for itself.

A check is a plain function. It says what it needs by its parameters (``api``, ``contract``,
``dataset``, ``probes``, ...: resolved here from the run state, see :data:`PROVIDERS`) and how it is
judged through :class:`Probes`: a probe is a callable that sends its requests (a request, a walk, a
sequence) and returns the oracle's violations. Independent probes are sent at once
(:meth:`Probes.each`); the pages of one walk stay in order inside their probe. The executor owns:

- **concurrency**: checks are jobs on a pool of ``--concurrency`` threads, started in the suite's order
  when collection ends (under xdist: when a worker reaches them), their probes on a second pool; the
  HTTP client itself never has more than ``--concurrency`` requests on the wire;
- **the run's limits**: a check is not started once the time budget, the request budget, the breaker or
  an interrupt says stop (skipped, with the typed reason); the requests a check could not send are
  counted per check (the client's ``tally``), so what was not sent is never judged;
  interrupted or ending, the executor halts: no check sends anything more;
- **the undecidable case**: a probe that raises Inconclusive is counted; a check none of whose probes
  decided anything ends inconclusive (skipped, with the reason);
- **a crash in a check**: whatever it raised (with its traceback) is the check's outcome ``error``,
  never a failure of the target (see ``attribution.check_result``).

pytest still reports every check: its call waits for the job and raises what the job raised.
"""

from __future__ import annotations

import contextvars
import inspect
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pytest

from ..http.api import JOB_HALT
from ..model.results import Stop, Violation
from ..oracles import Inconclusive
from ..spec.catalogue import Req, requirement
from .checks import ConformanceFailure, InconclusiveSkip, inconclusive, serialise_ast_parsing
from .runstate import RunState

__all__ = ["Executor", "JobOutcome", "Probes", "PROVIDERS", "draw_examples"]

T = TypeVar("T")
R = TypeVar("R")


class Probes:
    """The probes of one check: each is judged as it comes back (violations kept, an undecidable one
    counted), independent ones are sent at once; the executor finishes them when the check returns."""

    def __init__(self, pool: ThreadPoolExecutor | None = None) -> None:
        self._pool = pool
        self.violations: list[Violation] = []
        self.decided = 0
        self.undecided: list[str] = []
        self.owners: list[tuple[Req, ...]] = []  # per undecided probe: the requirements that own its cause
        self._lock = threading.Lock()

    def judge(self, probe: Callable[[], Iterable[Violation]]) -> list[Violation] | None:
        """Run one probe now; what it found, None when it could not be decided."""
        try:
            found = list(probe())
        except Inconclusive as error:
            self.undecidable(str(error), error.owners)
            return None
        self.add(found)
        return found

    def each(self, items: Iterable[T], probe: Callable[[T], Iterable[Violation]]) -> list[list[Violation]]:
        """One probe per item, all in flight together (as far as the run's concurrency allows); what each
        found, in the order of ``items`` (empty for one that was undecidable)."""
        found = self.gather(items, lambda value: list(probe(value)))
        for violations in found:
            if violations is not None:
                self.add(violations)
        return [violations or [] for violations in found]

    def gather(self, items: Iterable[T], fetch: Callable[[T], R]) -> list[R | None]:
        """``fetch`` of every item, all in flight together, in the order of ``items``, so that evidence does
        not depend on timing; None for an item whose requests could not be judged (Inconclusive, counted).
        A fetch that crashes fails the check once every other one has ended."""
        values = list(items)
        if self._pool is None or len(values) < 2:
            outcomes = [_attempt(fetch, value) for value in values]
        else:
            futures = [self._pool.submit(contextvars.copy_context().run, _attempt, fetch, value) for value in values]
            outcomes = [future.result() for future in futures]
        results: list[R | None] = []
        for value, error in outcomes:
            if isinstance(error, Inconclusive):
                self.undecidable(str(error), error.owners)
            elif error is not None:
                raise error
            results.append(value)
        return results

    def add(self, violations: Iterable[Violation]) -> None:
        """A probe was decided: these are its violations (none: it passed)."""
        with self._lock:
            self.violations.extend(violations)
            self.decided += 1

    def undecidable(self, reason: str, owners: tuple[Req, ...] = ()) -> None:
        with self._lock:
            self.undecided.append(reason)
            self.owners.append(owners)

    def finish(self) -> None:
        """Fail with every violation found; inconclusive when no probe could be decided."""
        if self.violations:
            raise ConformanceFailure(self.violations)
        if not self.decided and self.undecided:
            more = f" (and {len(self.undecided) - 1} more)" if len(self.undecided) > 1 else ""
            # Owned only when every undecided probe names an owner: one without may explain the skip alone.
            owned = all(self.owners)
            inconclusive(self.undecided[0] + more,
                         tuple(dict.fromkeys(o for owners in self.owners for o in owners)) if owned else None)


def _attempt(fetch: Callable[[T], R], value: T) -> tuple[R | None, BaseException | None]:
    try:
        return fetch(value), None
    except BaseException as error:  # handed back to the check's thread, which decides
        return None, error


def draw_examples(examples: int, **strategies: Any) -> list[dict[str, Any]]:
    """``examples`` values drawn by hypothesis from ``strategies`` (keyword arguments, as for ``@given``),
    under the run's seed, without sending anything: the probes for them are then sent at once.

    Each example is one request or one walk, its own evidence: no shrinking (which would send
    hundreds of requests to make one smaller), so the cost is the number of examples, fixed."""
    from hypothesis import Phase, given, settings

    drawn: list[dict[str, Any]] = []

    @settings(max_examples=examples, phases=[Phase.explicit, Phase.reuse, Phase.generate], database=None)
    @given(**strategies)
    def collect(**values: Any) -> None:
        drawn.append(values)

    collect()
    counted = _DRAWN.get()
    if counted is not None:
        counted.append(len(drawn))
    return drawn


# The examples a check drew (draw_examples), counted in the check's own context: a failure of such a
# check is replayed with the run's seed, which draws the same examples again.
_DRAWN: contextvars.ContextVar[list[int] | None] = contextvars.ContextVar("dify_conformance_drawn", default=None)


@dataclass
class JobOutcome:
    """What running one check came to: what it raised (None: it passed), and what kept it from sending."""

    error: BaseException | None
    duration_s: float
    stopped: Stop | None = None  # why the check was not started, or why requests of it were not sent
    stopped_reason: str | None = None
    refused: int = 0  # requests of this check that were never sent
    sent: int = 0  # requests of this check that went on the wire
    drew: bool = False  # it drew hypothesis examples under the run's seed


def _dataset(state: RunState) -> Any:
    from ..data.dataset import SeedingError

    try:
        return state.dataset()
    except SeedingError as exc:
        pytest.skip(f"the test data could not be made: {exc}")
    except Exception as exc:  # a broken target must not crash the run: say what happened
        pytest.skip(f"the test data could not be made: {type(exc).__name__}: {exc}")


def _writes(state: RunState) -> Any:
    """The run's writes (the seeder's: one ledger, one retry rule), or why this run makes none."""
    from ..data.writes import NO_WRITES

    return state.seeder.writes if state.seeder is not None else NO_WRITES


def _operation(state: RunState) -> Any:
    """The operation under test as schemathesis reads it, made once per run (generated requests)."""
    with state._lock:
        if "operation" not in state.cache:
            import schemathesis

            operation = state.contract.operation
            state.cache["operation"] = schemathesis.openapi.from_dict(state.contract.document)[operation.path][
                operation.method]
        return state.cache["operation"]


# What a check's parameter names mean: the run's values, from its state (pytest's fixtures of the same
# names, in fixtures.py, serve checks of one's own that run outside the executor).
PROVIDERS: dict[str, Callable[[RunState], Any]] = {
    "run_state": lambda state: state,
    "contract": lambda state: state.contract,
    "profile": lambda state: state.settings.profile,
    "api": lambda state: state.api,
    "users": lambda state: state.users,
    "validator": lambda state: state.validator,
    "dataset": _dataset,
    "writes": _writes,
    "operation": _operation,
}


@dataclass
class _Job:
    check_id: str
    future: Future[JobOutcome]


@dataclass
class Executor:
    """Runs the suite's checks of one process as jobs (see the module docstring)."""

    state: RunState
    concurrency: int
    _jobs: ThreadPoolExecutor = field(init=False)
    _probes: ThreadPoolExecutor = field(init=False)
    _started: dict[str, _Job] = field(default_factory=dict)
    _halt: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        serialise_ast_parsing()  # checks draw hypothesis examples in several threads at once
        workers = max(1, self.concurrency)
        self._jobs = ThreadPoolExecutor(workers, thread_name_prefix="dify-conformance-check")
        self._probes = ThreadPoolExecutor(workers, thread_name_prefix="dify-conformance-probe")

    def halted(self) -> bool:
        return self._halt.is_set() or self.state.interrupt.is_set()

    def start(self, check_id: str, function: Callable[..., Any], params: dict[str, Any],
              requirements: Sequence[str]) -> None:
        """Queue the check (once); it starts when a job thread is free, in the order queued."""
        with self._lock:
            if check_id in self._started or self._halt.is_set():
                return
            future = self._jobs.submit(contextvars.copy_context().run, self._run, function, params,
                                       tuple(requirements))
            self._started[check_id] = _Job(check_id, future)

    def outcome(self, check_id: str, function: Callable[..., Any], params: dict[str, Any],
                requirements: Sequence[str]) -> JobOutcome:
        """The check's outcome, waiting for it (starting it first if nothing did). An interrupt while
        waiting halts the executor: the check then ends at its next request."""
        self.start(check_id, function, params, requirements)
        future = self._started[check_id].future
        while True:
            try:
                return future.result(timeout=0.2)
            except TimeoutError:
                if self.state.interrupt.is_set():
                    self._halt.set()
            except KeyboardInterrupt:
                self.state.interrupt.set()
                self._halt.set()

    def shutdown(self) -> None:
        """Halt: checks not started are dropped, running ones send nothing more and end; then wait."""
        self._halt.set()
        self._jobs.shutdown(wait=True, cancel_futures=True)
        self._probes.shutdown(wait=True, cancel_futures=True)

    def _run(self, function: Callable[..., Any], params: dict[str, Any],
             requirements: tuple[str, ...]) -> JobOutcome:
        started = time.monotonic()
        JOB_HALT.set(self.halted)  # this job's context: once halted, it and its probes send nothing more
        drawn: list[int] = []
        _DRAWN.set(drawn)
        stopped, why = self.why_not_start(requirements)
        assert self.state.http is not None, "the HTTP client is opened at session start"
        with self.state.http.tally() as tally:  # every request it and its probes send, and only those
            try:
                if why is not None:
                    pytest.skip(why)
                probes = Probes(self._probes)
                arguments = {name: self._argument(name, params, probes) for name in _parameters(function)}
                function(**arguments)
                probes.finish()
                error: BaseException | None = None
            except Inconclusive as exc:  # undecidable outside any probe: the same as inside one
                error = InconclusiveSkip(f"inconclusive: {exc}", exc.owners)
            except BaseException as exc:  # the check's outcome, raised again in pytest's call of the check
                error = exc
        outcome = JobOutcome(error, round(time.monotonic() - started, 3), stopped, why, tally.refused, tally.sent,
                             drew=bool(drawn))
        if tally.refused and stopped is None:
            outcome.stopped = tally.stop_kind
            outcome.stopped_reason = tally.stopped or "requests were not sent"
        return outcome

    def _argument(self, name: str, params: dict[str, Any], probes: Probes) -> Any:
        if name in params:
            return params[name]
        if name == "probes":
            return probes
        try:
            provider = PROVIDERS[name]
        except KeyError:
            raise TypeError(f"a check asks for {name!r}, which the executor does not provide "
                            f"(known: probes, {', '.join(PROVIDERS)})") from None
        return provider(self.state)

    def why_not_start(self, requirements: Sequence[str]) -> tuple[Stop | None, str | None]:
        """What keeps a check from starting now: the mode, an interrupt, the time or request budget, the breaker."""
        state = self.state
        if state.settings.read_only and requirements and all(requirement(i).needs_writes for i in requirements):
            return None, "read-only run: this requirement needs writes to the target"
        if self.halted():
            return "interrupted", "interrupted before this check started"
        if time.time() > state.deadline:
            budget = state.settings.time_budget_s
            return "time-budget", f"time budget of {budget:g} s exhausted before this check started"
        if state.http is not None and state.http.stopped:
            return state.http.stop_kind, f"{state.http.stopped} before this check started"
        return None, None


def _parameters(function: Callable[..., Any]) -> Iterator[str]:
    return iter(inspect.signature(function).parameters)
