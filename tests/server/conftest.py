"""Fixtures of the reference server's tests: real servers on loopback, one per configuration."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from conformance.server.policy import ServerPolicy
from conformance.server.process import ReferenceServer
from tests.server_client import ServerClient

KEY_A = "app-server-tests-key-a"
KEY_B = "app-server-tests-key-b"
# Another database for the shared server, e.g. postgresql+psycopg://user@host/db (default: in-memory SQLite).
TEST_DB = os.environ.get("REFERENCE_SERVER_TEST_DB") or None


@pytest.fixture(scope="session")
def server() -> Iterator[ReferenceServer]:
    """A conforming server with two apps (keys A and B), in-memory database, default policy."""
    with ReferenceServer([KEY_A, KEY_B], db_url=TEST_DB) as running:
        yield running


@pytest.fixture(scope="session")
def optional_user_server() -> Iterator[ReferenceServer]:
    with ReferenceServer([KEY_A], db_url=TEST_DB, policy=ServerPolicy(user_required=False)) as running:
        yield running


@pytest.fixture
def api(server: ReferenceServer) -> Iterator[ServerClient]:
    with ServerClient(server.base_url, KEY_A) as client:
        yield client


@pytest.fixture
def api_b(server: ReferenceServer) -> Iterator[ServerClient]:
    with ServerClient(server.base_url, KEY_B) as client:
        yield client


@pytest.fixture
def user() -> str:
    """A user no other test uses: tests share the session's server."""
    return f"user-{uuid.uuid4().hex[:12]}"
