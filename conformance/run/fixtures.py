"""The fixtures checks use; each reads the run state, nothing is global."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from ..config.profiles import Profile
from ..data.dataset import Dataset, TestUsers
from ..data.writes import NotInThisRun, Writes
from ..http.api import ServiceApi
from ..oracles.schema import ResponseValidator
from ..spec.contract import Contract
from .runstate import RunState, state_of

if TYPE_CHECKING:
    from .executor import Probes

__all__ = ["run_state", "contract", "profile", "api", "users", "dataset", "writes", "validator", "operation",
           "probes"]


def _state(request: pytest.FixtureRequest) -> RunState:
    return state_of(request.config)


@pytest.fixture(scope="session")
def run_state(request: pytest.FixtureRequest) -> RunState:
    return _state(request)


@pytest.fixture(scope="session")
def contract(run_state: RunState) -> Contract:
    return run_state.contract


@pytest.fixture(scope="session")
def profile(run_state: RunState) -> Profile:
    return run_state.settings.profile


@pytest.fixture(scope="session")
def api(run_state: RunState) -> ServiceApi:
    assert run_state.api is not None, "the HTTP client is opened at session start"
    return run_state.api


@pytest.fixture(scope="session")
def users(run_state: RunState) -> TestUsers:
    return run_state.users


@pytest.fixture(scope="session")
def validator(run_state: RunState) -> ResponseValidator:
    return run_state.validator


@pytest.fixture(scope="session")
def dataset(run_state: RunState) -> Dataset:
    """The run's conversations (waits for the background seeding); skips its checks if it failed."""
    from .executor import PROVIDERS

    found: Dataset = PROVIDERS["dataset"](run_state)  # the executor's own rule, for checks of one's own
    return found


@pytest.fixture(scope="session")
def writes(run_state: RunState) -> Writes | NotInThisRun:
    """The run's writes, or (read-only) why there are none: a check that needs them skips with that reason."""
    from .executor import PROVIDERS

    found: Writes | NotInThisRun = PROVIDERS["writes"](run_state)
    return found


@pytest.fixture(scope="session")
def operation(run_state: RunState) -> Any:
    """The operation under test as schemathesis reads it (generated requests)."""
    from .executor import PROVIDERS

    return PROVIDERS["operation"](run_state)


@pytest.fixture
def probes() -> Probes:
    """A check's probes (the executor hands the suite's checks their own; this serves checks of one's own,
    which then end with ``probes.finish()``)."""
    from .executor import Probes

    return Probes()
