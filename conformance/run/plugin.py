"""The pytest plugin of the suite: options, run state, requirement attribution, reports, exit status.

Loaded by ``conformance/conftest.py`` whenever the suite is collected (``pytest conformance`` or
``dify-conformance run``); inert elsewhere. Options are registered in one group; the target is
resolved and checked once, by the controller, before any test runs.
"""

from __future__ import annotations

import gc
import re
import traceback
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import hypothesis
import pytest

from ..config.options import RUN_OPTIONS, add_options
from ..config.settings import build_settings, settings_from_wire, settings_to_wire
from ..config.waivers import load_waivers
from ..data.dataset import TestUsers
from ..errors import EXIT_USAGE, ConformanceError, TargetUnusable, UsageError
from ..http.api import JOB_HALT
from ..http.limits import Tally
from ..model.results import CheckResult, Stop, Violation
from ..oracles.schema import ResponseValidator
from ..spec.catalogue import UnknownRequirement, is_known
from ..spec.contract import load_contract
from ..spec.registry import Check, check_named
from .checks import ConformanceFailure, InconclusiveSkip, settle_unsent
from .executor import Executor, JobOutcome
from .runstate import STATE, RunInputs, RunState, Target, new_run_id, resolve_target

__all__ = [
    "pytest_addoption",
    "pytest_configure",
    "pytest_sessionstart",
    "pytest_collection_modifyitems",
    "pytest_collection_finish",
    "pytest_runtest_setup",
    "pytest_pyfunc_call",
    "pytest_runtest_teardown",
    "pytest_runtest_protocol",
    "pytest_runtest_makereport",
    "pytest_sessionfinish",
    "pytest_unconfigure",
]

_JOB = pytest.StashKey[JobOutcome]()  # what the executor's job of a suite check came to
_TALLY = pytest.StashKey[tuple[AbstractContextManager[Tally], Tally]]()  # the sends of a check of one's own
_EXECUTOR = pytest.StashKey[Executor]()  # the executor of this process (processes that run checks)
_STOPPED = pytest.StashKey[Stop | None]()  # what kept a check from running (typed, never read from reasons)
_FROZEN = pytest.StashKey[bool]()  # this run froze the objects alive after collection (gc.freeze)
_PACKAGE_DIR = Path(__file__).parent.parent  # conformance/: what `pytest conformance` collects
_SUITE_DIR = _PACKAGE_DIR / "suite"
# Checks that need no test data run first, while the data is made in the background (the lifecycle
# machine makes its own users' data, and its waits for new seconds overlap the seeding's).
_MODULE_ORDER = ("test_generated", "test_auth", "test_rejections", "test_lifecycle", "test_app", "test_user",
                 "test_limit", "test_sort", "test_page", "test_schema", "test_stable", "test_data")


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser.getgroup("dify-conformance", "dify-conformance: the target and the run").addoption)


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    config.add_cleanup(lambda: _unfreeze(config))  # first in, so last out: after pytest's own final collections
    config.addinivalue_line("markers", "requirement(*ids): the catalogue requirements a check serves")
    workerinput = getattr(config, "workerinput", None)
    inputs = next((p for p in config.pluginmanager.get_plugins() if isinstance(p, RunInputs)), None)
    try:
        if inputs is not None:  # dify-conformance run settled these before pytest started
            settings, contract, waivers = inputs.settings, inputs.contract, inputs.waivers
        else:
            if workerinput is not None:  # the controller's settings, sent once: options are not parsed again
                settings = settings_from_wire(workerinput["dify_settings"], workerinput.get("dify_api_key"),
                                              workerinput.get("dify_other_api_key"))
            else:
                settings = build_settings({o.name: config.getoption(o.name) for o in RUN_OPTIONS})
            contract = load_contract(settings.spec_path)
            waivers = load_waivers(settings.waivers_path) if settings.waivers_path else []
    except ConformanceError as exc:
        pytest.exit(f"dify-conformance: {exc}", returncode=EXIT_USAGE)
    if workerinput is not None:
        run_id = workerinput["dify_run_id"]
        started_at = datetime.fromisoformat(workerinput["dify_started_at"])
        target: Target | None = Target(workerinput["dify_base_url"], workerinput.get("dify_api_key"),
                                       other_api_key=workerinput.get("dify_other_api_key"))
        evidence_dir = Path(workerinput["dify_evidence_dir"])
        worker = workerinput["workerid"]
    else:
        run_id, started_at = (inputs.run_id, inputs.started_at) if inputs else (new_run_id(), datetime.now(UTC))
        evidence_dir = settings.report_dir / f".evidence-{run_id}"
        worker, target = "", inputs.target if inputs else None
    # --hypothesis-seed of hypothesis' own plugin, read after this (tryfirst) hook.
    config.option.hypothesis_seed = settings.seed
    _register_hypothesis_profile(settings.profile)
    users = TestUsers.read_only(settings.user) if settings.read_only and settings.user else TestUsers.for_run(
        run_id, worker)
    state = RunState(
        settings=settings, contract=contract, waivers=waivers, run_id=run_id, worker=worker,
        is_controller=workerinput is None, started_at=started_at,
        deadline=started_at.timestamp() + settings.time_budget_s, evidence_dir=evidence_dir,
        target=target or Target("", None), validator=ResponseValidator(contract), users=users,
    )
    config.stash[STATE] = state
    state.selection = _selection(config)
    if inputs is not None:
        state.interrupt = inputs.interrupt
        state.baseline = inputs.baseline
        state.earlier_runs = inputs.earlier_runs
    if workerinput is None:
        if config.pluginmanager.hasplugin("xdist"):  # its hooks exist only where it is installed
            config.pluginmanager.register(_XdistController(state), "dify-conformance-xdist")
        from .progress import Progress  # which group runs, requests so far: on the terminal of the controller

        config.pluginmanager.register(Progress(state.evidence_dir), "dify-conformance-progress")
        if target is None:
            _resolve_target(config, state)
        state.preflight_requests = len(state.target.preflight)
    else:
        state.preflight_requests = workerinput.get("dify_preflight_requests", 0)


