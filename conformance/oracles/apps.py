"""APP-01: two apps (two API keys) on one deployment never mix their conversations for the same user.

Pure: walks and exchanges recorded under each key go in, violations come out. Which conversation is
whose is known exactly in write mode (the run made them through each key); in read-only mode it is
what each key lists, and the two lists of one user must be disjoint.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from ..model.exchange import Exchange
from ..model.results import Violation
from ..spec.catalogue import Req
from . import violation
from .rejection import rejection_violations
from .walk import Walk

__all__ = ["foreign_items_violations", "shared_items_violations", "foreign_cursor_violations"]


def foreign_items_violations(app: str, other_app: str, user: str, walks: Iterable[Walk],
                             foreign: Collection[str]) -> list[Violation]:
    """Every page of every walk of ``app``'s list of ``user`` holds none of ``foreign``: the conversations
    made for the same user through ``other_app``'s key. One violation per walk, at its first such page."""
    found: list[Violation] = []
    for walk in walks:
        leaked = [(number, i) for number, page in enumerate(walk.pages, 1) for i in page.ids if i in foreign]
        if not leaked:
            continue
        number, first = leaked[0]
        page = walk.pages[number - 1]
        found.append(violation(Req.APP_01, f"{app} lists for user {user!r} ({walk.describe()}) {len(leaked)} "
                               f"conversation(s) made for that user through {other_app}'s API key, e.g. {first} "
                               f"on page {number}", page.exchange))
    return found


def shared_items_violations(app: str, other_app: str, user: str, walks: Iterable[Walk],
                            listed_by_other: Collection[str]) -> list[Violation]:
    """Read-only: ``app``'s list of ``user`` shares no conversation with ``other_app``'s list of the same
    user (a conversation belongs to one app). One violation per walk, at its first shared item."""
    found: list[Violation] = []
    for walk in walks:
        hit = next(((n, i) for n, page in enumerate(walk.pages, 1) for i in page.ids if i in listed_by_other), None)
        if hit is None:
            continue
        number, shared = hit
        found.append(violation(Req.APP_01, f"{app} lists for user {user!r} ({walk.describe()}) conversation "
                               f"{shared} on page {number}, which {other_app} lists for that user too: the two "
                               "apps' lists are not disjoint", walk.pages[number - 1].exchange))
    return found


def foreign_cursor_violations(app: str, other_app: str, user: str, exchange: Exchange,
                              cursor: str) -> list[Violation]:
    """``app``'s list of ``user`` with ``other_app``'s conversation ``cursor`` as ``last_id`` is a 4xx
    without data. A 5xx, no answer or a lasting 429 decides nothing (Inconclusive: ROBUST-01 owns it)."""
    return rejection_violations(exchange, Req.APP_01, f"{app} was sent {other_app}'s conversation {cursor} (made "
                                f"for the same user {user!r}) as last_id")
