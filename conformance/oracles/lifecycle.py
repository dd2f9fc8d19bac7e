"""The lifecycle oracle (pure): a recorded answer against the model's prediction, as violations.

Blame follows the cause, one requirement per cause: an item of another user is USER-02, a deleted
or missing conversation DATA-01, a cursor that repeats or skips PAGE-01, a wrong ``has_more``
PAGE-02, a deleted or foreign cursor that is served PAGE-03, a write that does not advance
``updated_at`` DATA-02, a different body for the same request STABLE-01 (stability.py), the response's
``limit`` by the one echo rule (limits.py). Counts and ``has_more`` are
judged only on pages whose items are right, so one fault is not blamed on several requirements.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ..model.exchange import Exchange
from ..model.results import Violation
from ..spec.catalogue import Req
from . import Inconclusive, violation
from .lifecycle_model import Pending, Prediction
from .limits import echo_violations
from .ordering import first_disorder
from .page import Page, is_client_error, parse_page
from .stability import repeat_violations
from .walk import Walk

__all__ = ["judge_page", "judge_pending", "judge_walk", "judge_repeat", "claims_more", "first_of_each"]


def judge_page(prediction: Prediction, exchange: Exchange) -> list[Violation]:
    """Everything wrong with one answer to a list request the prediction describes."""
    where = prediction.describe()
    if prediction.cursor_state not in ("none", "live"):
        return _judge_refused_cursor(prediction, exchange, where)
    if exchange.status_code is not None and exchange.status_code != 200 and exchange.status_code < 500:
        if prediction.cursor_state == "live":
            return [violation(Req.PAGE_01, f"{where}: the cursor is a live conversation of this user, listed by the "
                              f"target before, but was refused with {exchange.status_code}", exchange)]
        if prediction.live:
            return [violation(Req.DATA_01, f"{where}: the user has {len(prediction.live)} conversation(s), but the "
                              f"list was refused with {exchange.status_code}", exchange)]
        return []
    try:
        page = parse_page(exchange)
    except Inconclusive:
        return []  # a 5xx or an unreadable body: ROBUST-01 and SCHEMA-01 judge those
    return _judge_items(prediction, page, where)


def _judge_refused_cursor(prediction: Prediction, exchange: Exchange, where: str) -> list[Violation]:
    """A deleted, foreign or unknown conversation as last_id: a 4xx, never a page (PAGE-03), never
    the other user's data (USER-02)."""
    status = exchange.status_code
    if status is None or status >= 500 or is_client_error(exchange):
        return []
    what = {"deleted": "a deleted conversation of this user", "foreign": "another user's conversation",
            "unknown": "no conversation of this user"}[prediction.cursor_state]
    if status == 200:
        body = exchange.json_or_none()
        data = body.get("data") if isinstance(body, dict) else None
        ids = [i.get("id") for i in data if isinstance(i, dict)] if isinstance(data, list) else []
        leaked = [i for i in ids if i in prediction.others]
        if leaked:
            return [violation(Req.USER_02, f"{where}: last_id names {what}; the page serves {len(leaked)} "
                              f"conversation(s) of another user, e.g. {leaked[0]}", exchange)]
    return [violation(Req.PAGE_03, f"{where}: last_id names {what}, so a 4xx was expected; answered {status}",
                      exchange)]


