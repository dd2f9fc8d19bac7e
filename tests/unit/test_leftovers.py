"""A delete is confirmed or reported: a 404 is "already gone" only after an attempt that may have done it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from conformance.data import leftovers
from conformance.data.leftovers import delete_confirmed


@dataclass
class Answer:  # the three things delete_confirmed reads of an Exchange
    status_code: int | None
    attempts: int = 1  # 0: never sent (refused by the client)

    def describe(self) -> str:
        return f"DELETE answered {self.status_code}"


def answers(*statuses: int | None) -> Callable[[], Answer]:
    queue = list(statuses)
    return lambda: Answer(queue.pop(0))


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(leftovers.time, "sleep", lambda _s: None)


def test_a_404_to_the_first_attempt_is_a_leftover_not_a_success() -> None:
    outcome = delete_confirmed(answers(404))  # type: ignore[arg-type]
    assert not outcome.deleted and outcome.final and "404" in outcome.reason and "lost track" in outcome.reason


def test_a_404_after_a_5xx_or_no_answer_is_the_earlier_attempts_success() -> None:
    assert delete_confirmed(answers(503, 404)).deleted  # type: ignore[arg-type]
    assert delete_confirmed(answers(None, 404)).deleted  # type: ignore[arg-type]


def test_a_delete_never_sent_is_not_tried_again_nor_taken_for_a_success() -> None:
    sends = [Answer(None, attempts=0), Answer(404)]
    outcome = delete_confirmed(lambda: sends.pop(0))  # type: ignore[arg-type,return-value]
    assert not outcome.deleted and len(sends) == 1  # the 404 was never asked for


def test_other_failures_are_reported_and_retryable() -> None:
    outcome = delete_confirmed(answers(*[500] * 9))  # type: ignore[arg-type]
    assert not outcome.deleted and not outcome.final and "500" in outcome.reason
    refused = delete_confirmed(answers(403))  # type: ignore[arg-type]
    assert not refused.deleted and not refused.final and "403" in refused.reason
    assert delete_confirmed(answers(204)).deleted  # type: ignore[arg-type]
