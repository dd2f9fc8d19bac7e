"""The conversation lifecycle as a stateful property: random sequences of creates (blocking and
streaming), messages, renames, deletes, pages with cursors from earlier pages, and walks, for users
with ASCII, non-ASCII and special-character ids, each answer checked against a model of the run's
own conversations; a failure is shrunk to the shortest story that shows it."""

from __future__ import annotations

import pytest

from conformance.config.profiles import Profile
from conformance.data.clock import SecondClock
from conformance.data.dataset import NotInThisRun, TestUsers
from conformance.data.writes import Writes
from conformance.http.api import ServiceApi
from conformance.run.checks import run_property
from conformance.run.runstate import RunState
from conformance.spec.contract import Contract
from conformance.suite.lifecycle.machine import LifecycleContext, run_lifecycle


def test_the_conversation_lifecycle_matches_the_model(api: ServiceApi, contract: Contract, run_state: RunState,
                                                      users: TestUsers, profile: Profile,
                                                      writes: Writes | NotInThisRun) -> None:
    """Creates, messages, renames, deletes, pages and walks in random order match a model of the conversations"""
    if isinstance(writes, NotInThisRun):
        pytest.skip(writes.reason)
    context = LifecycleContext(api=api, contract=contract, writes=writes, users=users,
                               seed=run_state.settings.seed, clock=SecondClock(stop=run_state.interrupt))
    try:
        run_property(lambda: run_lifecycle(context, examples=profile.lifecycle_examples,
                                           steps=profile.lifecycle_steps, runs=profile.lifecycle_runs))
    finally:
        if run_state.log is not None:
            run_state.log.note("lifecycle", {
                "examples": context.examples, "steps": context.steps, "budget_spent": context.budget_spent,
                "waited_for_seconds_s": round(context.clock.waited_s, 2), "waits": context.clock.waits})
