"""Layer 3, the oracles: pure functions from recorded exchanges (or data parsed from them) to violations.

No HTTP here. Each oracle returns a list of :class:`~conformance.model.results.Violation`; an empty list
means the behaviour matched. :class:`Inconclusive` says the evidence cannot decide (the response is
a 5xx, or not shaped enough to judge): another requirement (ROBUST-01, SCHEMA-01) owns that.
May import ``spec``, ``model`` and ``errors`` only: no HTTP, no settings, no pytest.
"""

from __future__ import annotations

from ..model.exchange import Exchange
from ..model.results import Violation
from ..spec.catalogue import Req

__all__ = ["Inconclusive", "violation", "DefaultsBlame", "order_requirement", "size_requirement"]


class Inconclusive(Exception):
    """The evidence cannot decide this check; the message says why.

    ``owners``: the requirements whose failure explains it (a 5xx: ROBUST-01; a body that is no page:
    SCHEMA-01). A check left inconclusive for an owner that did not fail is an internal error of the
    suite (verdict.py), never a quiet skip: "inconclusive everywhere, verdict pass" cannot happen.
    """

    def __init__(self, reason: str, owner: Req | tuple[Req, ...] | None = None) -> None:
        super().__init__(reason)
        self.owners: tuple[Req, ...] = (owner,) if isinstance(owner, Req) else tuple(owner or ())


def violation(requirement: Req, message: str, exchange: Exchange | None = None) -> Violation:
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


def order_requirement(sort_explicit: bool) -> Req:
    """A wrong order breaks SORT-01 when the request named ``sort_by``, SORT-02 when the default was in effect."""
    return Req.SORT_01 if sort_explicit else Req.SORT_02


def size_requirement(limit_explicit: bool) -> Req:
    """A wrong page size breaks LIMIT-01 when the request named ``limit``, LIMIT-03 when the default was in effect."""
    return Req.LIMIT_01 if limit_explicit else Req.LIMIT_03


class DefaultsBlame:
    """Which requirement a wrong order or page size breaks (order_requirement, size_requirement), mixed
    into the walks and predictions that know whether the request named the value."""

    sort_explicit: bool
    limit_explicit: bool

    @property
    def order_requirement(self) -> Req:
        return order_requirement(self.sort_explicit)

    @property
    def size_requirement(self) -> Req:
        return size_requirement(self.limit_explicit)
