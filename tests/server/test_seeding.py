"""The seeder against the reference server: lifecycle-shaped data and the special users, as the checks
rely on them (deleted ones gone and forgotten, the last created one deleted at the very end)."""

from __future__ import annotations

import uuid

from conformance.config.profiles import SeedPlan
from conformance.data.ledger import CreatedLedger
from conformance.data.seeding import Seeder
from conformance.data.users import TestUsers
from conformance.http.api import ServiceApi
from conformance.http.client import ClientSettings, HttpClient

from .conftest import KEY_A


def test_the_seeder_deletes_at_the_ends_and_gives_special_users_data(server, api):
    users = TestUsers.for_run(uuid.uuid4().hex[:8])
    ledger = CreatedLedger()
    http = HttpClient(ClientSettings(base_url=server.base_url, api_key=KEY_A))
    try:
        dataset = Seeder(ServiceApi(http), users, SeedPlan(main_count=6, twin_count=1, bursts=2), ledger,
                         page_limit=100).run()
    finally:
        http.close()
    listed = {item["id"]: item for item in api.page(user=users.main, limit=100)["data"]}
    assert set(listed) == set(dataset.main_ids) and len(dataset.main_ids) == 6
    assert len(dataset.deleted_ids) == 4 and not set(dataset.deleted_ids) & set(listed)
    recorded = {c for _, c in ledger.items()}
    assert not set(dataset.deleted_ids) & recorded and set(dataset.main_ids) <= recorded
    assert set(dataset.owned_ids) == {users.non_ascii, users.special}
    for user, own in dataset.owned_ids.items():
        assert {i["id"] for i in api.page(user=user)["data"]} == set(own) and len(own) == 2
        assert set(own) <= recorded
    assert set(dataset.items) == set(dataset.main_ids)
    for probe in users.probes:
        assert api.page(user=probe)["data"] == []