def _register_hypothesis_profile(profile: Any) -> None:
    hypothesis.settings.register_profile(
        f"dify-conformance-{profile.name}",
        max_examples=profile.examples,
        derandomize=profile.derandomize,
        deadline=None,
        database=None,  # reproducible from --seed alone, and nothing written to the user's directory
        print_blob=True,
        suppress_health_check=list(hypothesis.HealthCheck),
        # No "explain" phase: it re-runs failing examples, each a series of requests, to annotate them.
        phases=[hypothesis.Phase.explicit, hypothesis.Phase.reuse, hypothesis.Phase.generate, hypothesis.Phase.target,
                hypothesis.Phase.shrink],
    )
    hypothesis.settings.load_profile(f"dify-conformance-{profile.name}")


def _selection(config: pytest.Config) -> str | None:
    """How the user narrowed the checks, if they did: such a run certifies nothing (CONTRACT.md)."""
    option = config.option
    used = [f"-k {option.keyword!r}" if getattr(option, "keyword", "") else "",
            f"-m {option.markexpr!r}" if getattr(option, "markexpr", "") else "",
            "--deselect" if getattr(option, "deselect", None) else "",
            "-x/--maxfail" if getattr(option, "maxfail", 0) else ""]
    suite = _PACKAGE_DIR.resolve()
    narrowed = [a for a in config.args if Path(a.split("::", 1)[0]).resolve() != suite]
    if narrowed:
        used.append(f"only {' '.join(narrowed)}")
    return ", ".join(u for u in used if u) or None


