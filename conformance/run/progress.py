"""Progress on long runs: which group of checks is running and how many requests went out so far.

A small pytest plugin object, registered on the process that reports (the controller, also under
xdist, where it sees every worker's ``pytest_runtest_logstart``). A group is a module of the suite,
named after the requirement area it checks (``suite/test_page.py`` -> ``PAGE``); the suite runs
its modules in a fixed order, so serially a group starts once. One line when a group starts, and
again when nothing was said for ``interval`` seconds (60), e.g.::

    [PAGE] 1,234 requests so far

The count is read from the evidence files (one JSON line per exchange, one file per process),
incrementally: each line is read once however often the count is asked for.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

__all__ = ["Progress", "RequestCounter", "group_of"]

_EXCHANGE_PREFIX = b'{"exchange"'  # a line of an exchange; the other lines are run notes


def group_of(nodeid: str) -> str:
    """``suite/test_page.py::test_walk[x]`` -> ``PAGE``."""
    module = nodeid.split("::", 1)[0].replace("\\", "/").rsplit("/", 1)[-1]
    return module.removesuffix(".py").removeprefix("test_").upper() or module


class RequestCounter:
    """Counts the exchanges in ``exchanges-*.jsonl`` under a directory, reading only what is new."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._offsets: dict[Path, int] = {}
        self._count = 0

    def count(self) -> int:
        try:
            paths = sorted(self.directory.glob("exchanges-*.jsonl"))
        except OSError:
            return self._count
        for path in paths:
            offset = self._offsets.get(path, 0)
            try:
                with path.open("rb") as handle:
                    handle.seek(offset)
                    chunk = handle.read()
            except OSError:  # removed at the end of the run, or not readable: keep what was counted
                continue
            end = chunk.rfind(b"\n") + 1  # whole lines only: a writer may be half-way through one
            if end:
                self._count += sum(1 for line in chunk[:end].split(b"\n") if line.startswith(_EXCHANGE_PREFIX))
                self._offsets[path] = offset + end
        return self._count


class Progress:
    """The plugin object: ``config.pluginmanager.register(Progress(evidence_dir), ...)``."""

    def __init__(self, evidence_dir: Path, *, interval: float = 60.0,
                 clock: Callable[[], float] = time.monotonic, write: Callable[[str], None] | None = None) -> None:
        self.counter = RequestCounter(evidence_dir)
        self.interval = interval
        self._clock = clock
        self._write = write
        self._started: set[str] = set()
        self._last_line_at: float | None = None

    def pytest_sessionstart(self, session: Any) -> None:
        if self._write is None:
            terminal = session.config.pluginmanager.get_plugin("terminalreporter")
            if terminal is not None:
                self._write = _line_writer(terminal)

    @pytest.hookimpl(tryfirst=True)  # before the terminal reporter starts the line of the check (-v)
    def pytest_runtest_logstart(self, nodeid: str, location: Any) -> None:
        group = group_of(nodeid)
        now = self._clock()
        if group not in self._started:
            self._started.add(group)
            self._say(group, now)
        elif self._last_line_at is not None and now - self._last_line_at >= self.interval:
            self._say(group, now)

    def _say(self, group: str, now: float) -> None:
        self._last_line_at = now
        if self._write is not None:
            self._write(f"[{group}] {self.counter.count():,} requests so far")


def _line_writer(terminal: Any) -> Callable[[str], None]:
    """A line of its own: after the dots of ``-q`` (which leave the line open), a line break first."""

    def write(text: str) -> None:
        writer: Any = getattr(terminal, "_tw", None)
        if writer is not None and writer.width_of_current_line > 0:
            writer.line()
        terminal.write_line(text)

    return write
