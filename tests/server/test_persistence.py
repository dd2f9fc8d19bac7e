"""A file database survives a restart of the server."""

from __future__ import annotations

from pathlib import Path

from conformance.server.process import ReferenceServer
from tests.server_client import ServerClient


def test_file_database_survives_a_restart(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'reference.db'}"
    with ReferenceServer(["persist-key"], db_url=db_url) as first, \
            ServerClient(first.base_url, first.api_key) as api:
        ids = [api.create("keeper", f"kept {n}")["conversation_id"] for n in range(3)]
        api.rename("keeper", ids[0], "renamed before the restart")
        api.delete("keeper", ids[2])
        before = api.page(user="keeper")
    with ReferenceServer(["persist-key"], db_url=db_url) as second, \
            ServerClient(second.base_url, second.api_key) as api:
        after = api.page(user="keeper")
        assert after == before
        assert {item["id"] for item in after["data"]} == set(ids[:2])
        assert any(item["name"] == "renamed before the restart" for item in after["data"])
        api.message("keeper", ids[1])  # and it is writable again
    with ReferenceServer(["another-key"], db_url=db_url) as third, \
            ServerClient(third.base_url, third.api_key) as api:
        assert api.page(user="keeper")["data"] == []  # the data belongs to the app of its key
