"""Validation, error bodies, auth, the write operations and odd input, on a conforming server."""

from __future__ import annotations

import json
import socket
import time
import uuid
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conformance.server.process import ReferenceServer
from tests.server_client import ServerClient

_SOME_UUID = "5f0c8a1e-2b7d-4c39-9e41-7a6d3b2c1f08"  # fixed: xdist workers must collect the same ids


def _error(response: requests.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    assert body["code"] == code and body["status"] == status and isinstance(body["message"], str)
    return body


@pytest.mark.parametrize("params", [
    {"limit": "0"}, {"limit": "101"}, {"limit": "-1"}, {"limit": "10" + "0" * 30}, {"limit": "9" * 5000},
    {"limit": "-" + "9" * 5000}, {"limit": "2.5"},
    {"limit": "1e1"}, {"limit": "abc"}, {"limit": " 5"}, {"limit": "\uff15"}, {"limit": "1_0"}, {"limit": "0x10"},
    {"sort_by": "name"}, {"sort_by": "-id"}, {"sort_by": "CREATED_AT"}, {"sort_by": " created_at"},
    {"last_id": "abc"}, {"last_id": _SOME_UUID + "0"}, {"last_id": "{" + _SOME_UUID + "}"},
    {"last_id": _SOME_UUID.replace("-", "")}, {"last_id": "urn:uuid:" + _SOME_UUID},
], ids=lambda params: str(params)[:40])
def test_invalid_parameters_are_400_invalid_param(api: ServerClient, user: str, params: dict[str, str]) -> None:
    _error(api.list_raw({"user": user, **params}), 400, "invalid_param")


@pytest.mark.parametrize("limit", ["1", "100", "+5", "007", "0" * 5000 + "42"], ids=lambda v: v[-8:])
def test_integer_limits_within_bounds_are_served(api: ServerClient, user: str, limit: str) -> None:
    response = api.list_raw({"user": user, "limit": limit})
    assert response.status_code == 200
    assert response.json() == {"limit": int(limit.lstrip("0")), "has_more": False, "data": []}


def test_missing_user_is_400_when_required(api: ServerClient) -> None:
    _error(api.list_raw(), 400, "invalid_param")
    _error(api.list_raw({"user": ""}), 400, "invalid_param")
    _error(api.list_raw({"limit": "5"}), 400, "invalid_param")


def test_unknown_cursor_is_404(api: ServerClient, user: str) -> None:
    body = _error(api.list_raw({"user": user, "last_id": str(uuid.uuid4())}), 404, "not_found")
    assert body["message"] == "Last Conversation Not Exists."


def test_cursor_uuid_in_upper_case_names_the_same_conversation(api: ServerClient, user: str) -> None:
    ids = {api.create(user)["conversation_id"] for _ in range(2)}
    (first,) = api.page(user=user, sort_by="created_at", limit=1)["data"]
    after = api.page(user=user, sort_by="created_at", last_id=first["id"].upper())
    assert [i["id"] for i in after["data"]] == list(ids - {first["id"]})


@pytest.mark.parametrize("authorization", [None, "", "Bearer", "Bearer ", "Bearer wrong-key", "Basic abc",
                                           "Token app-server-tests-key-a", "app-server-tests-key-a"])
def test_bad_or_missing_key_is_401(server: ReferenceServer, authorization: str | None) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    cases: list[tuple[str, str, dict[str, Any] | None]] = [
        ("GET", "/conversations?user=u", None),
        ("POST", "/chat-messages", {"query": "q", "user": "u", "inputs": {}}),
        ("POST", f"/conversations/{uuid.uuid4()}/name", {"name": "n", "user": "u"}),
        ("DELETE", f"/conversations/{uuid.uuid4()}", {"user": "u"}),
    ]
    for method, path, body in cases:
        response = requests.request(method, server.base_url + path, json=body, headers=headers, timeout=10)
        body_seen = _error(response, 401, "unauthorized")
        assert "data" not in body_seen


def test_bearer_scheme_is_case_insensitive(server: ReferenceServer, user: str) -> None:
    response = requests.get(f"{server.base_url}/conversations", params={"user": user}, timeout=10,
                            headers={"Authorization": f"bearer {server.api_key}"})
    assert response.status_code == 200


def test_create_and_list_shape(api: ServerClient, user: str) -> None:
    before = int(time.time())
    answer = api.create(user, "What is   the weather like in Kyoto this week, please?")
    assert answer["event"] == "message" and answer["mode"] == "advanced-chat"
    assert answer["id"] == answer["message_id"]
    for name in ("task_id", "message_id", "conversation_id"):
        uuid.UUID(answer[name])
    assert isinstance(answer["answer"], str) and answer["metadata"]["usage"]["total_tokens"] > 0
    page = api.list_raw({"user": user})
    assert page.headers["content-type"] == "application/json"
    body = page.json()
    assert body["limit"] == 20 and body["has_more"] is False
    (item,) = body["data"]
    assert set(item) == {"id", "name", "inputs", "status", "introduction", "created_at", "updated_at"}
    assert item["id"] == answer["conversation_id"]
    assert item["name"] == "What is the weather like in Ky"
    assert item["inputs"] == {} and item["status"] == "normal" and item["introduction"] == ""
    assert before <= item["created_at"] == item["updated_at"] <= int(time.time())


def test_inputs_are_stored(api: ServerClient, user: str) -> None:
    response = api.send(user, "with inputs", inputs={"city": "Kyoto", "days": 3, "flag": True})
    assert response.status_code == 200
    assert api.page(user=user)["data"][0]["inputs"] == {"city": "Kyoto", "days": 3, "flag": True}


def test_auto_generate_name_false(api: ServerClient, user: str) -> None:
    assert api.send(user, "a query", auto_generate_name=False).status_code == 200
    assert api.page(user=user)["data"][0]["name"] == "New conversation"


def test_streaming_answer_carries_the_conversation(api: ServerClient, user: str) -> None:
    response = api.send(user, "stream please", response_mode="streaming")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    chunks = [c for c in response.text.split("\n\n") if c]
    events = [json.loads(c.removeprefix("data: ")) for c in chunks]
    assert [e["event"] for e in events] == ["workflow_started", "message", "message", "message_end",
                                            "workflow_finished"]
    conversation_ids = {e["conversation_id"] for e in events}
    assert len(conversation_ids) == 1 and len({e["message_id"] for e in events}) == 1
    (conversation_id,) = conversation_ids
    assert [i["id"] for i in api.page(user=user)["data"]] == [conversation_id]
    again = api.send(user, "more", conversation_id=conversation_id, response_mode="streaming")
    assert again.status_code == 200 and conversation_id in again.text
    assert len(api.page(user=user)["data"]) == 1


@pytest.mark.parametrize("body", [
    {"inputs": {}, "response_mode": "blocking", "user": "u"},  # no query
    {"inputs": {}, "query": "q", "response_mode": "blocking"},  # no user
    {"inputs": {}, "query": "q", "response_mode": "blocking", "user": ""},
    {"inputs": {}, "query": 5, "response_mode": "blocking", "user": "u"},
    {"inputs": {}, "query": "q", "response_mode": "blocking", "user": ["u"]},
    {"inputs": {}, "query": "q", "response_mode": "fast", "user": "u"},
    {"inputs": [], "query": "q", "response_mode": "blocking", "user": "u"},
    {"inputs": {}, "query": "q", "response_mode": "blocking", "user": "u", "auto_generate_name": "yes"},
    {"inputs": {}, "query": "q", "response_mode": "blocking", "user": "u", "conversation_id": "not-a-uuid"},
    {"inputs": {}, "query": "q", "response_mode": "blocking", "user": "u" * 2000},
], ids=range(10))
def test_invalid_chat_messages_are_400(api: ServerClient, body: dict[str, Any]) -> None:
    response = api.session.post(f"{api.base_url}/chat-messages", json=body, timeout=10)
    _error(response, 400, "invalid_param")


@pytest.mark.parametrize("raw", [b"", b"not json", b"[1, 2]", b'"text"', b"{", b'{"query": NaN}',
                                 b'{"query": "\\ud800", "user": "u"}', b'{"query": "q", "user": "u", "x": 1e999}',
                                 b"\xff\xfe\x00", b"[" * 100_000])
def test_malformed_bodies_are_400(api: ServerClient, raw: bytes) -> None:
    for url in (f"{api.base_url}/chat-messages", f"{api.base_url}/conversations/{uuid.uuid4()}/name"):
        response = api.session.post(url, data=raw, headers={"Content-Type": "application/json"}, timeout=10)
        _error(response, 400, "invalid_param")


def test_huge_body_is_413(api: ServerClient) -> None:
    response = api.session.post(f"{api.base_url}/chat-messages", data=b" " * (2 << 20), timeout=10)
    _error(response, 413, "request_entity_too_large")


def test_unknown_conversation_in_chat_is_404(api: ServerClient, user: str) -> None:
    body = _error(api.send(user, conversation_id=str(uuid.uuid4())), 404, "not_found")
    assert body == {"code": "not_found", "message": "Conversation Not Exists.", "status": 404}


def test_new_message_and_rename_advance_updated_at(api: ServerClient, user: str) -> None:
    first = api.create(user, "first")["conversation_id"]
    second = api.create(user, "second")["conversation_id"]
    created = {i["id"]: i["created_at"] for i in api.page(user=user)["data"]}
    time.sleep(1.05 - time.time() % 1.0)
    api.message(user, first)
    page = api.page(user=user, sort_by="-updated_at")["data"]
    assert page[0]["id"] == first and page[0]["updated_at"] > created[first]
    time.sleep(1.05 - time.time() % 1.0)
    renamed = api.rename(user, second, "a new name")
    assert renamed["name"] == "a new name" and renamed["updated_at"] > created[second]
    assert set(renamed) == {"id", "name", "inputs", "status", "introduction", "created_at", "updated_at"}
    page = api.page(user=user, sort_by="-updated_at")["data"]
    assert [i["id"] for i in page] == [second, first]
    assert [i["id"] for i in api.page(user=user, sort_by="-created_at")["data"]] == \
        sorted([first, second], key=lambda c: (created[c], c), reverse=True)


def test_rename_validation(api: ServerClient, user: str) -> None:
    cid = api.create(user, "rename me please")["conversation_id"]
    _error(api.rename_raw(cid, {"name": "x"}), 400, "invalid_param")
    _error(api.rename_raw(cid, {"user": user}), 400, "invalid_param")
    _error(api.rename_raw(cid, {"user": user, "name": "  "}), 400, "invalid_param")
    _error(api.rename_raw(cid, {"user": user, "name": 3}), 400, "invalid_param")
    _error(api.rename_raw(str(uuid.uuid4()), {"user": user, "name": "x"}), 404, "not_found")
    _error(api.rename_raw("not-a-uuid", {"user": user, "name": "x"}), 404, "not_found")
    api.rename(user, cid, "manual")
    auto = api.rename_raw(cid, {"user": user, "auto_generate": True})
    assert auto.status_code == 200 and auto.json()["name"] == "rename me please"


def test_delete_hides_the_conversation(api: ServerClient, user: str) -> None:
    kept, gone = (api.create(user)["conversation_id"] for _ in range(2))
    response = api.delete_raw(gone, {"user": user})
    assert response.status_code == 204 and response.content == b""
    assert [i["id"] for i in api.page(user=user)["data"]] == [kept]
    assert api.list_raw({"user": user, "last_id": gone}).status_code == 404
    _error(api.delete_raw(gone, {"user": user}), 404, "not_found")
    _error(api.rename_raw(gone, {"user": user, "name": "x"}), 404, "not_found")
    _error(api.send(user, conversation_id=gone), 404, "not_found")
    _error(api.delete_raw(kept, {}), 400, "invalid_param")
    _error(api.delete_raw(kept, None), 400, "invalid_param")


def test_unknown_paths_and_methods(api: ServerClient, server: ReferenceServer) -> None:
    root = server.base_url.removesuffix("/v1")
    for url in (f"{root}/", f"{root}/conversations", f"{api.base_url}/nothing", f"{api.base_url}/conversations/",
                f"{api.base_url}/conversations/{uuid.uuid4()}/name/more"):
        _error(api.session.get(url, timeout=10), 404, "not_found")
    _error(api.session.post(f"{api.base_url}/conversations", timeout=10), 405, "method_not_allowed")
    _error(api.session.delete(f"{api.base_url}/conversations", timeout=10), 405, "method_not_allowed")
    _error(api.session.get(f"{api.base_url}/chat-messages", timeout=10), 405, "method_not_allowed")
    _error(api.session.get(f"{api.base_url}/conversations/{uuid.uuid4()}", timeout=10), 405, "method_not_allowed")


@pytest.mark.parametrize("query", [
    b"user=a%00b", b"user=%ff%fe", b"user=\xff", b"user=%ED%A0%80", b"user=x&limit=%00", b"user=x&last_id=%00",
    b"user=x&sort_by=%ff", b"user=x&limit=99999999999999999999999999999999999999", b"user=x&limit=-0",
    b"user=" + b"a" * 60_000, b"user=x&user=y", b"%%%", b"user=x&&&&=&=", b"user=\xe2\x82\xac",
    b"user=%F0%9F%92%A9&limit=1", b"user=x&limit=1e1000",
], ids=range(16))
def test_odd_query_strings_are_never_5xx(server: ReferenceServer, query: bytes) -> None:
    request = (f"GET /v1/conversations?{query.decode('latin-1')} HTTP/1.1\r\nHost: x\r\n"
               f"Authorization: Bearer {server.api_key}\r\nConnection: close\r\n\r\n").encode("latin-1")
    address = urlsplit(server.base_url)
    with socket.create_connection((address.hostname, address.port), timeout=10) as sock:
        sock.sendall(request)
        status_line = sock.makefile("rb").readline()
    status = int(status_line.split()[1])
    assert 200 <= status < 500, status_line


def test_user_optional_policy_serves_the_default_user(optional_user_server: ReferenceServer) -> None:
    with ServerClient(optional_user_server.base_url, optional_user_server.api_key) as api:
        api.create("someone", "not the default user")
        for params in ({}, {"user": ""}, {"limit": "5", "sort_by": "created_at"}):
            response = api.list_raw(params)
            assert response.status_code == 200
            assert response.json()["data"] == []
        assert len(api.page(user="someone")["data"]) == 1
        assert api.list_raw({"user": "default-end-user"}).json()["data"] == []


_ANY_TEXT = st.text(st.characters(codec="utf-8"), max_size=40)
_PARAM_VALUES = st.one_of(_ANY_TEXT, st.integers().map(str), st.floats().map(str), st.uuids().map(str),
                          st.sampled_from(["created_at", "-updated_at", "", " ", "%00", "\x00"]))
_SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | _ANY_TEXT
_JSON = st.recursive(_SCALARS,
                     lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_ANY_TEXT, inner, max_size=3),
                     max_leaves=8)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(params=st.lists(st.tuples(st.sampled_from(["user", "limit", "last_id", "sort_by", "other"]), _PARAM_VALUES),
                       max_size=5))
def test_no_list_query_is_a_server_error(api: ServerClient, params: list[tuple[str, str]]) -> None:
    response = api.list_raw(params)
    assert response.status_code in (200, 400, 404), response.text
    assert response.headers["content-type"] == "application/json"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.one_of(_JSON, st.fixed_dictionaries(
    {"query": _JSON, "user": _JSON}, optional={"inputs": _JSON, "response_mode": _JSON, "conversation_id": _JSON,
                                              "auto_generate_name": _JSON, "files": _JSON, "name": _JSON})))
def test_no_write_body_is_a_server_error(api: ServerClient, body: Any) -> None:
    for response in (api.session.post(f"{api.base_url}/chat-messages", json=body, timeout=10),
                     api.rename_raw(_SOME_UUID, body), api.delete_raw(_SOME_UUID, body)):
        assert 200 <= response.status_code < 500, response.text
