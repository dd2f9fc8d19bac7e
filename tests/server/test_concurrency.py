"""Parallel writes and reads: nothing lost, nothing duplicated, no server error."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from conformance.server.process import ReferenceServer
from tests.server_client import ServerClient


def test_parallel_creations_and_listings(server: ReferenceServer, user: str) -> None:
    local = threading.local()
    clients: list[ServerClient] = []
    lock = threading.Lock()
    statuses: list[int] = []

    def client() -> ServerClient:  # one session per thread: requests sessions are not thread-safe
        if not hasattr(local, "api"):
            local.api = ServerClient(server.base_url, server.api_key)
            with lock:
                clients.append(local.api)
        api: ServerClient = local.api
        return api

    def create(n: int) -> str:
        return str(client().create(user, f"parallel {n}")["conversation_id"])

    def listing(n: int) -> None:
        response = client().list_raw({"user": user, "limit": str(1 + n % 10), "sort_by": "-created_at"})
        with lock:
            statuses.append(response.status_code)

    try:
        with ThreadPoolExecutor(8) as pool:
            created = pool.map(create, range(40))
            listed = pool.map(listing, range(40))
            ids = list(created)
            list(listed)
        assert len(set(ids)) == 40
        assert set(statuses) == {200}
        api = client()
        for limit in (1, 7, 100):
            visited = [i["id"] for page in api.walk(user, limit=limit) for i in page["data"]]
            assert sorted(visited) == sorted(ids)
    finally:
        for api in clients:
            api.close()
