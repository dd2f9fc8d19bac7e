"""SCHEMA-03's oracles: integer epoch seconds near when a conversation was made, updated after created."""

from __future__ import annotations

from dataclasses import replace

from conformance.oracles.timestamps import (
    EPOCH_FLOOR,
    PLAUSIBLE_AHEAD_S,
    listed_timestamp_violations,
    timestamp_violations,
)
from conformance.spec.catalogue import Req

from .conftest import exchange, item

NOW = 1_800_000_000  # the moment the answer was received, in epoch seconds


def listing(items, status=200, *, started_at=NOW - 1.0, elapsed_s=1.0):
    return replace(exchange(status, {"limit": 20, "has_more": False, "data": list(items)}),
                   started_at=started_at, elapsed_s=elapsed_s)


def requirements(found):
    return [v.requirement for v in found]


def test_listed_times_in_epoch_seconds_pass():
    assert listed_timestamp_violations(listing([item("a", NOW - 60), item("b", NOW - 5, NOW)])) == []


def test_a_listed_time_before_2000_or_more_than_a_day_ahead_is_schema_03():
    (early,) = listed_timestamp_violations(listing([item("a", NOW - 60), item("b", EPOCH_FLOOR - 1)]))
    assert early.requirement is Req.SCHEMA_03 and "conversation b: created_at=" in early.message
    ahead = NOW + PLAUSIBLE_AHEAD_S + 1
    assert requirements(listed_timestamp_violations(listing([item("a", NOW, ahead)]))) == [Req.SCHEMA_03]
    assert listed_timestamp_violations(listing([item("a", NOW, NOW + PLAUSIBLE_AHEAD_S)])) == []


def test_milliseconds_are_caught_by_the_plausible_bound():
    assert requirements(listed_timestamp_violations(listing([item("a", NOW * 1000)]))) == [Req.SCHEMA_03]


def test_without_a_recorded_time_there_is_no_upper_bound():
    assert listed_timestamp_violations(listing([item("a", NOW * 1000)], started_at=0.0, elapsed_s=0.0)) == []


def test_a_listed_update_before_the_creation_is_schema_03_once_per_response():
    found = listed_timestamp_violations(listing([item("a", NOW, NOW - 1), item("b", NOW, NOW - 2)]))
    assert requirements(found) == [Req.SCHEMA_03] and "conversation a: updated_at=" in found[0].message


def test_values_that_are_not_integers_are_left_to_schema_01():
    odd = [{"id": "a", "created_at": "2026-01-01T00:00:00Z", "updated_at": True}, "not an item"]
    assert listed_timestamp_violations(listing(odd)) == []


def test_only_a_page_is_judged():
    assert listed_timestamp_violations(listing([item("a", 5)], status=404)) == []
    assert listed_timestamp_violations(exchange(200, {"data": None})) == []


def test_an_item_of_the_run_must_be_dated_between_its_making_and_its_listing():
    answer = listing([])
    assert timestamp_violations(item("a", NOW - 10), answer, earliest=NOW - 20, latest=NOW) == []
    (before,) = timestamp_violations(item("a", NOW - 30, NOW - 10), answer, earliest=NOW - 20, latest=NOW)
    assert before.requirement is Req.SCHEMA_03
    assert "created_at=" in before.message and "not near the time" in before.message
    assert requirements(timestamp_violations(item("a", NOW - 10, NOW + 5), answer, earliest=NOW - 20,
                                             latest=NOW)) == [Req.SCHEMA_03]


def test_read_only_data_is_held_to_the_epoch_floor_only():
    answer = listing([])
    assert timestamp_violations(item("a", EPOCH_FLOOR + 1), answer, earliest=None, latest=NOW) == []
    assert requirements(timestamp_violations(item("a", EPOCH_FLOOR - 1), answer, earliest=None,
                                             latest=NOW)) == [Req.SCHEMA_03, Req.SCHEMA_03]


def test_milliseconds_say_so_and_an_update_before_the_creation_is_its_own_violation():
    answer = listing([])
    (millis, also_updated) = timestamp_violations(item("a", NOW * 1000, NOW), answer, earliest=NOW - 20, latest=NOW)
    assert "looks like milliseconds" in millis.message
    assert "updated_at" in also_updated.message and "before created_at" in also_updated.message
    assert timestamp_violations({"id": "a", "created_at": "x", "updated_at": None}, answer, earliest=None,
                                latest=NOW) == []
