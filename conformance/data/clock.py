"""Waiting for a later server second, only when a step needs one, and no longer than it must.

The target dates writes in whole seconds of its own clock, which may be offset from ours, and may
truncate or round the time to the second, or mix the two per field (Dify on PostgreSQL rounds a
creation, ``CURRENT_TIMESTAMP(0)``, and truncates a message's or a rename's time): a date is then at
most :data:`ROUNDING_AHEAD_S` ahead of the moment it names. Every bound here holds under each reading.
After a write answered at our time ``t``, the target's clock has certainly passed the second that
write was dated with by ``t + 1 + ROUNDING_AHEAD_S``; and every create tells us a lower bound of the
offset (its second, less the rounding, minus the time its answer arrived), which lets the wait end
as soon as the target's next second has certainly begun.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

__all__ = ["SecondClock", "ROUNDING_AHEAD_S"]

# How far ahead of the moment it names a target's date may be: half a second where it rounds.
ROUNDING_AHEAD_S = 0.5

# A second outside this distance of our clock is not a Unix time in seconds (milliseconds, a
# broken field): it teaches nothing about the offset.
_PLAUSIBLE_OFFSET_S = 366 * 24 * 3600
# Past the boundary: creations and updates may be dated by two clocks a few milliseconds apart.
_MARGIN_S = 0.05


class SecondClock:
    def __init__(self, *, now: Callable[[], float] = time.time, stop: threading.Event | None = None) -> None:
        self._now = now
        self._stop = stop or threading.Event()
        self.offset_low: float | None = None  # the target's clock minus ours is at least this
        self.last_write_answered: float | None = None  # our time the latest dated write was answered
        self.waited_s = 0.0
        self.waits = 0

    def wrote(self, answered_at: float) -> None:
        """A write the target dates (create, message, rename) was answered at our time ``answered_at``."""
        self.last_write_answered = answered_at

    def learned(self, second: int, answered_at: float) -> None:
        """A create answered at ``answered_at`` was listed with ``created_at == second``: made no later
        than the answer, at a moment no earlier than ``second - ROUNDING_AHEAD_S`` of the target's clock."""
        sample = second - ROUNDING_AHEAD_S - answered_at
        if abs(sample) < _PLAUSIBLE_OFFSET_S:
            self.offset_low = sample if self.offset_low is None else max(self.offset_low, sample)

    def passed(self, second: int | None) -> bool:
        """Whether the target's clock has certainly passed ``second`` already (no wait needed)."""
        deadline = self._deadline(second)
        return deadline is not None and self._now() >= deadline + _MARGIN_S

    def _deadline(self, second: int | None) -> float | None:
        if second is None or self.last_write_answered is None:
            return None
        deadline = self.last_write_answered + 1.0 + ROUNDING_AHEAD_S
        if self.offset_low is not None:
            deadline = min(deadline, second + 1 - self.offset_low)
        return deadline

    def wait_past(self, second: int | None) -> float:
        """Sleep until the target's clock has certainly passed ``second`` (the latest second a write was
        listed with); returns the time slept. Raises InterruptedError if the run is being stopped."""
        deadline = self._deadline(second)
        if deadline is None:
            return 0.0
        wait = deadline - self._now()
        if wait <= 0:
            return 0.0
        wait += _MARGIN_S
        self.waited_s += wait
        self.waits += 1
        if self._stop.wait(wait):
            raise InterruptedError("the run is being stopped")
        return wait