def _judge_items(prediction: Prediction, page: Page, where: str) -> list[Violation]:
    found: list[Violation] = []
    ids = page.ids
    live = prediction.live
    foreign = [i for i in ids if i in prediction.others or (i not in live and i not in prediction.deleted)]
    gone = [i for i in ids if i in prediction.deleted]
    seen: set[str] = set()
    repeated = [i for i in ids if i in seen or seen.add(i)]  # type: ignore[func-returns-value]
    repeated += [i for i in ids if i == prediction.cursor or i in prediction.before]
    if foreign:
        found.append(violation(Req.USER_02, f"{where}: {len(foreign)} item(s) are not this user's conversations, "
                               f"e.g. {foreign[0]}" + (f" (of user {prediction.others[foreign[0]]!r})"
                                                       if foreign[0] in prediction.others else ""), page.exchange))
    if gone:
        found.append(violation(Req.DATA_01, f"{where}: {len(gone)} deleted conversation(s) still listed, e.g. "
                               f"{gone[0]}", page.exchange))
    if repeated:
        found.append(violation(Req.PAGE_01, f"{where}: {len(repeated)} item(s) do not follow the cursor (the cursor "
                               f"itself, one before it, or twice on the page), e.g. {repeated[0]}", page.exchange))
    # Fewer items than the conversations that may follow the cursor: the size the target serves shows.
    followers = prediction.ties | set(prediction.after_ids) | prediction.uncertain
    found += echo_violations([page], limit=prediction.limit, limit_explicit=prediction.limit_explicit,
                             served=len(ids) if len(ids) < len(followers) else None, where=where)
    if len(ids) > prediction.limit:
        found.append(violation(prediction.size_requirement, f"{where}: {len(ids)} items, more than the limit",
                               page.exchange))
    disorder = first_disorder(page.items, prediction.sort_value)
    if disorder is not None:
        found.append(violation(prediction.order_requirement, f"{where}: item {disorder + 1} is out of "
                               f"{prediction.sort_value} order with the item before it", page.exchange))
    if foreign or gone or repeated or disorder is not None or prediction.uncertain:
        return found  # the items are wrong (or not all placeable): counts and has_more say nothing more
    return found + _judge_extent(prediction, page, where)


def _judge_extent(prediction: Prediction, page: Page, where: str) -> list[Violation]:
    """The page is the start of what follows the cursor: no gap, the right size, the right has_more.

    Conversations sharing the cursor's second may fall on either side of it (the target breaks ties),
    so they may open the page; what comes after them is exactly known, group by group.
    """
    listed = [i for i in page.ids if i not in prediction.ties]
    position, missing = 0, []
    for group in prediction.after:
        taken = [i for i in listed[position:position + len(group)] if i in group]
        if len(taken) == len(group) or position + len(taken) == len(listed):
            position += len(taken)
            if len(taken) < len(group):
                break  # the page ends inside this second
            continue
        missing = [i for i in group if i not in taken]
        break
    gap_requirement = Req.PAGE_01 if prediction.cursor else Req.DATA_01
    if missing:
        return [violation(gap_requirement, f"{where}: {len(missing)} conversation(s) that must come before item "
                          f"{len(page.ids) - len(listed) + position + len(taken) + 1} are missing, e.g. "
                          f"{missing[0]}", page.exchange)]
    rest = len(prediction.after_ids) - len(listed)
    if rest > 0 and len(page.ids) < prediction.limit:
        if page.has_more is True:
            return [violation(prediction.size_requirement, f"{where}: {len(page.ids)} item(s) while {rest} more "
                              f"conversation(s) follow; expected {prediction.limit}", page.exchange)]
        return [violation(gap_requirement, f"{where}: the page ends after {len(page.ids)} item(s) but {rest} "
                          f"conversation(s) of this user are never served, e.g. "
                          f"{prediction.after_ids[len(listed)]}", page.exchange)]
    if not isinstance(page.has_more, bool):
        return []
    if rest > 0:
        more: bool | None = True
    elif listed or not prediction.ties - set(page.ids):
        more = False  # every conversation after the cursor is on the page
    else:
        more = None  # only ties of the cursor so far: whether more of them follow is the target's choice
    if more is not None and page.has_more != more:
        wrong = violation(Req.PAGE_02, f"{where}: has_more is {str(page.has_more).lower()} with "
                          f"{rest if more else 'no'} conversation(s) of this user after the page "
                          f"({len(prediction.live)} live, {len(prediction.deleted)} deleted)", page.exchange)
        return [MoreClaimed(**wrong.to_dict()) if page.has_more else wrong]
    return []


