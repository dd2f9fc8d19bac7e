"""The APP-01 oracle over hand-made walks and answers: a foreign item on any page, a shared item in
read-only mode, and another app's conversation as last_id."""

from __future__ import annotations

import pytest

from conformance.oracles import Inconclusive
from conformance.oracles.apps import foreign_cursor_violations, foreign_items_violations, shared_items_violations
from conformance.oracles.walk import Walk
from conformance.spec.catalogue import Req

from .conftest import exchange, item, page

MINE = [item("a1", 3), item("a2", 2), item("a3", 1)]


def walk_of(*chunks, sort="-created_at"):
    pages = tuple(page(chunk, index < len(chunks) - 1, limit=2) for index, chunk in enumerate(chunks))
    return Walk(sort, 2, True, pages, "empty", bound=8)


def test_lists_without_the_other_apps_conversations_pass():
    walks = [walk_of(MINE[:2], MINE[2:], []), walk_of(MINE[2:], MINE[:2], [], sort="created_at")]
    assert foreign_items_violations("this app", "the other app", "u", walks, {"b1", "b2"}) == []


def test_a_foreign_conversation_on_a_later_page_is_app_01_with_that_page():
    walks = [walk_of(MINE[:2], [MINE[2], item("b2", 1)], []), walk_of(MINE[:2], MINE[2:], [], sort="created_at")]
    (found,) = foreign_items_violations("this app", "the other app", "u", walks, {"b1", "b2"})
    assert found.requirement == Req.APP_01
    assert "b2" in found.message and "page 2" in found.message and "-created_at" in found.message
    assert '"b2"' in (found.body_excerpt or "")  # the evidence is the page that holds it


def test_every_walk_that_shows_a_leak_is_reported_once():
    leaky = walk_of([item("b1", 4), item("b2", 4)], MINE[:2], [])
    assert len(foreign_items_violations("this app", "the other app", "u", [leaky, leaky], {"b1", "b2"})) == 2


def test_read_only_lists_must_be_disjoint():
    walks = [walk_of(MINE[:2], MINE[2:], [])]
    assert shared_items_violations("this app", "the other app", "u", walks, {"x1", "x2"}) == []
    (found,) = shared_items_violations("this app", "the other app", "u", walks, {"x1", "a3"})
    assert found.requirement == Req.APP_01 and "a3" in found.message and "page 2" in found.message


@pytest.mark.parametrize("status", [400, 404, 422])
def test_another_apps_conversation_refused_as_cursor_passes(status):
    refused = exchange(status, {"code": "not_found", "message": "Last Conversation Not Exists."})
    assert foreign_cursor_violations("this app", "the other app", "u", refused, "b1") == []


def test_another_apps_conversation_served_as_cursor_is_app_01():
    served = exchange(200, {"limit": 20, "has_more": False, "data": [item("a2", 2)]},
                      params=(("user", "u"), ("last_id", "b1")))
    (found,) = foreign_cursor_violations("this app", "the other app", "u", served, "b1")
    assert found.requirement == Req.APP_01 and "answered 200" in found.message and "last_id=b1" in found.request


def test_a_refusal_that_still_carries_data_is_app_01():
    leaky = exchange(404, {"data": [item("a1", 3)]})
    (found,) = foreign_cursor_violations("this app", "the other app", "u", leaky, "b1")
    assert found.requirement == Req.APP_01


@pytest.mark.parametrize("status", [500, 503, None])
def test_a_server_error_or_no_answer_decides_nothing(status):
    answer = exchange(status, {"message": "oops"}) if status else exchange(None, b"")
    with pytest.raises(Inconclusive):
        foreign_cursor_violations("this app", "the other app", "u", answer, "b1")
