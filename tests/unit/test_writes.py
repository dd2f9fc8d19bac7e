"""The one rule for writes of test data (data/writes.py): a 5xx or no answer is tried again, an unsent
request is not; every try of a create is journaled before it is sent; creates whose try may have made a
conversation unsaid are counted per user and reconciled against a listing, all or none."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from conformance.data.ledger import CreatedLedger
from conformance.data.writes import NO_WRITES, NotInThisRun, SeedingError, Writes, retrying_write
from conformance.model.exchange import Exchange
from conformance.run.executor import PROVIDERS

USER = "dify-conformance-t-alice"


def answer(status: int | None, conversation_id: str | None = None, *, attempts: int = 1) -> Exchange:
    body = f'{{"conversation_id": "{conversation_id}"}}'.encode() if conversation_id else b"{}"
    return Exchange(kind="create", method="POST", base_url="http://t/v1", path="/chat-messages", status_code=status,
                    response_headers=(("Content-Type", "application/json"),), body=body if status else b"",
                    attempts=attempts, error=None if status else "connection reset")


class Journal:
    """Records what the ledger writes down, and in which order against the requests sent."""

    def __init__(self, events: list[str]) -> None:
        self.events = events

    def create(self, user: str, app: str) -> None:
        self.events.append(f"journal create {user}")

    def created(self, user: str, conversation_id: str, app: str) -> None:
        self.events.append(f"journal created {conversation_id}")

    def deleted(self, user: str, conversation_id: str, app: str) -> None:
        self.events.append(f"journal deleted {conversation_id}")


class ScriptedApi:
    """A Service API whose creates are answered from a script, each call noted in ``events``."""

    def __init__(self, answers: list[Exchange], events: list[str]) -> None:
        self.answers = list(answers)
        self.events = events

    def create_conversation(self, user: str, query: str) -> Exchange:
        self.events.append(f"sent {query}")
        return self.answers.pop(0)


def writes_with(*answers: Exchange) -> tuple[Writes, CreatedLedger, list[str]]:
    events: list[str] = []
    ledger = CreatedLedger(Journal(events))
    return Writes(ScriptedApi(list(answers), events), ledger), ledger, events


def test_a_create_is_journaled_before_each_try_and_retried_after_a_server_error():
    writes, ledger, events = writes_with(answer(503), answer(200, "c1"))
    assert writes.new_conversation(USER, "x #1") == "c1"
    assert events == [f"journal create {USER}", "sent dify-conformance test data: x #1",
                      f"journal create {USER}", "sent dify-conformance test data: x #1", "journal created c1"]
    assert ledger.items() == [(USER, "c1")]
    assert writes.uncertain(USER) == 1  # the 503's try may have made one


def test_no_answer_is_uncertain_too_but_a_refusal_is_final_and_not_retried():
    writes, ledger, _ = writes_with(answer(None), answer(400))
    with pytest.raises(SeedingError, match="could not create a conversation in the other app: "):
        writes.new_conversation(USER, "x", where=" in the other app")
    assert writes.uncertain(USER) == 1 and ledger.items() == []


def test_an_unsent_create_is_neither_retried_nor_uncertain_nor_unanswered():
    writes, ledger, events = writes_with(answer(None, attempts=0))
    exchange = writes.create(USER, lambda: writes.api.create_conversation(USER, "q"))
    assert exchange.attempts == 0 and events.count("sent q") == 1
    assert writes.uncertain(USER) == 0 and ledger.unanswered() == {}


def test_an_interrupted_run_creates_nothing():
    writes, _, events = writes_with(answer(200, "c1"))
    writes.stop.set()
    with pytest.raises(SeedingError, match="interrupted"):
        writes.new_conversation(USER, "x")
    assert events == []


def test_reconciling_claims_the_unknown_listed_ones_when_the_uncertain_creates_explain_them_all():
    writes, ledger, _ = writes_with(answer(503), answer(503), answer(200, "c1"))
    writes.new_conversation(USER, "x")
    assert writes.uncertain(USER) == 2
    assert writes.reconcile(USER, ["c1", "u1", "u1"], known={"c1"}) == ["u1"]
    assert (USER, "u1") in ledger.items() and writes.uncertain(USER) == 1
    assert writes.reconcile(USER, ["c1", "u1"], known={"c1", "u1"}) == []  # nothing unknown left


def test_reconciling_claims_none_when_more_are_unknown_than_the_creates_could_have_made():
    writes, ledger, _ = writes_with(answer(503), answer(200, "c1"))
    writes.new_conversation(USER, "x")
    assert writes.reconcile(USER, ["c1", "u1", "u2"], known={"c1"}) == []
    assert ledger.items() == [(USER, "c1")] and writes.uncertain(USER) == 1


def test_uncertain_creates_are_counted_per_user():
    writes, _, _ = writes_with(answer(503), answer(200, "t1"))
    writes.new_conversation("someone-else", "x")
    assert writes.reconcile(USER, ["u1"], known=set()) == []  # another user's doubt explains nothing here


def test_retrying_write_stops_at_an_answer_and_at_an_unsent_request():
    sent: list[Exchange] = []

    def send(answers: list[Exchange]) -> Exchange:
        sent.append(answers.pop(0))
        return sent[-1]

    script = [answer(500), answer(200, "c")]
    assert retrying_write(lambda: send(script)).status_code == 200 and len(sent) == 2
    sent.clear()
    script = [answer(None, attempts=0), answer(200, "c")]
    assert retrying_write(lambda: send(script)).attempts == 0 and len(sent) == 1
    sent.clear()
    script = [answer(500) for _ in range(3)]
    assert retrying_write(lambda: send(script), attempts=3).status_code == 500 and len(sent) == 3


def test_a_run_without_writes_answers_why_in_the_words_of_the_executor():
    read_only = SimpleNamespace(seeder=None)
    assert PROVIDERS["writes"](read_only) is NO_WRITES
    assert isinstance(NO_WRITES, NotInThisRun)
    assert NO_WRITES.reason == "read-only run: this requirement needs writes to the target"
    seeded = SimpleNamespace(seeder=SimpleNamespace(writes="the seeder's writes"))
    assert PROVIDERS["writes"](seeded) == "the seeder's writes"
