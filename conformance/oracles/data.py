"""DATA-01 and DATA-02: what is written through the API shows in the list, and moves it.

Pure: the list as walked or paged after the writes, and what the run wrote, go in; violations come out.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any, Protocol

from ..model.exchange import Exchange
from ..model.results import Violation
from ..spec.catalogue import Req
from . import Inconclusive, violation
from .page import Page

__all__ = ["MISSING_AFTER_CREATE", "Written", "created_not_listed", "deleted_still_listed", "moved_up_violations"]

# What a target may have done with a conversation it created and does not list for its user: the
# evidence says so, since the cleanup cannot delete such a row either (its DELETE answers 404).
MISSING_AFTER_CREATE = (
    "the target may have filed it under another record of this user: a user seen for the first time, "
    "and created concurrently by two requests, is split in two by a target that creates users on first "
    "sight without a unique key (Dify does: two end_users rows, one of them never listed), or it lost the row")


class Written(Protocol):
    """One update the run made (data.dataset.Update): a message or a rename, and updated_at before it."""

    @property
    def conversation_id(self) -> str: ...

    @property
    def action(self) -> str: ...

    @property
    def updated_at_before(self) -> Any: ...


def created_not_listed(conversation_id: str, user: str, listed: Collection[str], last: Exchange) -> list[Violation]:
    """A conversation just created for ``user`` is in their list (``listed``: its ids; ``last``: its last page)."""
    return [] if conversation_id in listed else [violation(
        Req.DATA_01, f"conversation {conversation_id}, just created for {user!r}, is not in that user's list: "
        f"{MISSING_AFTER_CREATE}", last)]


def deleted_still_listed(conversation_id: str, status: int | None, listed: Collection[str],
                         last: Exchange) -> list[Violation]:
    """A conversation whose delete was answered ``status`` (a 2xx) is no longer in its user's list."""
    return [violation(Req.DATA_01, f"conversation {conversation_id} was deleted (answered {status}) but is still "
                      "listed", last)] if conversation_id in listed else []


def moved_up_violations(updates: Sequence[Written], page: Page, exchange: Exchange, *, deleted: Collection[str],
                        ordered_by_updated: bool) -> list[Violation]:
    """After a message or a rename in a later second, each updated conversation's updated_at has advanced,
    and (``ordered_by_updated``: the page is sorted by ``-updated_at``) the updated ones come first, ties
    with them aside. ``page`` is the main user's first page; ``deleted`` conversations listed on it are
    DATA-01's and do not push others down here. Inconclusive when nothing could be judged (no integer
    updated_at), or when the page ends among ties of the updates' second before an updated one showed."""
    by_id = {item["id"]: item for item in page.items}
    ids = [i for i in page.ids if i not in deleted]
    found: list[Violation] = []
    judged = False  # whether anything here could be judged: updated_at may not be an integer at all
    for update in updates:
        item = by_id.get(update.conversation_id)
        now, before = (item or {}).get("updated_at"), update.updated_at_before
        if isinstance(now, int) and isinstance(before, int):
            judged = True
            if now <= before:
                found.append(violation(Req.DATA_02, f"conversation {update.conversation_id}: after a {update.action} "
                                       f"in a later second, updated_at is still {now} (was {before})", exchange))
    updated = {u.conversation_id for u in updates}
    unjudged: set[str] = set()  # updated conversations whose place could not be judged
    stamps = [by_id[c].get("updated_at") for c in updated if c in by_id]
    if ordered_by_updated and all(isinstance(v, int) for v in stamps):
        judged = True
        # The updates were made after the last conversation was created, possibly in its second: the
        # front is every conversation sharing the latest second among the updated ones, ties included.
        latest = min((v for v in stamps if isinstance(v, int)), default=None)
        front = 0 if latest is None else sum(1 for i in ids if isinstance(by_id[i].get("updated_at"), int)
                                             and by_id[i]["updated_at"] >= latest)
        missing = updated - set(ids[: max(front, len(updated))])
        if latest is not None and front >= len(ids):
            # The page ended among conversations sharing the updates' second: one not on it may follow.
            unjudged = missing - set(ids)
            missing -= unjudged
        if missing:
            found.append(violation(Req.DATA_02, f"under -updated_at the {len(updated)} conversations updated last "
                                   f"should come first (ties with them aside); {len(missing)} do not, e.g. "
                                   f"{sorted(missing)[0]}", exchange))
    if not judged:
        raise Inconclusive("no integer updated_at in the list: neither its advance nor the order can be judged "
                           "(see SCHEMA-01)", (Req.SCHEMA_01, Req.SCHEMA_02))
    if unjudged and not found:
        raise Inconclusive(f"the page of {len(ids)} conversations ended among those sharing the updates' second: "
                           f"{len(unjudged)} updated conversation(s) not on it may still follow, e.g. "
                           f"{sorted(unjudged)[0]}")
    return found
