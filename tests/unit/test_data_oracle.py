"""DATA-01 and DATA-02 judged over hand-made pages (oracles/data.py)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from conformance.oracles import Inconclusive
from conformance.oracles.data import MISSING_AFTER_CREATE, created_not_listed, deleted_still_listed, moved_up_violations
from conformance.spec.catalogue import Req

from .conftest import exchange, item, parse_page


def answer(*items):
    return exchange(200, {"limit": 20, "has_more": False, "data": list(items)})


def update(cid, before, action="message"):
    return SimpleNamespace(conversation_id=cid, action=action, updated_at_before=before)


def judged(updates, *items, deleted=(), ordered=True):
    listed = answer(*items)
    return [v.requirement for v in moved_up_violations(updates, parse_page(listed), listed, deleted=set(deleted),
                                                       ordered_by_updated=ordered)]


def test_a_created_conversation_is_listed_and_a_deleted_one_is_not():
    last = answer(item("c1", 1))
    assert created_not_listed("c1", "carol", ["c1"], last) == []
    (missing,) = created_not_listed("c2", "carol", ["c1"], last)
    assert missing.requirement == Req.DATA_01 and MISSING_AFTER_CREATE in missing.message
    assert deleted_still_listed("c2", 204, ["c1"], last) == []
    (undead,) = deleted_still_listed("c1", 204, ["c1"], last)
    assert undead.requirement == Req.DATA_01 and "answered 204" in undead.message


def test_updated_conversations_that_advanced_and_lead_pass():
    assert judged([update("u1", 10), update("u2", 10, "rename")],
                  item("u1", 10, 20), item("u2", 10, 20), item("c1", 11, 11)) == []


def test_an_updated_at_that_did_not_advance_is_data_02():
    assert judged([update("u1", 10)], item("u1", 10, 10), item("c1", 9, 9), ordered=False) == ["DATA-02"]


def test_an_updated_conversation_behind_an_older_one_is_data_02_deleted_ones_do_not_count():
    assert judged([update("u1", 10)], item("c1", 5, 5), item("u1", 10, 20), item("c2", 4, 4)) == ["DATA-02"]
    assert judged([update("u1", 10)], item("d1", 5, 5), item("u1", 10, 20), item("c2", 4, 4), deleted={"d1"}) == []


def test_ties_with_the_updates_second_may_come_first():
    assert judged([update("u1", 10)], item("c1", 20, 20), item("u1", 10, 20), item("c2", 5, 5)) == []


def test_nothing_to_judge_without_integer_updated_at_is_inconclusive_owned_by_the_schema():
    with pytest.raises(Inconclusive) as caught:
        judged([update("u1", None)], {**item("u1", 10), "updated_at": "soon"})
    assert caught.value.owners == (Req.SCHEMA_01, Req.SCHEMA_02)


def test_a_page_ending_among_ties_of_the_updates_second_leaves_the_missing_one_undecided():
    with pytest.raises(Inconclusive, match="may still follow"):
        judged([update("u1", 10), update("u2", 10)], item("u1", 10, 20), item("c1", 20, 20))