def _resolve_target(config: pytest.Config, state: RunState) -> None:
    """``pytest conformance`` (the CLI does this itself, before pytest): start the reference server if
    no URL was given, then preflight the target; an unusable one ends the run with exit 3 and reports."""
    from .finish import clear_reports, write_error_reports
    from .recovery import finish_killed_runs

    try:
        state.earlier_runs = finish_killed_runs(state.settings).note()  # first (CONTRACT.md, Test data)
        clear_reports(state.settings.report_dir)
        probe = state.users.probes[0] if state.users.probes else state.users.main
        state.target = resolve_target(state.settings, state.contract, probe)
    except (TargetUnusable, UsageError) as exc:
        write_error_reports(state.settings, state.contract, state.waivers, run_id=state.run_id,
                            started_at=state.started_at, reason=str(exc))
        pytest.exit(f"dify-conformance: {exc}", returncode=exc.exit_status)
    except OSError as exc:  # e.g. the report directory cannot be written
        pytest.exit(f"dify-conformance: {exc}", returncode=EXIT_USAGE)


class _XdistController:
    """Registered only when pytest-xdist is loaded: its hook is unknown to pytest otherwise."""

    def __init__(self, state: RunState) -> None:
        self.state = state

    def pytest_configure_node(self, node: Any) -> None:
        """Every worker tests the same target, with its own users and data."""
        state = self.state
        node.workerinput.update(
            dify_settings=settings_to_wire(state.settings),
            dify_run_id=state.run_id,
            dify_preflight_requests=state.preflight_requests,
            dify_started_at=state.started_at.isoformat(),
            dify_base_url=state.target.base_url,
            dify_api_key=state.target.api_key,
            dify_other_api_key=state.target.other_api_key,
            dify_evidence_dir=str(state.evidence_dir),
        )


def _runs_checks(config: pytest.Config) -> bool:
    """Without xdist the controller runs the checks; with it (-n N) only the workers do."""
    return hasattr(config, "workerinput") or not _distributed(config)


def _distributed(config: pytest.Config) -> bool:
    return config.pluginmanager.hasplugin("dsession")


def pytest_sessionstart(session: pytest.Session) -> None:
    state = session.config.stash[STATE]
    if state.is_controller:
        state.record_preflight()
    if not _runs_checks(session.config):
        return
    if state.http is None:
        state.open_client()
    session.config.stash[_EXECUTOR] = Executor(state, state.settings.concurrency)
    state.start_seeding()


@pytest.hookimpl(tryfirst=True)  # before -k selects: it matches the requirement ids too (-k PAGE, -k USER-02)
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    problems = []
    suite = _SUITE_DIR
    for item in items:
        registered = check_named(item.path.stem, getattr(item, "originalname", item.name))
        if registered is not None:  # the suite's checks: their requirements come from the registry
            item.add_marker(pytest.mark.requirement(*registered.serves))
        elif item.path.parent == suite:
            problems.append(f"{item.nodeid}: not in conformance/spec/registry.py")
        ids = _requirements_of(item)
        if not ids:  # a check of one's own (pytest -p conformance.run.plugin) names them with the marker
            problems.append(f"{item.nodeid}: no requirement (register it, or mark it @pytest.mark.requirement)")
        problems += [f"{item.nodeid}: unknown requirement {i!r}" for i in ids if not is_known(i)]
        item.extra_keyword_matches.update(ids)
    if problems:
        raise pytest.UsageError("suite checks without a valid requirement:\n  " + "\n  ".join(problems))

    def order(item: pytest.Item) -> int:
        name = item.path.stem
        return _MODULE_ORDER.index(name) if name in _MODULE_ORDER else len(_MODULE_ORDER)

    items.sort(key=order)


def pytest_collection_finish(session: pytest.Session) -> None:
    # What is alive now (modules, the spec, pytest's and hypothesis' tables) lives for the whole run: the
    # garbage collector need not walk it again at every full collection. Given back at the very end.
    if gc.get_freeze_count() == 0:  # no one else's frozen objects to thaw with ours
        gc.freeze()
        session.config.stash[_FROZEN] = True
    _start_jobs(session)