def judge_pending(pending: Pending, prediction: Prediction, exchange: Exchange) -> list[Violation]:
    """The list right after a write: the conversation is there, and a message or a rename moved its
    ``updated_at`` to the write's second (no earlier than any write before it)."""
    try:
        page = parse_page(exchange)
    except Inconclusive:
        return []
    where = prediction.describe()
    item = next((i for i in page.items if i["id"] == pending.conversation_id), None)
    if item is None:
        if len(page.ids) < prediction.limit and not page.has_more:
            return [violation(Req.DATA_01, f"{where}: conversation {pending.conversation_id}, just written "
                              f"({pending.action}), is not in its user's list", exchange)]
        return []
    value = item.get("updated_at")
    if pending.action == "create" or pending.floor is None or not isinstance(value, int):
        return []
    # Without a wait, a second of slack: creations and updates may be dated by different clocks
    # (Dify: the database's and the application's), a fraction of a second apart.
    if value <= pending.floor if pending.strict else value < pending.floor - 1:
        later = "a later second than" if pending.strict else "the second of, or after,"
        return [violation(Req.DATA_02, f"{where}: conversation {pending.conversation_id} was sent a {pending.action} "
                          f"in {later} the last write seen (second {pending.floor}), yet its updated_at is "
                          f"{value}", exchange)]
    return []


def judge_walk(walk: Walk, predict: Callable[[str | None], Prediction]) -> list[Violation]:
    """A walk, page by page against the prediction after each cursor, then across pages."""
    found: list[Violation] = []
    visited: dict[str, int] = {}
    cursor: str | None = None
    for index, page in enumerate(walk.pages):
        prediction = predict(cursor)
        if prediction.cursor_state not in ("none", "live"):
            break  # the walk follows an item already blamed (deleted or foreign): what comes after is moot
        found += [v for v in judge_page(prediction, page.exchange) if v.requirement not in
                  {f.requirement for f in found}]
        again = [i for i in page.ids if i in visited]
        if again and not any(v.requirement == Req.PAGE_01 for v in found):
            found.append(violation(Req.PAGE_01, f"{walk.describe()}: {len(again)} conversation(s) visited again on "
                                   f"page {index + 1}, e.g. {again[0]} (first on page {visited[again[0]] + 1})",
                                   page.exchange))
        visited.update((i, index) for i in page.ids if i not in visited)
        cursor = page.last_id
    if walk.stop == "rejected" and walk.rejected is not None and predict(cursor).cursor_state == "live":
        found += [v for v in judge_page(predict(cursor), walk.rejected) if v.requirement not in
                  {f.requirement for f in found}]
    elif walk.stop in ("bound", "loop") and not found:
        last = walk.pages[-1].exchange if walk.pages else None
        found.append(violation(Req.PAGE_01, f"{walk.describe()}: the walk does not end ({walk.stop}): the cursor "
                               "does not advance", last))
    if any(v.requirement == Req.DATA_01 for v in found):
        # A deleted conversation still listed makes the target's has_more true: DATA-01 is the cause.
        found = [v for v in found if not claims_more(v)]
    if walk.stop == "empty" and not found:
        missing = sorted(predict(None).live - set(visited))
        if missing:
            found.append(violation(Req.PAGE_01, f"{walk.describe()}: {len(missing)} conversation(s) never visited, "
                                   f"e.g. {missing[0]}", walk.pages[-1].exchange))
    return found


def judge_repeat(first: Exchange, second: Exchange, where: str) -> list[Violation]:
    """The same list request twice with no write between: the same body (STABLE-01, stability.py);
    two answers that are not both pages decide nothing here."""
    try:
        return repeat_violations(first, second, where)
    except Inconclusive:
        return []


class MoreClaimed(Violation):
    """A PAGE-02 violation where has_more said more follow and the model knows of none: typed, so that
    the machine looks at the next page (a deleted conversation still listed there explains it) without
    reading the message."""

    __slots__ = ()


def claims_more(v: Violation) -> bool:
    return isinstance(v, MoreClaimed)


def first_of_each(violations: Sequence[Violation]) -> list[Violation]:
    """One violation per requirement (the first): a fault seen on every page is reported once."""
    kept: dict[str, Violation] = {}
    for v in violations:
        kept.setdefault(v.requirement, v)
    return list(kept.values())
