"""The hypothesis state machine that drives the conversation lifecycle through the real API.

Each example gets three users of its own (ASCII, non-ASCII, special characters), made from the
run's user stem, so no other check's data is touched and no example sees another's leftovers.
Every write is followed by a list of its user, judged against the model; that list also gives the
model the timestamps the target assigned. Every conversation made goes into the run's ledger at
once, so the run-end cleanup deletes it even when a step fails or the run is interrupted; the
machine's teardown deletes its own and forgets them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NoReturn

import hypothesis
import hypothesis.errors
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, precondition, rule, run_state_machine_as_test

from ...data.clock import SecondClock
from ...data.users import TestUsers
from ...data.walker import page_bound, walk_pages
from ...data.writes import WRITE_ATTEMPTS, Writes, retrying_write
from ...http.api import ServiceApi, conversation_id_of
from ...model.exchange import Exchange
from ...model.results import Violation
from ...oracles import Inconclusive
from ...oracles.lifecycle import claims_more, first_of_each, judge_page, judge_pending, judge_repeat, judge_walk
from ...oracles.lifecycle_model import Conversation, LifecycleModel, Pending, Prediction
from ...run.checks import ConformanceFailure, inconclusive
from ...spec.catalogue import Req
from ...spec.contract import Contract
from .story import Step, Story

__all__ = ["LifecycleContext", "run_lifecycle", "lifecycle_users", "CAP_PER_USER"]

CAP_PER_USER = 5  # live conversations per user: short walks, and limits near the count are likely
_LIST_ATTEMPTS = 3  # the list after a write, likewise (fewer: a target that always fails it is given up)
_UNDECIDED_IN_A_ROW = 8  # examples the target would not let be judged, in a row, before the check gives up


# Whether a message or a rename must land in a later second than every write before it (then it must
# lead -updated_at). One in three: each costs a wait of up to a second; shrinking heads for False.
_LATER = st.integers(0, 2).map(lambda draw: draw == 2)


def lifecycle_users(users: TestUsers, example: int) -> tuple[str, str, str]:
    """The three users of one example: ASCII, non-ASCII, and characters that need escaping."""
    stem = f"{users.main.removesuffix('-alice')}-life{example}"
    return f"{stem}-ascii", f"{stem}-ünï-漢字-🙂", f"{stem}-a b+c%/'"


@dataclass
class LifecycleContext:
    """What the machine needs from the run, and what it leaves for the report."""

    api: ServiceApi
    contract: Contract
    writes: Writes  # the run's: creates journaled and retried, their uncertain ones reconciled (writes.py)
    users: TestUsers
    seed: int
    clock: SecondClock = field(default_factory=SecondClock)
    examples: int = 0
    steps: int = 0
    runs: int | None = None  # sequences the machine may run in all (generated, discarded, shrinking)
    budget_spent: bool = False  # the machine stopped there (see run_lifecycle)
    undecided_examples: int = 0  # sequences the target would not let be judged
    undecided_in_a_row: int = 0
    stories: dict[str, str] = field(default_factory=dict)  # requirements failed -> the story that shows it
    # requirements failed -> the violations first seen for them: kept even if hypothesis cannot replay them
    found: dict[str, list[Violation]] = field(default_factory=dict)
    _failure_types: dict[str, type[ConformanceFailure]] = field(default_factory=dict)

    def failure_type(self, requirements: str) -> type[ConformanceFailure]:
        """One exception type per set of failed requirements, so hypothesis shrinks (and reports) each
        distinct failure on its own instead of sliding from one requirement's failure to another's."""
        if requirements not in self._failure_types:
            name = "LifecycleFailure_" + requirements.replace("-", "").replace(" ", "_")
            self._failure_types[requirements] = type(name, (ConformanceFailure,), {"requirements": requirements})
        return self._failure_types[requirements]


class LifecycleMachine(RuleBasedStateMachine):
    context: LifecycleContext  # set on the per-run subclass made by run_lifecycle

    def __init__(self) -> None:
        ctx = self.context
        if ctx.runs is not None and ctx.examples >= ctx.runs:
            ctx.budget_spent = True
            raise _BudgetSpent  # no request sent: the budget in work is spent
        super().__init__()
        ctx.examples += 1
        self.api, self.contract = ctx.api, ctx.contract
        self.users = lifecycle_users(ctx.users, ctx.examples)
        self.model = LifecycleModel(self.users)
        self.story = Story()
        self.pool: dict[str, None] = {}  # ids seen on pages, in order: cursors for later pages
        self.rejected = False  # the target would not let this example be judged
        limit = self.contract.limit
        self.page_max = limit.maximum or limit.default or 20
        self.cap = min(CAP_PER_USER, self.page_max)  # one page at page_max shows every conversation
        # Any valid limit may be drawn; most are near the few conversations a user has, where page
        # boundaries and has_more are decided.
        low = limit.minimum or 1
        small = [v for v in range(low, low + CAP_PER_USER + 1) if limit.in_range(v)]
        wide = [v for v in ((low + self.page_max) // 2, self.page_max - 1) if limit.in_range(v) and v not in small]
        self.limits: list[int | None] = [self.page_max, *([None] if limit.default is not None else []), *small, *wide]
        sort = self.contract.sort
        self.sorts: list[str | None] = [*sort.values, *([None] if sort.default else [])] or [None]
        self.observe_sort = "-updated_at" if "-updated_at" in sort.values else None

    # -- rules ------------------------------------------------------------------------------------

    @initialize(user=st.integers(0, 2), count=st.integers(2, 3), streaming=st.booleans())
    def start(self, user: int, count: int, streaming: bool) -> None:
        """Every example starts with a few conversations of one user and one of each other user, so
        that deletes leave something behind, pages have data, and every list has neighbours to leak."""
        for index in [user] * count + [i for i in range(len(self.users)) if i != user]:
            self.create(index, streaming)

    @rule(user=st.integers(0, 2), streaming=st.booleans())
    def create(self, user: int, streaming: bool) -> None:
        name = self.users[user]
        if len(self.model.live(name)) >= self.cap:
            return
        step = self._begin(f"create a conversation for user {name!r} ({'streaming' if streaming else 'blocking'})")
        send = self.api.create_conversation_streaming if streaming else self.api.create_conversation
        text = f"dify-conformance lifecycle, step {len(self.story.steps)}"

        def sent() -> Exchange:
            exchange = send(name, text)
            step.exchanges.append(exchange)
            return exchange

        exchange = self.context.writes.create(name, sent)  # journaled before each try, in the ledger once named
        conversation_id = conversation_id_of(exchange)
        if conversation_id is None:
            self._undecided(f"the create was answered {exchange.status_code} without a conversation id")
        self.context.clock.wrote(_answered_at(exchange))
        pending = self.model.created(name, conversation_id, strict=False)
        self._observe(step, name, pending, created=exchange)

    @precondition(lambda self: self.model.live())
    @rule(which=st.integers(0, 50), later=_LATER)
    def message(self, which: int, later: bool) -> None:
        self._touch(self._pick(which), "message", later)

    @precondition(lambda self: self.model.live())
    @rule(which=st.integers(0, 50), later=_LATER)
    def rename(self, which: int, later: bool) -> None:
        self._touch(self._pick(which), "rename", later)

    @precondition(lambda self: self.model.live())
    @rule(which=st.integers(0, 50))
    def delete(self, which: int) -> None:
        conversation = self._pick(which)
        name, cid = conversation.user, conversation.id
        step = self._begin(f"delete conversation {cid} of user {name!r}, list the user, then use it as last_id")
        self._accepted(self._write(step, lambda: self.api.delete(name, cid)), "delete")
        self.model.deleted(cid)
        self.context.writes.ledger.forget(name, cid)
        remaining = len(self.model.live(name))
        # A page exactly as long as what is left: has_more must be false, whatever was deleted.
        self._observe(step, name, None, limit=remaining if self.contract.limit.in_range(remaining) else None)
        exchange = self.api.list(user=name, last_id=cid, sort_by=self.observe_sort)
        step.exchanges.append(exchange)
        self._judge(judge_page(self._predict(name, self.observe_sort, None, cid), exchange))

    @rule(user=st.integers(0, 2), limit=st.integers(0, 20), sort=st.integers(0, 8), cursor=st.integers(0, 60))
    def list_page(self, user: int, limit: int, sort: int, cursor: int) -> None:
        name = self.users[user]
        limit_value, sort_by = self.limits[limit % len(self.limits)], self.sorts[sort % len(self.sorts)]
        # Cursors in the order the machine made them (not as listed: ties are ordered by random ids).
        pool = [c for c in self.model.conversations if c in self.pool]
        last_id = pool[(cursor - 1) % len(pool)] if cursor and pool else None
        step = self._begin(f"list user {name!r} with limit={limit_value}, sort_by={sort_by}, last_id={last_id}, "
                           "twice")
        first = self.api.list(user=name, limit=limit_value, sort_by=sort_by, last_id=last_id)
        second = self.api.list(user=name, limit=limit_value, sort_by=sort_by, last_id=last_id)
        step.exchanges += [first, second]
        prediction = self._predict(name, sort_by, limit_value, last_id)
        self._seen(first)
        self._judge(self._judged_page(step, prediction, first, sort_by, limit_value)
                    + judge_repeat(first, second, prediction.describe()))

    @rule(user=st.integers(0, 2), limit=st.integers(0, 20), sort=st.integers(0, 8))
    def walk(self, user: int, limit: int, sort: int) -> None:
        name = self.users[user]
        limit_value, sort_by = self.limits[limit % len(self.limits)], self.sorts[sort % len(self.sorts)]
        step = self._begin(f"walk user {name!r} with limit={limit_value}, sort_by={sort_by}, following last_id")
        sample = self._predict(name, sort_by, limit_value, None)
        try:
            walk = walk_pages(self.api, user=name, sort_by=sort_by, limit=limit_value,
                              effective_sort=sample.sort_value, effective_limit=sample.limit,
                              bound=page_bound(len(self.model.live(name))))
        except Inconclusive as error:
            step.title += f" (not judged: {error})"
            return
        step.exchanges += [p.exchange for p in walk.pages] + ([walk.rejected] if walk.rejected else [])
        for page in walk.pages:
            self._seen(page.exchange)
        self._judge(judge_walk(walk, lambda cursor: self._predict(name, sort_by, limit_value, cursor)))

    def teardown(self) -> None:
        """Delete what this example left; the run-end cleanup retries whatever this could not."""
        if self.story.steps and not self.rejected:
            self.context.undecided_in_a_row = 0
        writes = self.context.writes
        for conversation in self.model.live():
            user, cid = conversation.user, conversation.id
            writes.ledger.delete(self.api, user, cid)  # forgotten only when confirmed; a 404 is the cleanup's
        for name in [u for u in self.users if writes.uncertain(u)]:
            # A create answered 5xx may have made a conversation: into the ledger, for the run-end cleanup.
            exchange = self.api.list(user=name, limit=self.page_max, kind="cleanup-read")
            writes.reconcile(name, _listed_ids(exchange), self.model.conversations)

    # -- steps ------------------------------------------------------------------------------------

    def _touch(self, conversation: Conversation, action: str, later: bool) -> None:
        name, cid = conversation.user, conversation.id
        step = self._begin(f"{'send a message to' if action == 'message' else 'rename'} conversation {cid} of user "
                           f"{name!r}" + (" in a later second than every write before" if later else ""))
        clock = self.context.clock
        if later and self.model.floor is not None:
            step.waited_s = clock.wait_past(self.model.floor)
        # Strictly later when the machine waited, or when enough time passed on its own.
        strict = self.model.floor is not None and (later or clock.passed(self.model.floor))
        text = f"dify-conformance lifecycle, step {len(self.story.steps)}"
        send: Callable[[], Exchange] = ((lambda: self.api.send_message(name, cid, text)) if action == "message"
                                        else (lambda: self.api.rename(name, cid, text)))
        exchange = self._accepted(self._write(step, send), action)
        self.context.clock.wrote(_answered_at(exchange))
        pending = self.model.touched(cid, "message" if action == "message" else "rename", strict=strict)
        self._observe(step, name, pending)

    def _observe(self, step: Step, user: str, pending: Pending | None, *, limit: int | None = None,
                 created: Exchange | None = None) -> None:
        """List the user right after a write: the write shows, and the model learns its timestamps."""
        limit = limit or self.page_max
        exchange = self._retrying(lambda: self.api.list(user=user, limit=limit, sort_by=self.observe_sort),
                                  attempts=_LIST_ATTEMPTS)
        step.exchanges.append(exchange)
        body = exchange.json_or_none() if exchange.status_code == 200 else None
        items = body.get("data") if isinstance(body, dict) else None
        if not isinstance(items, list):
            self._undecided(f"the list after the write was answered {exchange.status_code} without items")
        if self.context.writes.uncertain(user):
            # A create answered 5xx made its conversation after all: the user is this example's alone.
            for cid in self.context.writes.reconcile(user, _listed_ids(exchange), self.model.conversations):
                self.model.created(user, cid, strict=False)
        self.model.learn(user, items)
        self._seen(exchange)
        if created is not None and pending is not None:
            item = next((i for i in items if isinstance(i, dict) and i.get("id") == pending.conversation_id), {})
            if isinstance(item.get("created_at"), int):
                self.context.clock.learned(item["created_at"], _answered_at(created))
        prediction = self._predict(user, self.observe_sort, limit, None)
        found = judge_pending(pending, prediction, exchange) if pending is not None else []
        self._judge(found + self._judged_page(step, prediction, exchange, self.observe_sort, limit))

    # -- helpers ----------------------------------------------------------------------------------

    def _begin(self, title: str) -> Step:
        self.context.steps += 1
        return self.story.begin(title)

    def _pick(self, which: int) -> Conversation:
        live = self.model.live()
        return live[which % len(live)]

    def _predict(self, user: str, sort_by: str | None, limit: int | None, cursor: str | None) -> Prediction:
        contract = self.contract
        return self.model.predict(
            user, sort_value=sort_by if sort_by is not None else (contract.sort.default or ""),
            limit=limit if limit is not None else (contract.limit.default or self.page_max), cursor=cursor,
            sort_explicit=sort_by is not None, limit_explicit=limit is not None)

    def _seen(self, exchange: Exchange) -> None:
        body = exchange.json_or_none() if exchange.status_code == 200 else None
        data = body.get("data") if isinstance(body, dict) else None
        for item in data if isinstance(data, list) else []:
            if isinstance(item, dict) and isinstance(item.get("id"), str):
                self.pool.setdefault(item["id"])

    def _write(self, step: Step, send: Callable[[], Exchange]) -> Exchange:
        """A message, rename or delete, by the run's one retry rule; every try is in the story."""
        def attempt() -> Exchange:
            exchange = send()
            step.exchanges.append(exchange)
            return exchange

        return self.context.writes.retrying(attempt)

    def _judged_page(self, step: Step, prediction: Prediction, exchange: Exchange, sort_by: str | None,
                     limit: int | None) -> list[Violation]:
        """judge_page; when has_more claims more than the model knows of, the next page says why: a
        deleted conversation still listed there is the cause (DATA-01), not has_more (PAGE-02)."""
        found = judge_page(prediction, exchange)
        body = exchange.json_or_none()
        data = body.get("data") if isinstance(body, dict) else None
        last = data[-1].get("id") if isinstance(data, list) and data and isinstance(data[-1], dict) else None
        if not isinstance(last, str) or not any(claims_more(v) for v in found):
            return found
        follow = self.api.list(user=prediction.user, limit=limit, sort_by=sort_by, last_id=last)
        step.exchanges.append(follow)
        revealed = [v for v in judge_page(self._predict(prediction.user, sort_by, limit, last), follow)
                    if v.requirement == Req.DATA_01]
        return [v for v in found if not claims_more(v)] + revealed if revealed else found

    @staticmethod
    def _retrying(send: Callable[[], Exchange], attempts: int = WRITE_ATTEMPTS) -> Exchange:
        return retrying_write(send, attempts)

    def _accepted(self, exchange: Exchange, action: str) -> Exchange:
        if exchange.status_code is None or not 200 <= exchange.status_code < 300:
            self._undecided(f"the {action} was answered {exchange.status_code or exchange.error}")
        return exchange

    def _undecided(self, why: str) -> NoReturn:
        """The target would not take a write or list it: this example cannot be judged (the others
        still are); when no example can be, the check ends inconclusive instead of trying forever."""
        self.rejected = True
        self.context.undecided_examples += 1
        self.context.undecided_in_a_row += 1
        if self.context.undecided_in_a_row >= _UNDECIDED_IN_A_ROW:
            inconclusive(f"{self.context.undecided_in_a_row} sequences in a row could not be judged; the last "
                         f"because {why} (see ROBUST-01)")
        hypothesis.note(f"example discarded: {why}")
        hypothesis.reject()

    def _judge(self, found: list[Violation]) -> None:
        kept = first_of_each(found)
        if not kept:
            return
        failed = " ".join(sorted({v.requirement for v in kept}))
        self.context.stories[failed] = self.story.render(seed=self.context.seed, failed=failed)
        self.context.found.setdefault(failed, kept)
        raise self.context.failure_type(failed)(kept)