def _unfreeze(config: pytest.Config) -> None:
    if config.stash.get(_FROZEN, False):
        gc.unfreeze()


def _requirements_of(item: pytest.Item) -> tuple[str, ...]:
    return tuple(i for mark in item.iter_markers("requirement") for i in mark.args)


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Checks of one's own (not the suite's, which the executor runs) are held to the run's limits here."""
    if _job_of(item) is not None:
        return
    state = item.config.stash[STATE]
    executor = item.config.stash.get(_EXECUTOR, None)
    if executor is not None:  # the same limits the executor holds its jobs to
        stopped, why = executor.why_not_start(_requirements_of(item))
        if why is not None:
            item.stash[_STOPPED] = stopped
            pytest.skip(why)
        JOB_HALT.set(executor.halted)
    if state.http is not None:  # opened here, in the main thread's context where pytest calls the check
        counting = state.http.tally()
        item.stash[_TALLY] = (counting, counting.__enter__())


def pytest_runtest_teardown(item: pytest.Item) -> None:
    counting = item.stash.get(_TALLY, None)
    if counting is not None:
        counting[0].__exit__(None, None, None)


def _job_of(item: pytest.Item) -> Check | None:
    """The registry's entry for a suite check (the executor runs those), None for a check of one's own."""
    if not isinstance(item, pytest.Function):
        return None
    return check_named(item.path.stem, item.originalname)


def _params_of(item: pytest.Item) -> dict[str, Any]:
    callspec = getattr(item, "callspec", None)
    return dict(callspec.params) if callspec is not None else {}


def _start_jobs(session: pytest.Session) -> None:
    """Every selected suite check is queued at once, in the suite's order: while pytest reports one,
    the next ones already run. Under xdist a worker does not know its share in advance: each check is
    started when the worker reaches it."""
    executor = session.config.stash.get(_EXECUTOR, None)
    if executor is None or hasattr(session.config, "workerinput"):
        return
    for item in session.items:
        if isinstance(item, pytest.Function) and _job_of(item) is not None:
            executor.start(item.nodeid, item.obj, _params_of(item), _requirements_of(item))


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """A suite check: wait for its job and raise what it raised (pytest then reports it as usual)."""
    executor = pyfuncitem.config.stash.get(_EXECUTOR, None)
    if executor is None or _job_of(pyfuncitem) is None:
        return None  # a check of one's own: pytest calls it (its requests counted in its tally, see setup)
    outcome = executor.outcome(pyfuncitem.nodeid, pyfuncitem.obj, _params_of(pyfuncitem),
                               _requirements_of(pyfuncitem))
    pyfuncitem.stash[_JOB] = outcome
    if outcome.error is not None:
        raise outcome.error
    return True


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Any:
    """Ctrl-C or SIGTERM during a check: stop the session after it, as pytest's ``shouldstop`` does,
    so the run still cleans up and reports, and the terminal shows one line instead of a traceback."""
    state = item.config.stash[STATE]
    try:
        result = yield
    except KeyboardInterrupt:
        state.interrupt.set()
        result = True
    if state.interrupt.is_set():  # also when the KeyboardInterrupt itself was swallowed somewhere
        state.interrupted = True
        item.session.shouldstop = INTERRUPTED_REASON
    return result


INTERRUPTED_REASON = "dify-conformance: interrupted; the run deletes its test data and writes its reports"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if call.when == "call" or (call.when == "setup" and report.outcome != "passed"):
        state = item.config.stash[STATE]
        result = _check_result(item, call, report, state)
        state.record_check(result)
        if result.outcome == "failed" and state.http is not None:
            text = "\n".join(_render_failure(result))
            report.longrepr = state.http.redact(text)
        elif result.outcome == "skipped" and not report.skipped:  # undecided, not failed: say so to pytest too
            report.outcome = "skipped"
            report.longrepr = (str(item.path), item.location[1] or 0, f"Skipped: {result.reason}")
    return report


