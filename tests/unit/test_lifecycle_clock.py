"""The lifecycle machine's clock, story and answer parsing, without HTTP or real sleeping."""

from __future__ import annotations

import json
import threading

import pytest

from conformance.data.clock import SecondClock
from conformance.http.api import conversation_id_of
from conformance.model.exchange import Exchange
from conformance.spec.catalogue import Req
from conformance.suite.lifecycle.story import Story


class FakeTime:
    def __init__(self, now: float) -> None:
        self.now = now
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now


class FakeStop(threading.Event):
    """Sleeping advances the fake clock instead of the real one."""

    def __init__(self, time: FakeTime) -> None:
        super().__init__()
        self.time = time

    def wait(self, timeout: float | None = None) -> bool:
        self.time.slept.append(timeout or 0.0)
        self.time.now += timeout or 0.0
        return False


def clock_at(now: float) -> tuple[SecondClock, FakeTime]:
    time = FakeTime(now)
    return SecondClock(now=time, stop=FakeStop(time)), time


def test_no_wait_without_an_earlier_write():
    clock, time = clock_at(1000.2)
    assert clock.wait_past(None) == 0.0 and clock.wait_past(999) == 0.0 and time.slept == []


def test_without_an_offset_known_the_wait_is_a_second_and_a_half_after_the_last_write():
    clock, time = clock_at(1000.3)
    clock.wrote(1000.25)  # dated 1001 if the target rounds (1000.5 and later round up)
    assert clock.wait_past(1000) == pytest.approx(1000.25 + 1.5 - 1000.3 + 0.05)
    assert clock.waits == 1 and time.now > 1001.75


def test_a_known_offset_shortens_the_wait_to_the_targets_next_second():
    clock, time = clock_at(1000.30)
    clock.learned(1000, 1000.02)  # dated 1000, answered at our 1000.02: offset >= -0.52 (it may round)
    clock.wrote(1000.28)
    waited = clock.wait_past(1000)
    assert waited == pytest.approx(1001.52 - 1000.30 + 0.05) and time.now >= 1001.52


def test_the_target_clock_ahead_of_ours_waits_less():
    clock, time = clock_at(1000.10)
    clock.learned(1001, 1000.05)  # the target is at least 0.45 s ahead (0.95 if it truncates)
    clock.wrote(1000.08)
    assert clock.wait_past(1001) == pytest.approx(1001 + 1 - 0.45 - 1000.10 + 0.05)


@pytest.mark.parametrize("offset", [-0.7, -0.2, 0.0, 0.3, 0.9])
@pytest.mark.parametrize("created_at", [0.05, 0.3, 0.49, 0.5, 0.8, 0.97])
def test_a_later_second_is_certain_under_truncation_rounding_and_a_mix(offset, created_at):
    """A create at our 1000 + created_at, dated by rounding (the worst reading), then a write dated by
    truncation once the clock says the second passed: the write's second is later in every reading."""
    import math

    clock, time = clock_at(1000.0 + created_at + 0.01)
    server_moment = 1000.0 + created_at + offset
    for dated in (round(server_moment), math.floor(server_moment)):
        clock, time = clock_at(1000.0 + created_at + 0.01)
        clock.learned(dated, 1000.0 + created_at + 0.01)
        clock.wrote(1000.0 + created_at + 0.01)
        clock.wait_past(dated)
        assert clock.passed(dated)
        assert math.floor(time.now + offset) > dated and round(time.now + offset) > dated


def test_no_wait_when_the_second_has_passed_already():
    clock, time = clock_at(1003.5)
    clock.wrote(1001.9)
    assert clock.passed(1001) and clock.wait_past(1001) == 0.0 and time.slept == []
    assert not clock_at(1002.0)[0].passed(1001)  # nothing written: nothing known


def test_implausible_seconds_teach_nothing():
    clock, _ = clock_at(1_800_000_000.0)
    clock.learned(1_800_000_000_000, 1_800_000_000.0)  # milliseconds
    assert clock.offset_low is None


def test_a_stopped_run_interrupts_the_wait():
    stop = threading.Event()
    stop.set()
    clock = SecondClock(now=lambda: 1000.5, stop=stop)
    clock.wrote(1000.4)
    with pytest.raises(InterruptedError):
        clock.wait_past(1000)


def _answer(body: bytes, content_type: str = "application/json", status: int = 200) -> Exchange:
    return Exchange(kind="create", method="POST", base_url="http://t/v1", path="/chat-messages", status_code=status,
                    response_headers=(("Content-Type", content_type),), body=body,
                    request_headers=(("Authorization", "Bearer ${DIFY_API_KEY}"),), request_body='{"user": "u"}')


def test_the_conversation_id_of_blocking_and_streaming_answers():
    assert conversation_id_of(_answer(json.dumps({"conversation_id": "c-1"}).encode())) == "c-1"
    stream = (b'data: {"event": "workflow_started", "conversation_id": "c-2"}\n\n'
              b'data: {"event": "message", "conversation_id": "c-2", "answer": "hi"}\n\n')
    assert conversation_id_of(_answer(stream, "text/event-stream")) == "c-2"
    assert conversation_id_of(_answer(b"event: ping\n\ndata: not json\n\n", "text/event-stream")) is None
    assert conversation_id_of(_answer(b'{"conversation_id": "c-3"}', status=400)) is None


def test_the_story_numbers_steps_with_curl_commands_and_the_seed():
    story = Story()
    story.begin("create a conversation").exchanges.append(_answer(b'{"conversation_id": "c-1"}'))
    later = story.begin("rename it in a later second")
    later.waited_s = 0.6
    later.exchanges.append(_answer(b'{"updated_at": 5}'))
    text = story.render(seed=42, failed=Req.DATA_02)
    assert text.startswith("Falsifying example") and "--seed 42" in text and "DATA-02 at step 2" in text
    assert "  1. create a conversation" in text and "  2. rename it in a later second (after waiting 0.60 s" in text
    assert text.count("curl -sS -X POST") == 2 and '"Authorization: Bearer ${DIFY_API_KEY}"' in text
    assert "waited 0.60 s in all" in text
