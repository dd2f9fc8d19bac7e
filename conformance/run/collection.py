"""Which checks run, what each serves, in which order, and their jobs queued.

Owns the collection: every suite check is marked with the requirements the registry
(``spec/registry.py``) gives it, a check of one's own must name them with
``@pytest.mark.requirement``, an unknown id or an unregistered suite check stops the run before it
starts; the checks that need no test data run first. Also how a collected item is read later: its
requirements, its registry entry (a suite check, run by the executor), its parameters.
"""

from __future__ import annotations

from typing import Any

import pytest

from ..spec.catalogue import is_known
from ..spec.registry import Check, check_named
from .executor import Executor
from .startup import PACKAGE_DIR

__all__ = ["MODULE_ORDER", "job_of", "mark_and_order", "params_of", "requirements_of", "start_jobs"]

_SUITE_DIR = PACKAGE_DIR / "suite"
# Checks that need no test data run first, while the data is made in the background (the lifecycle
# machine makes its own users' data, and its waits for new seconds overlap the seeding's).
MODULE_ORDER = ("test_generated", "test_auth", "test_rejections", "test_lifecycle", "test_app", "test_user",
                "test_limit", "test_sort", "test_page", "test_schema", "test_stable", "test_data")


def mark_and_order(items: list[pytest.Item]) -> None:
    """Mark every item with its requirements (also as -k keywords), then sort them in the suite's order."""
    problems = []
    for item in items:
        registered = check_named(item.path.stem, getattr(item, "originalname", item.name))
        if registered is not None:  # the suite's checks: their requirements come from the registry
            item.add_marker(pytest.mark.requirement(*registered.serves))
        elif item.path.parent == _SUITE_DIR:
            problems.append(f"{item.nodeid}: not in conformance/spec/registry.py")
        ids = requirements_of(item)
        if not ids:  # a check of one's own (pytest -p conformance.run.plugin) names them with the marker
            problems.append(f"{item.nodeid}: no requirement (register it, or mark it @pytest.mark.requirement)")
        problems += [f"{item.nodeid}: unknown requirement {i!r}" for i in ids if not is_known(i)]
        item.extra_keyword_matches.update(ids)
    if problems:
        raise pytest.UsageError("suite checks without a valid requirement:\n  " + "\n  ".join(problems))

    def order(item: pytest.Item) -> int:
        name = item.path.stem
        return MODULE_ORDER.index(name) if name in MODULE_ORDER else len(MODULE_ORDER)

    items.sort(key=order)


def requirements_of(item: pytest.Item) -> tuple[str, ...]:
    return tuple(i for mark in item.iter_markers("requirement") for i in mark.args)


def job_of(item: pytest.Item) -> Check | None:
    """The registry's entry for a suite check (the executor runs those), None for a check of one's own."""
    if not isinstance(item, pytest.Function):
        return None
    return check_named(item.path.stem, item.originalname)


def params_of(item: pytest.Item) -> dict[str, Any]:
    callspec = getattr(item, "callspec", None)
    return dict(callspec.params) if callspec is not None else {}


def start_jobs(session: pytest.Session, executor: Executor | None) -> None:
    """Every selected suite check is queued at once, in the suite's order: while pytest reports one,
    the next ones already run. Under xdist a worker does not know its share in advance: each check is
    started when the worker reaches it."""
    if executor is None or hasattr(session.config, "workerinput"):
        return
    for item in session.items:
        if isinstance(item, pytest.Function) and job_of(item) is not None:
            executor.start(item.nodeid, item.obj, params_of(item), requirements_of(item))
