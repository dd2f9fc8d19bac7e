"""Every fault of the registry, shown over HTTP: a server with the fault deviates as described, and
the same probe fails against a conforming server with the same data and policy.

The data are written straight into a SQLite file through the server's database layer, with chosen
timestamps (ties and distinct seconds without any sleeping), then served by a real server process.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
import requests

from conformance.server.__main__ import main
from conformance.server.auth import app_id_for
from conformance.server.db import Database, owner_key
from conformance.server.faults import FAULTS, Faults, UnknownFault
from conformance.server.policy import ServerPolicy, split_sort
from conformance.server.process import ReferenceServer
from conformance.spec.catalogue import Req
from tests.server_client import ServerClient, ServerClientError

KEYS = ("app-fault-tests-a", "app-fault-tests-b")
DEFAULT = ServerPolicy()


@dataclass(frozen=True)
class Conversation:
    id: str
    user: str
    created_at: int
    updated_at: int


@dataclass(frozen=True)
class Seed:
    live: tuple[Conversation, ...]  # of the first app
    deleted: str  # alice's deleted conversation
    other_app: str = ""  # alice's conversation in the second app

    def ids(self, *users: str) -> set[str]:
        return {c.id for c in self.live if c.user in users}

    def get(self, conversation_id: str) -> Conversation:
        return next(c for c in self.live if c.id == conversation_id)

    def order(self, user: str, sort_by: str) -> list[str]:
        field, descending = split_sort(sort_by)
        mine = [c for c in self.live if c.user == user]
        return [c.id for c in sorted(mine, key=lambda c: (getattr(c, field), c.id), reverse=descending)]


def seed_database(path: Path) -> Seed:
    """alice: 9 live conversations in 4 seconds (3, 2, 3, 1 a second), two later updated, one deleted;
    near-identical users Alice and al_ce, users bob, carol, émile; alice again in the second app."""
    db = Database(f"sqlite:///{path}")
    app = app_id_for(KEYS[0])
    base = int(time.time()) - 3600
    live: list[Conversation] = []

    def make(user: str, offset: int, app_id: str = app) -> str:
        row, _ = db.create_conversation(app_id, owner_key(user), f"{user} +{offset}", {"n": offset}, "q", "a",
                                        base + offset)
        live.append(Conversation(row.id, user, row.created_at, row.updated_at))
        return row.id

    alice = [make("alice", offset) for offset in (0, 0, 0, 1, 1, 2, 2, 2, 3)]
    deleted = make("alice", 2)
    live.pop()
    assert db.delete(app, owner_key("alice"), deleted)
    db.add_message(app, owner_key("alice"), alice[0], "q2", "a2", base + 20)
    db.rename(app, owner_key("alice"), alice[4], "renamed", base + 21)
    for user, offset in (("Alice", 4), ("al_ce", 4), ("bob", 5), ("bob", 6), ("carol", 7), ("\u00e9mile", 8)):
        make(user, offset)
    other_app, _ = db.create_conversation(app_id_for(KEYS[1]), owner_key("alice"), "other app", {}, "q", "a",
                                          base + 9)
    db.close()
    updated = {alice[0]: base + 20, alice[4]: base + 21}
    return Seed(tuple(Conversation(c.id, c.user, c.created_at, updated.get(c.id, c.updated_at)) for c in live),
                deleted, other_app.id)


# -- probes: one per fault, asserting the deviation --------------------------------------------------

Probe = Callable[[ServerClient, Seed], None]


@dataclass(frozen=True)
class FaultProbe:
    check: Probe
    policy: ServerPolicy


PROBES: dict[str, FaultProbe] = {}
BREAKS_NOTHING = {"delete-404-kept"}


def probe(name: str, policy: ServerPolicy = DEFAULT) -> Callable[[Probe], Probe]:
    def register(check: Probe) -> Probe:
        assert name in FAULTS and name not in PROBES
        PROBES[name] = FaultProbe(check, policy)
        return check
    return register


def ids(page: dict[str, object]) -> list[str]:
    data = page["data"]
    assert isinstance(data, list)
    return [item["id"] for item in data]


def status(response: requests.Response) -> int:
    return response.status_code


@probe("auth-missing-accepted")
def _auth_missing(api: ServerClient, seed: Seed) -> None:
    response = requests.get(f"{api.base_url}/conversations", params={"user": "alice"}, timeout=10)
    assert status(response) == 200 and set(ids(response.json())) == seed.ids("alice")
    wrong = requests.get(f"{api.base_url}/conversations", params={"user": "alice"}, timeout=10,
                         headers={"Authorization": "Bearer wrong"})
    assert status(wrong) == 401


@probe("auth-any-key-accepted")
def _auth_any_key(api: ServerClient, seed: Seed) -> None:
    response = requests.get(f"{api.base_url}/conversations", params={"user": "alice"}, timeout=10,
                            headers={"Authorization": "Bearer wrong"})
    assert status(response) == 200 and set(ids(response.json())) == seed.ids("alice")
    assert status(requests.get(f"{api.base_url}/conversations", params={"user": "alice"}, timeout=10)) == 401


@probe("user-missing-served")
def _user_missing_served(api: ServerClient, seed: Seed) -> None:
    response = api.list_raw()
    assert status(response) == 200 and response.json()["data"] == []


@probe("user-missing-lists-all")
def _user_missing_lists_all(api: ServerClient, seed: Seed) -> None:
    response = api.list_raw({"limit": "100"})
    assert status(response) == 200
    assert set(ids(response.json())) == seed.ids("alice", "Alice", "al_ce", "bob", "carol", "\u00e9mile")


@probe("user-missing-rejected", ServerPolicy(user_required=False))
def _user_missing_rejected(api: ServerClient, seed: Seed) -> None:
    assert status(api.list_raw()) == 400
    assert status(api.list_raw({"user": "alice"})) == 200


@probe("users-not-isolated")
def _users_not_isolated(api: ServerClient, seed: Seed) -> None:
    assert seed.ids("bob") <= set(ids(api.page(user="alice", limit=100)))


@probe("user-case-insensitive")
def _user_case_insensitive(api: ServerClient, seed: Seed) -> None:
    assert set(ids(api.page(user="ALICE", limit=100))) == seed.ids("alice", "Alice")


@probe("user-like-match")
def _user_like_match(api: ServerClient, seed: Seed) -> None:
    assert seed.ids("alice") <= set(ids(api.page(user="al_ce", limit=100)))
    assert seed.ids("bob") <= set(ids(api.page(user="%", limit=100)))


@probe("cursor-other-user")
def _cursor_other_user(api: ServerClient, seed: Seed) -> None:
    order = seed.order("alice", "-updated_at")
    response = api.list_raw({"user": "bob", "last_id": order[0], "limit": "100"})
    assert status(response) == 200 and ids(response.json()) == order[1:]


@probe("limit-short-page")
def _limit_short_page(api: ServerClient, seed: Seed) -> None:
    page = api.page(user="alice", limit=3)
    assert len(page["data"]) == 2 and page["has_more"] is True
    walked = [i for p in api.walk("alice", limit=3) for i in ids(p)]
    assert walked == seed.order("alice", "-updated_at")  # only the page size is wrong


@probe("limit-max-clamped", ServerPolicy(limit_max=10, limit_default=5))
def _limit_max_clamped(api: ServerClient, seed: Seed) -> None:
    page = api.page(user="alice", limit=8)
    assert page["limit"] == 8 and ids(page) == seed.order("alice", "-updated_at")[:5] and page["has_more"]


@probe("limit-bounds-not-enforced")
def _limit_bounds_not_enforced(api: ServerClient, seed: Seed) -> None:
    assert api.page(user="alice", limit=0)["data"] == []
    assert api.page(user="alice", limit=-3)["data"] == []
    assert set(ids(api.page(user="alice", limit=101))) == seed.ids("alice")
    assert status(api.list_raw({"user": "alice", "limit": str(10**30)})) == 200


@probe("limit-above-max-clamped")
def _limit_above_max_clamped(api: ServerClient, seed: Seed) -> None:
    page = api.page(user="alice", limit=101)
    assert page["limit"] == 100 and set(ids(page)) == seed.ids("alice")
    assert status(api.list_raw({"user": "alice", "limit": "0"})) == 400


@probe("limit-default-wrong", ServerPolicy(limit_default=4))
def _limit_default_wrong(api: ServerClient, seed: Seed) -> None:
    page = api.page(user="alice")
    assert page["limit"] == 2 and ids(page) == seed.order("alice", "-updated_at")[:2]


@probe("limit-field-wrong")
def _limit_field_wrong(api: ServerClient, seed: Seed) -> None:
    assert api.page(user="alice", limit=20)["limit"] == 9


@probe("limit-non-integer-accepted")
def _limit_non_integer_accepted(api: ServerClient, seed: Seed) -> None:
    page = api.page(user="alice", limit="2.5")
    assert page["limit"] == 2 and len(page["data"]) == 2
    assert status(api.list_raw({"user": "alice", "limit": "abc"})) == 400
    assert status(api.list_raw({"user": "alice", "limit": "150.5"})) == 400


@probe("sort-ignored")
def _sort_ignored(api: ServerClient, seed: Seed) -> None:
    assert ids(api.page(user="alice", sort_by="created_at")) == seed.order("alice", "-updated_at")


@probe("sort-direction-inverted")
def _sort_direction_inverted(api: ServerClient, seed: Seed) -> None:
    assert ids(api.page(user="alice", sort_by="created_at")) == seed.order("alice", "-created_at")
    assert ids(api.page(user="alice", sort_by="-created_at")) == seed.order("alice", "created_at")
    assert ids(api.page(user="alice", sort_by="updated_at")) == seed.order("alice", "updated_at")
    walked = [i for p in api.walk("alice", sort_by="created_at", limit=2) for i in ids(p)]
    assert walked == seed.order("alice", "-created_at")  # order and cursor agree


@probe("sort-default-wrong")
def _sort_default_wrong(api: ServerClient, seed: Seed) -> None:
    assert ids(api.page(user="alice")) == seed.order("alice", "-created_at")


@probe("sort-invalid-accepted")
def _sort_invalid_accepted(api: ServerClient, seed: Seed) -> None:
    response = api.list_raw({"user": "alice", "sort_by": "name"})
    assert status(response) == 200 and ids(response.json()) == seed.order("alice", "-updated_at")


@probe("cursor-off-by-one")
def _cursor_off_by_one(api: ServerClient, seed: Seed) -> None:
    order = seed.order("alice", "-updated_at")
    first = api.page(user="alice", limit=2)
    assert ids(first) == order[:2]
    assert ids(api.page(user="alice", limit=2, last_id=order[1])) == order[3:5]


@probe("cursor-ties-skipped")
def _cursor_ties_skipped(api: ServerClient, seed: Seed) -> None:
    walked = [i for p in api.walk("alice", sort_by="-created_at", limit=1) for i in ids(p)]
    assert walked == [c for i, c in enumerate(seed.order("alice", "-created_at"))
                      if i == 0 or seed.get(c).created_at != seed.get(seed.order("alice", "-created_at")[i - 1])
                      .created_at]  # one conversation a second: the first of each tie group


@probe("cursor-inclusive")
def _cursor_inclusive(api: ServerClient, seed: Seed) -> None:
    order = seed.order("alice", "created_at")
    assert ids(api.page(user="alice", sort_by="created_at", limit=3, last_id=order[2])) == order[2:5]


@probe("has-more-wrong")
def _has_more_wrong(api: ServerClient, seed: Seed) -> None:
    assert api.page(user="alice", limit=9)["has_more"] is True
    assert api.page(user="alice", limit=10)["has_more"] is False


@probe("has-more-always-false")
def _has_more_always_false(api: ServerClient, seed: Seed) -> None:
    assert api.page(user="alice", limit=2)["has_more"] is False


@probe("has-more-always-true")
def _has_more_always_true(api: ServerClient, seed: Seed) -> None:
    assert api.page(user="alice", limit=20)["has_more"] is True


@probe("has-more-counts-deleted")
def _has_more_counts_deleted(api: ServerClient, seed: Seed) -> None:
    # As Dify counts the rows after a page's last item: here with the deleted filter forgotten.
    user = f"dora-{uuid.uuid4()}"  # a fresh user: the conforming server is shared by every probe
    api.delete(user, api.create(user)["conversation_id"])
    page = api.page(user=user, limit=1)
    assert ids(page) == [] and page["has_more"] is True
    walked = [i for p in api.walk("alice", limit=4) for i in ids(p)]
    assert walked == seed.order("alice", "-updated_at")  # only has_more is wrong


@probe("deleted-cursor-accepted")
def _deleted_cursor_accepted(api: ServerClient, seed: Seed) -> None:
    deleted_at = min(c.created_at for c in seed.live if c.user == "alice") + 2  # made at offset 2, never updated
    response = api.list_raw({"user": "alice", "last_id": seed.deleted, "limit": "100"})
    after = [c for c in seed.order("alice", "-updated_at")
             if (seed.get(c).updated_at, c) < (deleted_at, seed.deleted)]
    assert status(response) == 200 and ids(response.json()) == after and after
    assert status(api.list_raw({"user": "alice", "last_id": str(uuid.uuid4())})) == 404
    assert status(api.list_raw({"user": "alice", "last_id": next(iter(seed.ids("bob")))})) == 404


@probe("unknown-cursor-ignored")
def _unknown_cursor_ignored(api: ServerClient, seed: Seed) -> None:
    for cursor in (str(uuid.uuid4()), seed.deleted, next(iter(seed.ids("bob")))):
        response = api.list_raw({"user": "alice", "last_id": cursor})
        assert status(response) == 200 and ids(response.json()) == seed.order("alice", "-updated_at")


@probe("unknown-cursor-5xx")
def _unknown_cursor_5xx(api: ServerClient, seed: Seed) -> None:
    assert status(api.list_raw({"user": "alice", "last_id": str(uuid.uuid4())})) == 500
    assert status(api.list_raw({"user": "alice", "last_id": "abc"})) == 400


@probe("malformed-cursor-ignored")
def _malformed_cursor_ignored(api: ServerClient, seed: Seed) -> None:
    response = api.list_raw({"user": "alice", "last_id": "not-a-uuid"})
    assert status(response) == 200 and ids(response.json()) == seed.order("alice", "-updated_at")
    assert status(api.list_raw({"user": "alice", "last_id": str(uuid.uuid4())})) == 404


@probe("wrong-field-types")
def _wrong_field_types(api: ServerClient, seed: Seed) -> None:
    for item in api.page(user="alice")["data"]:
        assert isinstance(item["created_at"], str) and isinstance(item["updated_at"], str)
        assert datetime.fromisoformat(item["created_at"]).timestamp() == seed.get(item["id"]).created_at


@probe("content-type-text")
def _content_type_text(api: ServerClient, seed: Seed) -> None:
    response = api.list_raw({"user": "alice"})
    assert response.headers["content-type"].startswith("text/html")
    assert set(ids(response.json())) == seed.ids("alice")


@probe("field-missing")
def _field_missing(api: ServerClient, seed: Seed) -> None:
    items = api.page(user="alice")["data"]
    assert items and all(set(item) == {"id", "name", "inputs", "status", "created_at", "updated_at"}
                         for item in items)


@probe("timestamps-in-milliseconds")
def _timestamps_in_milliseconds(api: ServerClient, seed: Seed) -> None:
    for item in api.page(user="alice")["data"]:
        assert item["created_at"] == seed.get(item["id"]).created_at * 1000
        assert item["updated_at"] == seed.get(item["id"]).updated_at * 1000
    assert ids(api.page(user="alice", sort_by="created_at")) == seed.order("alice", "created_at")


@probe("delete-not-hidden")
def _delete_not_hidden(api: ServerClient, seed: Seed) -> None:
    assert seed.deleted in ids(api.page(user="alice", limit=100))
    bob = sorted(seed.ids("bob"))[0]
    assert status(api.delete_raw(bob, {"user": "bob"})) == 204
    assert bob in ids(api.page(user="bob"))


@probe("update-not-touching")
def _update_not_touching(api: ServerClient, seed: Seed) -> None:
    (carol,) = seed.ids("carol")
    api.message("carol", carol)
    assert api.rename("carol", carol, "renamed by the probe")["updated_at"] == seed.get(carol).updated_at
    (item,) = api.page(user="carol")["data"]
    assert item["name"] == "renamed by the probe" and item["updated_at"] == seed.get(carol).updated_at


@probe("rename-not-touching")
def _rename_not_touching(api: ServerClient, seed: Seed) -> None:
    (carol,) = seed.ids("carol")
    renamed = api.rename("carol", carol, "renamed by the probe")
    assert renamed["name"] == "renamed by the probe" and renamed["updated_at"] == seed.get(carol).updated_at
    api.message("carol", carol)
    (item,) = api.page(user="carol")["data"]
    assert item["updated_at"] > seed.get(carol).updated_at  # a new message still moves it


@probe("user-non-ascii-unlisted")
def _user_non_ascii_unlisted(api: ServerClient, seed: Seed) -> None:
    (emile,) = seed.ids("\u00e9mile")
    assert api.page(user="\u00e9mile")["data"] == []
    assert status(api.list_raw({"user": "\u00e9mile", "last_id": emile})) == 404
    assert set(ids(api.page(user="alice", limit=100))) == seed.ids("alice")
    assert api.rename("\u00e9mile", emile, "writes still work")["id"] == emile


@probe("unstable-ties")
def _unstable_ties(api: ServerClient, seed: Seed) -> None:
    params = {"user": "alice", "sort_by": "-created_at"}
    first, second = api.list_raw(params).json(), api.list_raw(params).json()
    assert ids(first) != ids(second)
    assert set(ids(first)) == set(ids(second)) == seed.ids("alice") and ids(first)[-1] == ids(second)[-1]
    assert [i["created_at"] for i in first["data"]] == [i["created_at"] for i in second["data"]]


@probe("server-error-on-odd-input")
def _server_error_on_odd_input(api: ServerClient, seed: Seed) -> None:
    assert status(api.list_raw({"user": "\u00e9mile"})) == 500
    assert status(api.list_raw({"user": "alice"})) == 200


@probe("user-too-long-5xx")
def _user_too_long_5xx(api: ServerClient, seed: Seed) -> None:
    assert status(api.list_raw({"user": "u" * 255})) == 200
    assert status(api.list_raw({"user": "u" * 256})) == 500


@probe("random-5xx")
def _random_5xx(api: ServerClient, seed: Seed) -> None:
    statuses = [status(api.list_raw({"user": "alice"})) for _ in range(60)]
    assert set(statuses) == {200, 503}
    assert 3 <= statuses.count(503) <= 30


@probe("apps-not-isolated")
def _apps_not_isolated(api: ServerClient, seed: Seed) -> None:
    listed = set(ids(api.page(user="alice", limit=100)))
    assert seed.other_app in listed and seed.ids("alice") <= listed and not seed.ids("bob") & listed
    assert status(api.list_raw({"user": "alice", "last_id": seed.other_app})) == 200


@probe("delete-404-kept")
def _delete_404_kept(api: ServerClient, seed: Seed) -> None:
    lost = api.create("dave", "dify-conformance test data: dave #2")["conversation_id"]
    kept = api.create("dave", "dify-conformance test data: dave #3")["conversation_id"]
    assert status(api.delete_raw(lost, {"user": "dave"})) == 404
    assert status(api.delete_raw(kept, {"user": "dave"})) == 204
    assert ids(api.page(user="dave")) == [lost]  # "not found" to DELETE, and still listed


@probe("auth-malformed-5xx")
def _auth_malformed_5xx(api: ServerClient, seed: Seed) -> None:
    for header in ("Bearer ", "Basic ZGlmeTpjb25mb3JtYW5jZQ==", "Bearer ", "Basic ZGlmeTpjb25mb3JtYW5jZQ=="):
        response = requests.get(f"{api.base_url}/conversations", params={"user": "alice"}, timeout=10,
                                headers={"Authorization": header})
        assert status(response) == 500  # every time, not at random
    wrong = requests.get(f"{api.base_url}/conversations", params={"user": "alice"}, timeout=10,
                         headers={"Authorization": "Bearer wrong"})
    assert status(wrong) == 401


@probe("user-whitespace-stripped")
def _user_whitespace_stripped(api: ServerClient, seed: Seed) -> None:
    for twin in (" alice", "alice ", "\talice", "alice\t"):
        assert set(ids(api.page(user=twin, limit=100))) == seed.ids("alice")


@probe("has-more-false-one-left")
def _has_more_false_one_left(api: ServerClient, seed: Seed) -> None:
    total = len(seed.ids("alice"))
    one_left = api.page(user="alice", limit=total - 1)
    assert len(one_left["data"]) == total - 1 and one_left["has_more"] is False
    assert api.page(user="alice", limit=total - 2)["has_more"] is True  # two left: still true


@probe("data-null-when-empty")
def _data_null_when_empty(api: ServerClient, seed: Seed) -> None:
    assert api.list_raw({"user": "nobody-at-all"}).json()["data"] is None
    assert set(ids(api.page(user="alice", limit=100))) == seed.ids("alice")


@probe("updated-before-created")
def _updated_before_created(api: ServerClient, seed: Seed) -> None:
    user = f"dave-{uuid.uuid4()}"
    now = time.time()
    time.sleep((int(now) + 0.6 - now) % 1.0)  # past the half: the creation rounds up, the message does not
    created = api.create(user)
    api.message(user, created["conversation_id"])
    (item,) = api.page(user=user)["data"]
    assert item["updated_at"] == item["created_at"] - 1


# -- tests -----------------------------------------------------------------------------------------


def test_every_fault_has_a_probe() -> None:
    assert sorted(PROBES) == sorted(FAULTS)


def test_every_fault_name_in_the_code_is_registered_and_used() -> None:
    package = Path(sys.modules["conformance.server.faults"].__file__ or "").parent
    used = set()
    for source in (p for p in package.glob("*.py") if p.name != "faults.py"):
        used |= set(re.findall(r'"([a-z0-9-]+)"\s+(?:not\s+)?in\s+(?:self\.)?faults', source.read_text()))
    assert used == set(FAULTS)


def test_registry_entries() -> None:
    for name, fault in FAULTS.items():
        # A fault that breaks nothing of the catalogue is named here with why: what it shows is reported
        # elsewhere (delete-404-kept: only the run-end cleanup deletes those, into notes.cleanup_failed).
        assert fault.name == name and (fault.breaks or name in BREAKS_NOTHING) and fault.description
        assert all(isinstance(requirement, Req) for requirement in fault.breaks)
        for requirement, why in fault.collateral:  # a consequence, with its reason, never a restatement
            assert isinstance(requirement, Req) and requirement not in fault.breaks and why
        assert fault.fails == set(fault.breaks) | {r for r, _ in fault.collateral}
    assert FAULTS["unknown-cursor-5xx"].breaks == (Req.PAGE_03, Req.ROBUST_01)
    assert "sort-ignored" in Faults.of(["sort-ignored"]) and "sort-ignored" not in Faults()
    with pytest.raises(UnknownFault):
        Faults.of(["no-such-fault"])
    with pytest.raises(KeyError):
        _ = "no-such-fault" in Faults()


@pytest.mark.parametrize("name", sorted(FAULTS))
def test_fault_shows_its_deviation(name: str, tmp_path: Path) -> None:
    fault_probe = PROBES[name]
    seed = seed_database(tmp_path / "faulty.db")
    with ReferenceServer(KEYS, faults=[name], db_url=f"sqlite:///{tmp_path / 'faulty.db'}",
                         policy=fault_probe.policy, seed=7) as server, \
            ServerClient(server.base_url, server.api_key) as api:
        fault_probe.check(api, seed)
        assert not server.stderr.count("Traceback")


@pytest.fixture(scope="module")
def conforming(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[ServerPolicy], tuple[str, Seed]]]:
    """Conforming servers on the same kind of data, one per policy, started on demand."""
    started: dict[ServerPolicy, tuple[str, Seed]] = {}
    with ExitStack() as stack:
        def serve(policy: ServerPolicy) -> tuple[str, Seed]:
            if policy not in started:
                path = tmp_path_factory.mktemp("conforming") / "clean.db"
                seed = seed_database(path)
                server = stack.enter_context(ReferenceServer(KEYS, db_url=f"sqlite:///{path}", policy=policy))
                started[policy] = (server.base_url, seed)
            return started[policy]
        yield serve


@pytest.mark.parametrize("name", sorted(FAULTS))
def test_probe_fails_on_a_conforming_server(name: str, conforming: Callable[[ServerPolicy], tuple[str, Seed]]) -> None:
    fault_probe = PROBES[name]
    base_url, seed = conforming(fault_probe.policy)
    with ServerClient(base_url, KEYS[0]) as api, pytest.raises((AssertionError, ServerClientError)):
        fault_probe.check(api, seed)


def test_unknown_fault_exits_2_with_one_line() -> None:
    finished = subprocess.run([sys.executable, "-m", "conformance.server", "--fault", "no-such-fault"],
                              capture_output=True, text=True, timeout=30)
    assert finished.returncode == 2 and finished.stdout == ""
    (line,) = finished.stderr.splitlines()
    assert "no-such-fault" in line and all(name in line for name in FAULTS)


def test_list_faults(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--list-faults"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == list(FAULTS)


def test_the_rounded_creations_policy_dates_as_dify_on_postgresql_and_keeps_the_order() -> None:
    """Creations rounded (a second ahead past the half), updates truncated but never before creation."""
    policy = ServerPolicy(timestamps="rounded-creations")
    assert "--timestamps=rounded-creations" in policy.as_args() and not policy.problems()
    assert ServerPolicy(timestamps="rounded").problems()
    with ReferenceServer(KEYS, policy=policy) as server, ServerClient(server.base_url, server.api_key) as api:
        user = f"dave-{uuid.uuid4()}"
        now = time.time()
        time.sleep((int(now) + 0.6 - now) % 1.0)
        began = time.time()
        created = api.create(user)
        api.message(user, created["conversation_id"])
        (item,) = api.page(user=user)["data"]
        assert item["created_at"] == int(began) + 1 and item["updated_at"] == item["created_at"]