def _check_result(item: pytest.Item, call: pytest.CallInfo[None], report: pytest.TestReport,
                  state: RunState) -> CheckResult:
    ids = _requirements_of(item)
    doc = (getattr(item, "function", None).__doc__ or item.name).strip().splitlines()[0]
    params = f" [{item.callspec.id}]" if hasattr(item, "callspec") else ""
    job = item.stash.get(_JOB, None)
    result = CheckResult(check_id=item.nodeid, name=f"{' '.join(ids)} {doc}{params}", requirements=ids,
                         outcome=report.outcome, duration_s=job.duration_s if job else round(report.duration, 3),
                         stopped=item.stash.get(_STOPPED, None))
    if job is not None and job.stopped is not None and not job.refused:  # not started: the run's limit said so
        result.stopped = job.stopped
    counting = item.stash.get(_TALLY, None)
    result.requests = job.sent if job is not None else counting[1].sent if counting is not None else 0
    unsent = _unsent_of(item, job, state)
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


def _unsent_of(item: pytest.Item, job: JobOutcome | None, state: RunState) -> tuple[Stop, str] | None:
    """Whether requests of this check were refused (budget, breaker, halt), with the kind and reason."""
    if job is not None:
        if job.refused and job.stopped is not None:
            return job.stopped, job.stopped_reason or "requests were not sent"
        return None
    counting = item.stash.get(_TALLY, None)
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


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    from .finish import finish_run

    state = session.config.stash.get(STATE, None)
    if state is None:
        return
    if _runs_checks(session.config):
        executor = session.config.stash.get(_EXECUTOR, None)
        if executor is not None:  # checks not reached (-x, an interrupt) are dropped, running ones halted
            executor.shutdown()
        cleanup_failures = state.finish_data()
        seeding_error = state.seeding_error()
        if state.log is not None:
            if cleanup_failures:
                state.log.note("cleanup_failed", {"failures": cleanup_failures,
                                                  "retryable": state.leftovers_retryable})
            if seeding_error and "interrupted" not in seeding_error:
                state.log.note("seeding_failed", {"reason": seeding_error,  # typed: what stopped it, if the run did
                                                 "stopped": state.http.stop_kind if state.http else None})
            if state.http is not None and state.http.throttled:
                state.log.note("throttled", {"responses_429": state.http.throttled,
                                             "waited_s": round(state.http.throttle_wait_s, 2)})
            if state.http is not None and state.http.breaker.reason:
                state.log.note("target_stopped", {"reason": state.http.breaker.reason})
            if state.seeder is not None:
                state.log.note("seeding", {"waited_for_seconds_s": round(state.seeder.waited_s, 2)})
            if state.seeding is not None and state.seeding.done() and state.seeding.exception() is None:
                state.log.note("data", {"facts": state.seeding.result().notes})
            if not state.settings.read_only:  # what the run made, from its own ledger (every user, every check)
                state.log.note("data", {"conversations_made": state.ledger.made})
            state.log.close()
    if state.is_controller:
        interrupted = exitstatus == pytest.ExitCode.INTERRUPTED
        session.exitstatus = finish_run(state, interrupted=interrupted, pytest_status=int(exitstatus))
        state.drop_journal(retryable=bool(state.notes.get("cleanup_failed", {}).get("retryable")))
        state.target.close()


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    from .finish import terminal_lines

    state = config.stash.get(STATE, None)
    if state is None:
        return
    if state.is_controller:  # the verdict is the last thing on the terminal, after pytest's own tail
        terminal = config.pluginmanager.get_plugin("terminalreporter")
        lines = terminal_lines(state)
        if terminal is not None and lines:
            terminal.write_sep("=")
            for line in lines:
                terminal.write_line(line)
    state.target.close()
    if state.http is not None:
        state.http.close()
    if state.other_http is not None:
        state.other_http.close()
    if state.log is not None:
        state.log.close()