def _listed_ids(exchange: Exchange) -> list[str]:
    """The conversation ids of a list's 200 answer, in its order (none for any other answer)."""
    body = exchange.json_or_none() if exchange.status_code == 200 else None
    data = body.get("data") if isinstance(body, dict) else None
    ids = [i.get("id") for i in data if isinstance(i, dict)] if isinstance(data, list) else []
    return [i for i in ids if isinstance(i, str)]


def _answered_at(exchange: Exchange) -> float:
    return exchange.started_at + exchange.elapsed_s


class _BudgetSpent(BaseException):
    """Raised when the machine would start a sequence past its budget: a BaseException, so hypothesis
    lets it through (as it does an interrupt) instead of taking it for a failure to shrink."""


def run_lifecycle(context: LifecycleContext, *, examples: int, steps: int, runs: int | None = None) -> None:
    """Run the machine under the run's seed, for ``examples`` sequences of at most ``steps`` steps, and
    at most ``runs`` sequences in all (those hypothesis discards, and the replays of shrinking, count):
    the cost is bounded in work, whatever the target's speed. A failure carries its story as a note."""
    machine = type("LifecycleMachine", (LifecycleMachine,), {"context": context})
    hypothesis.seed(context.seed)(machine)
    budget = hypothesis.settings(max_examples=examples, stateful_step_count=steps, derandomize=False)
    context.runs = runs
    try:
        run_state_machine_as_test(machine, settings=budget)
    except _BudgetSpent:
        # The budget ended generation or shrinking: what was seen stands, with the shortest story seen.
        if context.found:
            failed, violations = next(iter(context.found.items()))
            failure = context.failure_type(failed)(violations)
            failure.add_note("Falsifying example (the lifecycle's budget of sequences ended the search)")
            failure.add_note(context.stories[failed])
            raise failure from None
        if context.examples == context.undecided_examples:
            inconclusive(f"none of the {context.examples} sequences the budget allows could be judged (see "
                         "ROBUST-01)")
    except hypothesis.errors.Flaky as error:
        # The target did deviate, but a replay went otherwise (its seconds fell differently, so ties and
        # waits changed): what was seen is still a violation, reported with the story that showed it.
        if not context.found:  # nothing was seen to deviate: undecided, never blamed on every requirement
            inconclusive(f"the lifecycle could not be replayed consistently ({type(error).__name__}): the "
                         "target's answers depend on more than the steps (timing, or failures at random)")
        failed, violations = next(iter(context.found.items()))
        failure = context.failure_type(failed)(violations)
        failure.add_note(f"Falsifying example (hypothesis could not replay it: {type(error).__name__})")
        failure.add_note(context.stories[failed])
        raise failure from None
    except BaseException as error:
        for requirements in _failed_requirements(error):
            story = context.stories.get(requirements)
            if story:
                error.add_note(story)
        raise


def _failed_requirements(error: BaseException) -> list[str]:
    if isinstance(error, BaseExceptionGroup):
        return [r for inner in error.exceptions for r in _failed_requirements(inner)]
    found = getattr(type(error), "requirements", None)
    return [found] if isinstance(found, str) else []
