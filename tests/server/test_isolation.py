"""Users are exact strings, scoped per app; apps (API keys) never see each other's data."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from conformance.server.process import ReferenceServer
from tests.server_client import ServerClient


def _near_identical(base: str) -> list[str]:
    return [base, base.upper(), base.capitalize(), base[:-1] + "_", base[:-1] + "%", "%", "_" * len(base),
            base[:-2], base + "x", f" {base}", f"{base} ", base.replace("o", "\u043e"),  # Cyrillic o
            base + "\u00e9", base + "e\u0301", base + "\x00", f"{base}\\", base.replace("-", "\t")]


@pytest.fixture(scope="module")
def own_server() -> Iterator[ReferenceServer]:
    """A server of this module alone: other tests make users at random, "%" among them perhaps."""
    with ReferenceServer() as running:
        yield running


def test_near_identical_users_see_only_their_own(own_server: ReferenceServer) -> None:
    with ServerClient(own_server.base_url, own_server.api_key) as api:
        _check_near_identical_users(api, f"iso-{uuid.uuid4().hex[:6]}")


def _check_near_identical_users(api: ServerClient, crowd: str) -> None:
    users = _near_identical(crowd)
    assert len(set(users)) == len(users)
    owned = {user: api.create(user, f"owned by {user!r}")["conversation_id"] for user in users}
    for user in users:
        for sort_by in ("-updated_at", "created_at"):
            ids = [item["id"] for page in api.walk(user, sort_by=sort_by, limit=1) for item in page["data"]]
            assert ids == [owned[user]], user
    for user in users:  # another user's conversation is no cursor, and cannot be written to
        other = owned[users[0]] if user != users[0] else owned[users[1]]
        response = api.list_raw({"user": user, "last_id": other})
        assert response.status_code == 404
        assert response.json() == {"code": "not_found", "message": "Last Conversation Not Exists.", "status": 404}
        assert api.rename_raw(other, {"name": "x", "user": user}).status_code == 404
        assert api.delete_raw(other, {"user": user}).status_code == 404
        assert api.send(user, conversation_id=other).status_code == 404


def test_api_keys_are_separate_apps(api: ServerClient, api_b: ServerClient, user: str) -> None:
    mine = api.create(user)["conversation_id"]
    theirs = api_b.create(user)["conversation_id"]
    assert [i["id"] for i in api.page(user=user)["data"]] == [mine]
    assert [i["id"] for i in api_b.page(user=user)["data"]] == [theirs]
    assert api.list_raw({"user": user, "last_id": theirs}).status_code == 404
    assert api_b.rename_raw(mine, {"name": "x", "user": user}).status_code == 404
    assert api_b.delete_raw(mine, {"user": user}).status_code == 404
    assert api_b.send(user, conversation_id=mine).status_code == 404
    assert [i["id"] for i in api.page(user=user)["data"]] == [mine]
