"""Oracles: pure functions from recorded exchanges (or data parsed from them) to violations.

No HTTP here. Each oracle returns a list of :class:`~conformance.results.Violation`; an empty list
means the behaviour matched. :class:`Inconclusive` says the evidence cannot decide (the response is
a 5xx, or not shaped enough to judge): another requirement (ROBUST-01, SCHEMA-01) owns that.
"""

from __future__ import annotations

from ..exchange import Exchange
from ..results import Violation

__all__ = ["Inconclusive", "violation"]


class Inconclusive(Exception):
    """The evidence cannot decide this check; the message says why and which requirement owns it."""


def violation(requirement: str, message: str, exchange: Exchange | None = None) -> Violation:
    """A violation with the exchange as its evidence (curl with the key redacted, status, excerpt)."""
    if exchange is None:
        return Violation(requirement, message)
    return Violation(
        requirement,
        message,
        request=exchange.curl(),
        status_code=exchange.status_code,
        body_excerpt=exchange.excerpt() if exchange.status_code is not None else exchange.error,
    )
