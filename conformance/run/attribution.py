"""What one check came to: pytest's report of it turned into a ``CheckResult``.

Owns the attribution of a check's end: violations read off its ``ConformanceFailure`` (also inside
hypothesis' exception groups), each naming its requirement; an unknown requirement id is the suite's
internal error, a crash of the check the suite's error, never the target's failure; requests the
run's limits refused are not judged (``settle_unsent``); an inconclusive skip keeps its owners; a
failure carries its replay line. Also what the hooks leave on an item for this (``JOB``, ``TALLY``,
``STOPPED``) and the redacted failure text pytest shows.
"""

from __future__ import annotations

import re
import traceback
from contextlib import AbstractContextManager

import pytest

from ..http.limits import Tally
from ..model.results import CheckResult, Stop, Violation
from ..spec.catalogue import UnknownRequirement
from .checks import ConformanceFailure, InconclusiveSkip, settle_unsent
from .collection import requirements_of
from .executor import JobOutcome
from .runstate import STATE, RunState

__all__ = ["JOB", "STOPPED", "TALLY", "attribute", "check_result"]

JOB = pytest.StashKey[JobOutcome]()  # what the executor's job of a suite check came to
TALLY = pytest.StashKey[tuple[AbstractContextManager[Tally], Tally]]()  # the sends of a check of one's own
STOPPED = pytest.StashKey[Stop | None]()  # what kept a check from running (typed, never read from reasons)


def attribute(item: pytest.Item, call: pytest.CallInfo[None], report: pytest.TestReport) -> None:
    """Record the check's result in the run state, and make pytest's report say the same."""
    if call.when == "call" or (call.when == "setup" and report.outcome != "passed"):
        state = item.config.stash[STATE]
        result = check_result(item, call, report, state)
        state.record_check(result)
        if result.outcome == "failed" and state.http is not None:
            text = "\n".join(_render_failure(result))
            report.longrepr = state.http.redact(text)
        elif result.outcome == "skipped" and not report.skipped:  # undecided, not failed: say so to pytest too
            report.outcome = "skipped"
            report.longrepr = (str(item.path), item.location[1] or 0, f"Skipped: {result.reason}")


def check_result(item: pytest.Item, call: pytest.CallInfo[None], report: pytest.TestReport,
                 state: RunState) -> CheckResult:
    ids = requirements_of(item)
    doc = (getattr(item, "function", None).__doc__ or item.name).strip().splitlines()[0]
    params = f" [{item.callspec.id}]" if hasattr(item, "callspec") else ""
    job = item.stash.get(JOB, None)
    result = CheckResult(check_id=item.nodeid, name=f"{' '.join(ids)} {doc}{params}", requirements=ids,
                         outcome=report.outcome, duration_s=job.duration_s if job else round(report.duration, 3),
                         stopped=item.stash.get(STOPPED, None))
    if job is not None and job.stopped is not None and not job.refused:  # not started: the run's limit said so
        result.stopped = job.stopped
    counting = item.stash.get(TALLY, None)
    result.requests = job.sent if job is not None else counting[1].sent if counting is not None else 0
    unsent = _unsent_of(item, job)
    if unsent is not None and settle_unsent(result, call, unsent[1]):
        result.stopped = unsent[0]
        return result  # what was not sent was not judged
    if report.skipped:
        longrepr = report.longrepr
        result.reason = str(longrepr[2]).removeprefix("Skipped: ") if isinstance(longrepr, tuple) else "skipped"
        if call.excinfo is not None and isinstance(call.excinfo.value, InconclusiveSkip):
            result.inconclusive_owners = call.excinfo.value.owners
        return result
    if report.failed and call.excinfo is not None:
        error = call.excinfo.value
        broken = _internal_error_in(error)
        if broken is not None:  # the suite's own bug: the run cannot be judged, never blamed on the target
            result.outcome, result.reason = "error", f"internal error of the suite: {broken}"
            return result
        found = _violations_in(error)
        if found:
            result.violations = found
        elif _only_skips(error):  # hypothesis wrapped an inconclusive example (FlakyFailure): undecided
            result.outcome, result.reason = "skipped", "inconclusive: the target answered the same example differently"
            return result
        else:  # the check itself broke: the suite's error, never the target's failure
            text = f"{type(error).__name__}: {str(error).strip().splitlines()[0] if str(error).strip() else ''}"
            redact = state.http.redact if state.http else str
            result.outcome, result.reason = "error", f"the check broke (a bug of the suite): {redact(text)}"
            result.traceback = redact("".join(traceback.format_exception(error)))
            return result
        # Only hypothesis' own lines: its notes can embed a Python traceback, which is noise here.
        # A generated schemathesis case prints as nothing ("case=,"): its request is the evidence already.
        notes = [n for n in getattr(error, "__notes__", None) or []
                 if n.startswith(("Falsifying example", "You can reproduce", "Failing test case"))
                 and not re.search(r"\w=,", n)]
        replay = f"Replay: run again with --seed {state.settings.seed} and the same spec and profile."
        if notes:
            result.replay = "\n".join(notes) + "\n" + replay
        elif job is not None and job.drew:  # its examples were drawn from the run's seed: the same again
            result.replay = f"The failing examples were drawn from the run's seed (at any --concurrency). {replay}"
    return result


def _unsent_of(item: pytest.Item, job: JobOutcome | None) -> tuple[Stop, str] | None:
    """Whether requests of this check were refused (budget, breaker, halt), with the kind and reason."""
    if job is not None:
        if job.refused and job.stopped is not None:
            return job.stopped, job.stopped_reason or "requests were not sent"
        return None
    counting = item.stash.get(TALLY, None)
    if counting is not None and counting[1].refused and counting[1].stop_kind is not None:
        return counting[1].stop_kind, counting[1].stopped or "requests were not sent"
    return None


def _violations_in(error: BaseException) -> list[Violation]:
    """Violations carried by the error, also inside an exception group (hypothesis' FlakyFailure
    wraps the violation of an example that failed once, as against a server failing at random)."""
    if isinstance(error, ConformanceFailure):
        return error.violations
    if isinstance(error, BaseExceptionGroup):
        return [v for inner in error.exceptions for v in _violations_in(inner)]
    return []


def _internal_error_in(error: BaseException) -> str | None:
    if isinstance(error, UnknownRequirement):
        return str(error)
    if isinstance(error, BaseExceptionGroup):
        return next((found for inner in error.exceptions if (found := _internal_error_in(inner))), None)
    return _internal_error_in(error.__cause__) if error.__cause__ is not None else None


def _only_skips(error: BaseException) -> bool:
    if isinstance(error, BaseExceptionGroup):
        return all(_only_skips(inner) for inner in error.exceptions)
    return isinstance(error, pytest.skip.Exception)


def _render_failure(result: CheckResult) -> list[str]:
    lines = [result.name]
    lines += [line for v in result.violations for line in ConformanceFailure([v]).render().splitlines()]
    if result.replay:
        lines += ["", result.replay]
    return lines
