"""The pytest plugin of the suite: its hooks, each handing its work to the module that owns it.

Loaded by ``conformance/conftest.py`` whenever the suite is collected (``pytest conformance`` or
``dify-conformance run``), or by ``pytest -p conformance.run.plugin`` for checks of one's own; inert
elsewhere. Every hook pytest must find is defined here (pytest looks them up by name on this module):

- ``startup``: the settings, the ``RunState`` in ``config.stash``, the target (``pytest_configure``);
- ``collection``: the registry's requirements marked on each check, the order, the jobs queued;
- here: the executor of this process, a check of one's own held to the run's limits, an interrupt;
- ``attribution``: pytest's report of a check turned into a ``CheckResult`` (``pytest_runtest_makereport``);
- ``closing``: data deleted, evidence noted, the verdict and exit status, the terminal block.
"""

from __future__ import annotations

import gc
from typing import Any

import pytest

from ..config.options import add_options
from ..http.api import JOB_HALT
from .attribution import JOB, STOPPED, TALLY, attribute
from .closing import close_process, finish_session, show_verdict
from .collection import job_of, mark_and_order, params_of, requirements_of, start_jobs
from .executor import Executor
from .runstate import STATE
from .startup import start_run

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

_EXECUTOR = pytest.StashKey[Executor]()  # the executor of this process (processes that run checks)
_FROZEN = pytest.StashKey[bool]()  # this run froze the objects alive after collection (gc.freeze)
INTERRUPTED_REASON = "dify-conformance: interrupted; the run deletes its test data and writes its reports"


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser.getgroup("dify-conformance", "dify-conformance: the target and the run").addoption)


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    config.add_cleanup(lambda: _unfreeze(config))  # first in, so last out: after pytest's own final collections
    config.addinivalue_line("markers", "requirement(*ids): the catalogue requirements a check serves")
    start_run(config)


def _runs_checks(config: pytest.Config) -> bool:
    """Without xdist the controller runs the checks; with it (-n N) only the workers do."""
    return hasattr(config, "workerinput") or not config.pluginmanager.hasplugin("dsession")


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
    mark_and_order(items)


def pytest_collection_finish(session: pytest.Session) -> None:
    # What is alive now (modules, the spec, pytest's and hypothesis' tables) lives for the whole run: the
    # garbage collector need not walk it again at every full collection. Given back at the very end.
    if gc.get_freeze_count() == 0:  # no one else's frozen objects to thaw with ours
        gc.freeze()
        session.config.stash[_FROZEN] = True
    start_jobs(session, session.config.stash.get(_EXECUTOR, None))


def _unfreeze(config: pytest.Config) -> None:
    if config.stash.get(_FROZEN, False):
        gc.unfreeze()


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Checks of one's own (not the suite's, which the executor runs) are held to the run's limits here."""
    if job_of(item) is not None:
        return
    state = item.config.stash[STATE]
    executor = item.config.stash.get(_EXECUTOR, None)
    if executor is not None:  # the same limits the executor holds its jobs to
        stopped, why = executor.why_not_start(requirements_of(item))
        if why is not None:
            item.stash[STOPPED] = stopped
            pytest.skip(why)
        JOB_HALT.set(executor.halted)
    if state.http is not None:  # opened here, in the main thread's context where pytest calls the check
        counting = state.http.tally()
        item.stash[TALLY] = (counting, counting.__enter__())


def pytest_runtest_teardown(item: pytest.Item) -> None:
    counting = item.stash.get(TALLY, None)
    if counting is not None:
        counting[0].__exit__(None, None, None)


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """A suite check: wait for its job and raise what it raised (pytest then reports it as usual)."""
    executor = pyfuncitem.config.stash.get(_EXECUTOR, None)
    if executor is None or job_of(pyfuncitem) is None:
        return None  # a check of one's own: pytest calls it (its requests counted in its tally, see setup)
    outcome = executor.outcome(pyfuncitem.nodeid, pyfuncitem.obj, params_of(pyfuncitem),
                               requirements_of(pyfuncitem))
    pyfuncitem.stash[JOB] = outcome
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


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    attribute(item, call, report)
    return report


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    state = session.config.stash.get(STATE, None)
    if state is None:
        return
    finish_session(session, state, session.config.stash.get(_EXECUTOR, None),
                   runs_checks=_runs_checks(session.config), exitstatus=exitstatus)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    state = config.stash.get(STATE, None)
    if state is None:
        return
    if state.is_controller:
        show_verdict(config, state)
    close_process(state)
