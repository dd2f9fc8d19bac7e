"""What the suite writes: only through the documented endpoints, only for its own run-unique users, and
it deletes everything it made, also when the run is interrupted (SIGINT) or the making of the test
data fails half-way. Conversations it did not make are never touched. --read-only sends nothing but
GET /conversations.

Every request goes through a recording proxy in front of the reference server; what is left is read
from the reference server's own database (an SQLite file), not from what the suite says about itself.
"""

from __future__ import annotations

import json
import re
import signal
import sqlite3
import time
from pathlib import Path

import pytest

from tests.server_client import ServerClient

from .conftest import finish, leaks, spawn_cli, tracebacks
from .servers import Request, TestServer, Upstream, json_reply

pytestmark = pytest.mark.slow  # whole runs of the suite against live servers

RUN_USER = re.compile(r"^dify-conformance-([0-9a-f]{8})-")
DOCUMENTED = [
    ("GET", re.compile(r"^/v1/conversations$")),
    ("POST", re.compile(r"^/v1/chat-messages$")),
    ("POST", re.compile(r"^/v1/conversations/[^/]+/name$")),
    ("DELETE", re.compile(r"^/v1/conversations/[^/]+$")),
]


def _created_id(body: bytes) -> str:
    """The conversation a create made: from a blocking JSON answer, or a streaming one's ``data:`` events."""
    text = body.decode("utf-8")
    if not text.startswith("data:"):
        return json.loads(text)["conversation_id"]
    return next(json.loads(line[5:])["conversation_id"] for line in text.splitlines() if line.startswith("data:"))


class RecordedReference:
    """The reference server (database in a file) behind a recording proxy, with other users' data in it."""

    def __init__(self, tmp_path: Path, reference, *, refuse_creations_after: int | None = None) -> None:
        self.db = tmp_path / "reference.db"
        self.server = reference(db_url=f"sqlite:///{self.db}")
        self.upstream = Upstream(self.server.base_url)
        self.refuse_creations_after = refuse_creations_after
        self.created: dict[str, str] = {}  # conversation id -> user, as the target answered the run's creations
        self.creations = 0
        with ServerClient(self.server.base_url, self.server.api_key) as api:
            # Not the run's: another user's, and a leftover of an earlier run with a name like the run's own.
            users = ("someone-else", "someone-else", "dify-conformance-00000000-alice")
            self.foreign = {api.create(user)["conversation_id"] for user in users}
        self.proxy = TestServer(self._app)

    def _app(self, request: Request):
        if request.is_create():
            self.creations += 1
            if self.refuse_creations_after is not None and self.creations > self.refuse_creations_after:
                return json_reply({"code": "invalid_param", "message": "quota exceeded", "status": 400}, 400)
        reply = self.upstream(request)
        if request.is_create() and reply.status == 200:
            self.created[_created_id(reply.body)] = request.user
        return reply

    def live(self) -> dict[str, str]:
        """Conversation id -> owner key of every conversation not deleted, read from the database itself."""
        with sqlite3.connect(self.db) as connection:
            return dict(connection.execute("SELECT id, owner FROM conversations WHERE is_deleted = 0").fetchall())

    def assert_only_documented_writes_of_one_run(self) -> str:
        """Every request documented; every write for users of one run; returns that run's id."""
        runs = set()
        for request in self.proxy.requests:
            assert any(request.method == m and p.match(request.path) for m, p in DOCUMENTED), request.target
            if request.method == "GET":
                continue
            match = RUN_USER.match(request.user or "")
            assert match, f"a write for a user not the run's own: {request.method} {request.target} {request.user}"
            runs.add(match.group(1))
            if request.method == "DELETE" or request.path.endswith("/name"):
                conversation = request.path.split("/")[3]
                assert conversation in self.created, f"{request.method} {request.target}: not a conversation it made"
                assert self.created[conversation] == request.user
        assert len(runs) == 1 and "00000000" not in runs, runs
        return runs.pop()

    def assert_nothing_of_the_run_left(self, run_id: str) -> None:
        live = self.live()
        left = {cid: owner for cid, owner in live.items() if f"dify-conformance-{run_id}" in owner}
        assert not left, f"{len(left)} conversation(s) of the run left behind: {left}"
        assert self.foreign <= set(live), "a conversation the run did not make was deleted"
        assert not set(self.created) & set(live)


@pytest.fixture
def target(tmp_path, reference):
    made = RecordedReference(tmp_path, reference)
    with made.proxy:
        yield made


