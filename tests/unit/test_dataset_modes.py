"""The two datasets decide what differs by mode, so that no check asks (data/seeded.py, data/readonly.py):
whose a listed conversation is, how a walk is judged, what SCHEMA-03 may expect, whether USER-02's
own-list probes can run. Over hand-made walks and a small in-memory list; no network."""

from __future__ import annotations

import json

import pytest

from conformance import load_contract
from conformance.data.dataset import NotInThisRun
from conformance.data.listing import Listing
from conformance.data.readonly import ReadOnlyDataset
from conformance.data.seeded import SeededDataset
from conformance.data.users import TestUsers
from conformance.model.exchange import Exchange
from conformance.oracles import Inconclusive
from conformance.oracles.walk import Walk

from .conftest import item, page

USERS = TestUsers.for_run("modes")
ITEMS = [item(f"c{n}", 100 - n) for n in range(5)]  # newest first: the default order
CONTRACT = load_contract()


class ListApi:
    """GET /conversations over ``lists`` (user -> items in order), following last_id; every request noted."""

    def __init__(self, lists: dict[str, list[dict]]) -> None:
        self.lists = lists
        self.sent: list[dict] = []

    def list(self, *, user=None, limit=None, sort_by=None, last_id=None, kind="list") -> Exchange:
        self.sent.append({"user": user, "limit": limit, "sort_by": sort_by, "last_id": last_id})
        items = self.lists.get(user, [])
        start = next((n + 1 for n, i in enumerate(items) if i["id"] == last_id), 0) if last_id else 0
        size = limit or 20
        chunk = items[start:start + size]
        body = {"limit": size, "has_more": start + size < len(items), "data": chunk}
        return Exchange(kind=kind, method="GET", base_url="http://t/v1", path="/conversations", status_code=200,
                        response_headers=(("Content-Type", "application/json"),), body=json.dumps(body).encode())


def seeded(**overrides) -> SeededDataset:
    values = {"users": USERS, "main_ids": tuple(i["id"] for i in ITEMS), "twin_ids": ("t0",), "created_from": 1000.0,
              "created_until": 1010.0, "items": {i["id"]: i for i in ITEMS}}
    return SeededDataset(**{**values, **overrides})


def full_walk(items, limit=100, sort="-created_at", explicit=False) -> Walk:
    return Walk(sort, limit, explicit, (page(items, False, limit=limit), page([], False, limit=limit)), "empty")


def read_only(other: Listing | None = None, undecided: bool = False) -> ReadOnlyDataset:
    listing = Listing(USERS.main, 100, items={i["id"]: i for i in ITEMS})
    if undecided:
        listing.undecided[None] = "the first page was a 503"
    else:
        listing.walks[None] = full_walk(ITEMS)
    return ReadOnlyDataset(TestUsers.read_only(USERS.main), listing, other)


def test_a_stranger_in_the_walk_is_another_users_only_when_the_run_made_the_data():
    walk = full_walk([*ITEMS, item("stranger", 1)])
    assert "USER-02" in {v.requirement for v in seeded().judged_main_walk(walk)}
    assert "USER-02" not in {v.requirement for v in read_only().judged_main_walk(walk)}


def test_schema_03_expects_creations_after_the_seeding_only_when_the_run_seeded():
    assert seeded().earliest_creation(300) == 700.0
    assert read_only().earliest_creation(300) is None


def test_the_read_only_walk_at_the_listings_limit_is_the_full_walk_already_made():
    dataset = read_only()
    no_requests = None  # a read-only dataset judging its own full walk sends nothing
    assert dataset.judged_walk(no_requests, sort_by=None, limit=100, effective_sort="-created_at",
                               effective_limit=100) == []
    assert dataset.default_order_walk(no_requests, CONTRACT) is dataset.listing.walks[None]
    assert dataset.main_listing(no_requests, CONTRACT) is dataset.listing
    with pytest.raises(Inconclusive, match="503"):
        read_only(undecided=True).judged_walk(no_requests, sort_by=None, limit=100, effective_sort="-created_at",
                                              effective_limit=100)


def test_read_only_walks_at_other_limits_cover_a_window_of_the_listing():
    dataset = read_only()
    api = ListApi({USERS.main: ITEMS})
    found = dataset.judged_boundary_walks(api, [2, 100], sort_by=None, effective_sort="-created_at", page_cap=None,
                                          gather=lambda limits, walk: [walk(limit) for limit in limits])
    assert found == [[], []]
    assert {r["limit"] for r in api.sent} == {2}  # the largest limit's walk was made already


def test_seeded_boundary_walks_over_the_cap_walk_their_first_pages_only():
    api = ListApi({USERS.main: ITEMS})
    found = seeded().judged_boundary_walks(api, [1, 5], sort_by=None, effective_sort="-created_at", page_cap=3,
                                           gather=lambda limits, walk: [walk(limit) for limit in limits])
    assert found == [[], []]
    assert sum(1 for r in api.sent if r["limit"] == 1) == 3  # six pages to the end, three allowed
    assert sum(1 for r in api.sent if r["limit"] == 5) == 2  # the page and the empty end


def test_seeded_own_lists_are_probed_per_user_and_sort_and_need_a_second_user():
    api = ListApi({USERS.main: ITEMS, USERS.twin: [item("t0", 50)]})
    probes = seeded().own_list_probes(api, CONTRACT)
    assert not isinstance(probes, NotInThisRun)
    assert len(probes) == 2 * (1 + len(CONTRACT.sort.values))
    assert all(probe() == [] for probe in probes)
    api.lists[USERS.twin].append(ITEMS[0])
    assert any(v.requirement == "USER-02" for probe in probes for v in probe())
    alone = seeded(twin_ids=()).own_list_probes(api, CONTRACT)
    assert alone == NotInThisRun("no second user with data in this run")


def test_read_only_own_lists_are_the_two_users_listings_held_disjoint():
    with pytest.raises(Inconclusive, match="without --other-user"):
        read_only().own_list_probes(None, CONTRACT)
    other = Listing("bob", 100, walks={None: full_walk([item("b0", 5), ITEMS[2]])},
                    items={"b0": item("b0", 5), "c2": ITEMS[2]})
    probes = read_only(other).own_list_probes(None, CONTRACT)
    assert not isinstance(probes, NotInThisRun) and len(probes) == 1
    assert [v.requirement for v in probes[0]()] == ["USER-02", "USER-02"]  # one each way
    clean = Listing("bob", 100, walks={None: full_walk([item("b0", 5)])}, items={"b0": item("b0", 5)})
    assert read_only(clean).own_list_probes(None, CONTRACT)[0]() == []
    assert read_only(clean).twin_ids == ("b0",) and read_only().twin_ids == ()
