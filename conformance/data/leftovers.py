"""Deleting what a run made, honestly: a delete is confirmed or reported, never assumed.

Shared by the run-end cleanup (``CreatedLedger.cleanup``) and the cleanup of a killed run from its
journal (``finish_journal``: ``dify-conformance cleanup`` and the start of every later ``run``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from ..http.api import ServiceApi
from ..model.exchange import Exchange
from ..oracles.page import is_server_error
from .journal import JournalState

__all__ = ["DeleteOutcome", "delete_confirmed", "listed_ids", "Leftovers", "finish_journal", "LOST_TRACK"]

# A 5xx or a dropped connection on a delete is retried, as on any write of test data.
_ATTEMPTS = 8
LOST_TRACK = ("answered 404 although this run created it and never deleted it: the target lost track of it "
              "and may still keep it (Dify does when two first requests of a new end user race and make two "
              "end users: the conversation of the other one is neither listed nor deletable through the API)")


@dataclass(frozen=True, slots=True)
class DeleteOutcome:
    deleted: bool
    reason: str = ""  # why not, when not deleted
    final: bool = False  # not deleted, and no later try through the API can change that (a 404)


def delete_confirmed(send: Callable[[], Exchange]) -> DeleteOutcome:
    """One conversation's DELETE, retried after a 5xx or no answer. A 404 after such an attempt is the
    earlier attempt's success; a 404 to the first attempt is a conversation the target lost track of."""
    doubt = False
    exchange = send()
    for _ in range(_ATTEMPTS):
        status = exchange.status_code
        if status is not None and 200 <= status < 300:
            return DeleteOutcome(True)
        if status == 404:
            return DeleteOutcome(True) if doubt else DeleteOutcome(False, f"DELETE {LOST_TRACK}", final=True)
        if status is not None and not is_server_error(exchange) or not exchange.attempts:
            break  # answered, or never sent (the breaker's tries for deletes spent): no doubt, no retry
        doubt = True
        time.sleep(0.2)
        exchange = send()
    return DeleteOutcome(False, exchange.describe())


def listed_ids(api: ServiceApi, user: str, *, bound: int = 50, page_limit: int | None = None) -> list[str] | None:
    """Every conversation the target lists for ``user`` (following the cursor, at most ``bound`` pages);
    None if the list could not be read at all."""
    found: list[str] = []
    last_id: str | None = None
    for _ in range(bound):
        exchange = api.list(user=user, last_id=last_id, limit=page_limit, kind="cleanup-read")
        for _ in range(_ATTEMPTS - 1):  # a 5xx or no answer is retried, as the deletes are
            if exchange.attempts == 0 or (exchange.status_code is not None and not is_server_error(exchange)):
                break  # answered, or not sent at all (--max-requests spent, the target stopped answering)
            time.sleep(0.2)
            exchange = api.list(user=user, last_id=last_id, limit=page_limit, kind="cleanup-read")
        body: Any = exchange.json_or_none() if exchange.status_code == 200 else None
        items = body.get("data") if isinstance(body, dict) else None
        if not isinstance(items, list):
            return found or None
        ids = [i.get("id") for i in items if isinstance(i, dict)]
        fresh = [i for i in ids if isinstance(i, str) and i not in found]
        found += fresh
        if not fresh or not body.get("has_more"):
            break
        last_id = fresh[-1]
    return found


@dataclass
class Leftovers:
    """What a cleanup could not delete: one line each, and whether a later try might."""

    failures: list[str] = field(default_factory=list)
    retryable: int = 0  # failures a later try might still delete (not a 404)
    deleted: int = 0

    def fail(self, line: str, *, final: bool) -> None:
        self.failures.append(line)
        self.retryable += 0 if final else 1


def finish_journal(state: JournalState, apis: Mapping[str, ServiceApi], *, page_limit: int | None = None) -> Leftovers:
    """Delete what a killed run's journal lists, and the conversations of its unanswered creates (as
    many as went unanswered, found by listing that user: the run's users are its own)."""
    left = Leftovers()
    for app, user, cid in state.entries():
        api = apis.get(app)
        if api is None:
            left.fail(f"conversation {cid} of user {user} (app {app!r}): no API key for that app", final=False)
            continue
        outcome = delete_confirmed(partial(api.delete, user, cid))
        if outcome.deleted:
            left.deleted += 1
        else:
            left.fail(f"conversation {cid} of user {user}: {outcome.reason}", final=outcome.final)
    for (app, user), count in state.unanswered.items():
        api = apis.get(app)
        if api is None:
            left.fail(f"{count} unanswered create(s) of user {user} (app {app!r}): no API key for that app",
                      final=False)
            continue
        left.deleted += delete_unknown(api, user, count, state.named, left, page_limit=page_limit)
    return left


def delete_unknown(api: ServiceApi, user: str, count: int, known: set[str], left: Leftovers, *,
                   page_limit: int | None = None) -> int:
    """Delete up to ``count`` conversations listed for ``user`` that are not ``known``: what creates
    that got no usable answer made after all. Returns how many were deleted."""
    listed = listed_ids(api, user, page_limit=page_limit)
    if listed is None:
        left.fail(f"{count} create(s) of user {user} got no answer, and that user's list could not be read",
                  final=False)
        return 0
    deleted = 0
    for cid in [c for c in listed if c not in known][:count]:
        outcome = delete_confirmed(partial(api.delete, user, cid))
        if outcome.deleted:
            deleted += 1
        else:
            left.fail(f"conversation {cid} of user {user} (made by a create that got no answer): {outcome.reason}",
                      final=outcome.final)
    return deleted
