"""The end of a run in one pytest process: its facts noted, the verdict and exit status, the terminal.

Owns what ``pytest_sessionfinish`` and ``pytest_unconfigure`` do: a process that ran checks stops
its executor, deletes its test data and notes in its evidence what the run met (clean-up or seeding
failures, 429s, a stopped target, what data was made); the controller then has ``finish.finish_run``
judge the run and write the reports (its return value is the exit status), and shows the verdict
block last on the terminal. Every client, log and the bundled server are closed here.
"""

from __future__ import annotations

import pytest

from .executor import Executor
from .runstate import RunState

__all__ = ["close_process", "finish_session", "show_verdict"]


def finish_session(session: pytest.Session, state: RunState, executor: Executor | None, *, runs_checks: bool,
                   exitstatus: int) -> None:
    """The session's end: this process' data and evidence settled; on the controller, the verdict as
    ``session.exitstatus``."""
    from .finish import finish_run  # the reports' writers load at the end, not with the plugin

    if runs_checks:
        if executor is not None:  # checks not reached (-x, an interrupt) are dropped, running ones halted
            executor.shutdown()
        _settle_data_and_notes(state)
    if state.is_controller:
        interrupted = exitstatus == pytest.ExitCode.INTERRUPTED
        session.exitstatus = finish_run(state, interrupted=interrupted, pytest_status=int(exitstatus))
        state.drop_journal(retryable=bool(state.notes.get("cleanup_failed", {}).get("retryable")))
        state.target.close()


def _settle_data_and_notes(state: RunState) -> None:
    cleanup_failures = state.finish_data()
    seeding_error = state.seeding_error()
    if state.log is None:
        return
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


def show_verdict(config: pytest.Config, state: RunState) -> None:
    """The verdict is the last thing on the terminal, after pytest's own tail (controller only)."""
    from .finish import terminal_lines

    terminal = config.pluginmanager.get_plugin("terminalreporter")
    lines = terminal_lines(state)
    if terminal is not None and lines:
        terminal.write_sep("=")
        for line in lines:
            terminal.write_line(line)


def close_process(state: RunState) -> None:
    state.target.close()
    if state.http is not None:
        state.http.close()
    if state.other_http is not None:
        state.other_http.close()
    if state.log is not None:
        state.log.close()