def test_a_run_writes_only_its_own_data_through_documented_endpoints_and_deletes_it(cli, key, target):
    run = cli("--base-url", target.proxy.base_url, "--seed", "9")
    assert run.exit_code == 0, run.explain()
    run_id = target.assert_only_documented_writes_of_one_run()
    methods = {(r.method, r.path.rsplit("/", 1)[-1] if r.method == "POST" else "") for r in target.proxy.requests}
    assert {("POST", "chat-messages"), ("POST", "name"), ("DELETE", "")} <= methods
    assert len(target.created) > 100
    target.assert_nothing_of_the_run_left(run_id)
    assert not leaks(run, key)


def test_an_interrupted_run_deletes_what_it_made(tmp_path, key, target):
    report_dir = tmp_path / "interrupted" / "reports"
    process = spawn_cli(report_dir, key, "--base-url", target.proxy.base_url, "--seed", "9")
    deadline = time.monotonic() + 60

    def mid_run() -> bool:  # test data being made and checks running
        checks = sum(1 for r in target.proxy.requests if r.method == "GET" and "-gen-" in r.target)
        return len(target.created) >= 30 and checks >= 20

    while not mid_run() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert process.poll() is None, "the run ended before it could be interrupted"
    process.send_signal(signal.SIGINT)  # what Ctrl-C does to the dify-conformance process
    start = time.monotonic()
    run = finish(process, report_dir, timeout=60)
    assert time.monotonic() - start < 30, "the interrupted run took too long to clean up"
    assert len(target.created) >= 30
    run_id = target.assert_only_documented_writes_of_one_run()
    target.assert_nothing_of_the_run_left(run_id)
    assert run.exit_code == 3, run.explain()
    assert run.summary["verdict"] == "error" and "interrupted" in run.summary["reason"], run.explain()
    assert not tracebacks(run.stdout + run.stderr), run.stdout + run.stderr
    assert "KeyboardInterrupt" not in run.stdout + run.stderr, run.stdout + run.stderr
    assert not leaks(run, key)


def test_what_could_not_be_deleted_is_reported(tmp_path, cli, key, reference):
    """The cleanup names every conversation the target would not delete (and deletes all the others)."""
    stubborn = RecordedReference(tmp_path, reference)
    refused: list[str] = []
    forward = stubborn._app

    def app(request):
        conversation = request.path.split("/")[3] if request.method == "DELETE" else None
        if conversation and (conversation in refused or len(refused) < 2):
            if conversation not in refused:
                refused.append(conversation)
            return json_reply({"code": "internal_server_error", "status": 500}, 500)
        return forward(request)

    stubborn.proxy.app = app
    with stubborn.proxy:
        run = cli("--base-url", stubborn.proxy.base_url, "--seed", "9", "--", "-k", "test_auth")
    assert len(refused) == 2
    failures = run.summary["notes"]["cleanup_failed"]["failures"]
    assert len(failures) == 2 and all(any(c in f for f in failures) for c in refused), failures
    assert "cleanup: 2 conversation(s) could not be deleted" in run.stdout, run.stdout
    run_id = stubborn.assert_only_documented_writes_of_one_run()
    left = {cid for cid, owner in stubborn.live().items() if f"dify-conformance-{run_id}" in owner}
    assert left == set(refused), "the cleanup did not delete everything else it made"
    assert not leaks(run, key)


def test_a_seeding_that_fails_half_way_deletes_what_it_made(tmp_path, cli, key, reference):
    failing = RecordedReference(tmp_path, reference, refuse_creations_after=10)
    with failing.proxy:
        run = cli("--base-url", failing.proxy.base_url, "--seed", "9", "--timeout", "5")
    assert run.exit_code == 3, run.explain()
    assert "the test data could not be made" in run.summary["reason"] and "400" in run.summary["reason"]
    assert len(failing.created) == 10
    run_id = failing.assert_only_documented_writes_of_one_run()
    failing.assert_nothing_of_the_run_left(run_id)
    assert not tracebacks(run.stdout + run.stderr), run.stdout
    assert not leaks(run, key)


def test_read_only_sends_nothing_but_get_conversations(tmp_path, cli, key, reference):
    reader = RecordedReference(tmp_path, reference)
    before = reader.live()
    with sqlite3.connect(reader.db) as connection:
        stamps = connection.execute("SELECT id, updated_at, name FROM conversations ORDER BY id").fetchall()
    with reader.proxy:
        run = cli("--base-url", reader.proxy.base_url, "--read-only", "--user", "someone-else", "--seed", "9")
    assert run.exit_code == 0, run.explain()
    requests = reader.proxy.requests
    assert len(requests) > 50
    assert {(r.method, r.path) for r in requests} == {("GET", "/v1/conversations")}, \
        {(r.method, r.path) for r in requests}
    assert reader.live() == before
    with sqlite3.connect(reader.db) as connection:
        assert connection.execute("SELECT id, updated_at, name FROM conversations ORDER BY id").fetchall() == stamps
    assert not leaks(run, key)
