"""How a check says what it found: raise :class:`ConformanceFailure` with the violations.

The pytest plugin reads the violations off the exception, so a failure is attributed to the
requirement each violation names, not merely to the test that saw it.
"""

from __future__ import annotations

import ast
import contextlib
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any, NoReturn

import pytest

from ..model.results import CheckResult, Violation
from ..oracles import Inconclusive
from ..spec.catalogue import Req

__all__ = ["ConformanceFailure", "expect", "inconclusive", "run_property", "settle_unsent", "serialise_ast_parsing"]


class ConformanceFailure(AssertionError):
    """The target deviated from the catalogue; ``violations`` carry ids and evidence."""

    def __init__(self, violations: Iterable[Violation]) -> None:
        self.violations = list(violations)
        super().__init__(self.render())

    def render(self) -> str:
        lines = []
        for v in self.violations:
            lines.append(f"[{v.requirement}] {v.message}")
            if v.request:
                lines.append(f"    request: {v.request}")
            if v.status_code is not None:
                lines.append(f"    status:  {v.status_code}")
            if v.body_excerpt:
                lines.append(f"    body:    {v.body_excerpt[:300]}")
        return "\n".join(lines)


def expect(violations: Iterable[Violation]) -> None:
    """Fail the check with these violations, if there are any."""
    found = list(violations)
    if found:
        raise ConformanceFailure(found)


class InconclusiveSkip(pytest.skip.Exception):  # type: ignore[misc,name-defined]
    """The skip of an inconclusive check, carrying the requirements that own its cause (typed, for the plugin)."""

    def __init__(self, reason: str, owners: tuple[str, ...]) -> None:
        super().__init__(reason)
        self.owners = owners


def inconclusive(reason: str | Inconclusive, owner: Req | tuple[Req, ...] | None = None) -> NoReturn:
    """End the check as skipped: the evidence cannot decide it (``owner``, or the Inconclusive's, owns the cause)."""
    if owner is not None:
        owners: tuple[str, ...] = (owner,) if isinstance(owner, Req) else owner
    else:
        owners = reason.owners if isinstance(reason, Inconclusive) else ()
    raise InconclusiveSkip(f"inconclusive: {reason}", owners)


# CPython 3.11's ast module counts recursion per interpreter, not per thread: two threads turning
# source into ast objects at once can fail with "SystemError: AST constructor recursion depth
# mismatch". Hypothesis does that to describe the lambdas of strategies, from whichever thread
# draws; the suite's checks draw in several threads, so ast.parse takes a lock in this process.
_AST_LOCK = threading.RLock()
_unlocked_parse = ast.parse


def _parse_one_at_a_time(*args: Any, **kwargs: Any) -> Any:
    with _AST_LOCK:
        return _unlocked_parse(*args, **kwargs)


def serialise_ast_parsing() -> None:
    """Install the lock (idempotent): called by the plugin when the suite runs, never at import."""
    if ast.parse is not _parse_one_at_a_time:
        ast.parse = _parse_one_at_a_time


def run_property(test: Callable[[], None]) -> None:
    """Run a @given test; when no example could be decided, the check is inconclusive (skipped)."""
    import hypothesis.errors

    try:
        with _printed_examples():
            test()
    except hypothesis.errors.Unsatisfiable:
        inconclusive("no example could be decided: the responses were server errors or unusable (see ROBUST-01)")


_PRINTER = "RepresentationPrinter"


@contextlib.contextmanager
def _printed_examples() -> Iterator[None]:
    """Hypothesis' own printer for the failing example, so that its values are shown.

    Schemathesis (loaded as a pytest plugin) swaps in a printer that prints nothing, which leaves
    "walk(sort_by=, limit=,)" in the notes; printing happens once per failing example only.
    """
    from hypothesis import core
    from hypothesis.vendor import pretty

    # hypothesis.core does not export the name, so it is swapped by name.
    swapped = getattr(core, _PRINTER)
    setattr(core, _PRINTER, pretty.RepresentationPrinter)
    try:
        yield
    finally:
        setattr(core, _PRINTER, swapped)


def settle_unsent(result: CheckResult, call: pytest.CallInfo[None], stopped: str) -> bool:
    """A check some of whose requests were never sent (``stopped`` says why: the request budget was spent,
    the target stopped answering) was not judged: skipped with that reason, unless it already found
    violations, which stand. True when the result was settled here."""
    error = call.excinfo.value if call.excinfo is not None else None
    if error is not None and _carries_violations(error):
        return False
    result.outcome, result.reason = "skipped", f"{stopped} while this check ran"
    result.violations = []
    return True


def _carries_violations(error: BaseException) -> bool:
    if isinstance(error, ConformanceFailure):
        return bool(error.violations)
    if isinstance(error, BaseExceptionGroup):
        return any(_carries_violations(inner) for inner in error.exceptions)
    return False
