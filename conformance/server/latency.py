"""Injected response latency: the reference server answering like a deployment across a network.

``--latency-ms MS`` delays every HTTP response by MS milliseconds; with ``--latency-jitter
lognormal`` each delay is drawn from a log-normal distribution whose median is MS (sigma
``LOGNORMAL_SIGMA``: p90 about 1.9 x MS, p99 about 3.2 x MS, the long tail of a real server), from a
generator seeded with the server's ``--seed``. The delay is an ``asyncio.sleep`` in the event loop
before the request is handled, so concurrent requests wait side by side, never one after another.
For benchmarks (benchmarks/bench_suite.py); it changes no answer.
"""

from __future__ import annotations

import asyncio
import math
import random
from dataclasses import dataclass

from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["JITTERS", "LOGNORMAL_SIGMA", "ResponseLatency", "InjectedLatency"]

JITTERS = ("none", "lognormal")
LOGNORMAL_SIGMA = 0.5


@dataclass(frozen=True)
class ResponseLatency:
    """How long each response waits: ``median_ms``, fixed (``jitter="none"``) or log-normal around it."""

    median_ms: float = 0.0
    jitter: str = "none"

    def problems(self) -> list[str]:
        found = []
        if not math.isfinite(self.median_ms) or self.median_ms < 0:
            found.append(f"--latency-ms must be a number of milliseconds, 0 or more, got {self.median_ms:g}")
        if self.jitter not in JITTERS:
            found.append(f"--latency-jitter must be one of {', '.join(JITTERS)}, got {self.jitter!r}")
        return found

    @property
    def active(self) -> bool:
        return self.median_ms > 0

    def sampler(self, seed: int) -> random.Random:
        return random.Random(f"latency-{seed}")  # its own stream: the faults' draws stay as they were

    def draw_s(self, rng: random.Random) -> float:
        """One delay, in seconds."""
        if self.jitter == "lognormal":
            return rng.lognormvariate(math.log(self.median_ms), LOGNORMAL_SIGMA) / 1000
        return self.median_ms / 1000


class InjectedLatency:
    """ASGI middleware: every HTTP request sleeps its drawn delay (asynchronously) before it is handled."""

    def __init__(self, app: ASGIApp, latency: ResponseLatency, seed: int) -> None:
        self.app = app
        self.latency = latency
        self._rng = latency.sampler(seed)  # only touched in the event loop thread: no lock needed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await asyncio.sleep(self.latency.draw_s(self._rng))
        await self.app(scope, receive, send)
