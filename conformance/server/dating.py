"""How the reference server dates writes, in whole seconds: truncated (the default), or, as Dify on
PostgreSQL does, creations rounded to the nearest second (``CURRENT_TIMESTAMP(0)``, up to half a
second ahead) and messages and renames truncated. A conforming server never dates an update before
its conversation's creation; the ``updated-before-created`` fault does, as Dify does."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

__all__ = ["Dating", "TIMESTAMP_POLICIES"]

TIMESTAMP_POLICIES = ("truncated", "rounded-creations")


@dataclass(frozen=True, slots=True)
class Dating:
    rounded_creations: bool = False
    updates_before_creation: bool = False  # the fault: an update's second is not held at the creation's

    def creation(self) -> int:
        now = time.time()
        return math.floor(now + 0.5) if self.rounded_creations else int(now)

    def update(self, created_at: int) -> int:
        """The second of a message or a rename to a conversation created at ``created_at``."""
        now = int(time.time())
        return now if self.updates_before_creation else max(now, created_at)
