"""Keyset paging with ties: conversations created several to a second, over several seconds, then
partly updated (messages, renames), walked with every sort value and many limits."""

from __future__ import annotations

import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from conformance.server.policy import DEFAULT_SORT_VALUES, ServerPolicy, split_sort
from conformance.server.process import ReferenceServer
from tests.server_client import ServerClient

POLICY = ServerPolicy()


@dataclass(frozen=True)
class TieData:
    user: str
    truth: dict[str, tuple[int, int]]  # id -> (created_at, updated_at), from the write answers

    def expected(self, sort_by: str) -> list[str]:
        field, descending = split_sort(sort_by)
        index = 0 if field == "created_at" else 1
        return sorted(self.truth, key=lambda cid: (self.truth[cid][index], cid), reverse=descending)


def _next_second() -> None:
    """Sleep into the first tenth of the next wall-clock second, so a burst shares one second."""
    now = time.time()
    time.sleep(1.02 - (now % 1.0))


@pytest.fixture(scope="module")
def tie_data(server: ReferenceServer) -> Iterator[TieData]:
    user = f"ties-{uuid.uuid4().hex[:8]}"
    created: dict[str, int] = {}
    with ServerClient(server.base_url, server.api_key) as api:
        for burst in (8, 8, 9):  # 25 conversations over three seconds
            _next_second()
            for n in range(burst):
                answer = api.create(user, f"tie conversation {len(created) + n}")
                created[answer["conversation_id"]] = answer["created_at"]
        updated = dict(created)
        ids = list(created)
        _next_second()
        for cid in ids[0:24:5]:  # new messages in one second, some conversations of each burst
            updated[cid] = api.message(user, cid)["created_at"]
        _next_second()
        for cid in ids[2:24:6]:  # renames in the next one
            updated[cid] = api.rename(user, cid, f"renamed {cid[:8]}")["updated_at"]
    yield TieData(user, {cid: (created[cid], updated[cid]) for cid in ids})


def test_the_data_has_ties_and_distinct_seconds(tie_data: TieData) -> None:
    per_second = Counter(created for created, _ in tie_data.truth.values())
    assert len(per_second) >= 3, per_second
    assert max(per_second.values()) >= 2, per_second
    touched = [cid for cid, (created, updated) in tie_data.truth.items() if updated > created]
    assert len(touched) >= 6
    assert tie_data.expected("-updated_at") != tie_data.expected("-created_at")


@pytest.mark.parametrize("sort_by", [*DEFAULT_SORT_VALUES, None], ids=str)
@pytest.mark.parametrize("limit", [1, 2, 3, 5, 7, POLICY.limit_max])
def test_walk_visits_every_conversation_once_in_order(api: ServerClient, tie_data: TieData,
                                                       sort_by: str | None, limit: int) -> None:
    pages = api.walk(tie_data.user, sort_by=sort_by, limit=limit)
    effective = sort_by or POLICY.sort_default
    visited = [item["id"] for page in pages for item in page["data"]]
    expected = tie_data.expected(effective)
    assert Counter(visited) == Counter(expected), "every conversation exactly once"
    assert visited == expected, "(field, id) order, ids breaking ties in the same direction"

    field, descending = split_sort(effective)
    values = [item[field] for page in pages for item in page["data"]]
    assert values == sorted(values, reverse=descending)
    for item in (item for page in pages for item in page["data"]):
        assert (item["created_at"], item["updated_at"]) == tie_data.truth[item["id"]]

    remaining = len(expected)
    for page in pages:
        assert page["limit"] == limit
        assert len(page["data"]) == min(limit, remaining)
        remaining -= len(page["data"])
        assert page["has_more"] is (remaining > 0)
    assert remaining == 0


def test_updates_move_conversations_to_the_front(api: ServerClient, tie_data: TieData) -> None:
    first = api.page(user=tie_data.user, sort_by="-updated_at", limit=5)["data"]
    latest = max(updated for _, updated in tie_data.truth.values())
    assert first[0]["updated_at"] == latest
    assert all(item["updated_at"] > item["created_at"] for item in first)


def test_default_limit_and_sort(api: ServerClient, tie_data: TieData) -> None:
    page = api.page(user=tie_data.user)
    assert page["limit"] == POLICY.limit_default
    assert [item["id"] for item in page["data"]] == tie_data.expected(POLICY.sort_default)[:POLICY.limit_default]
    assert page["has_more"] is True
