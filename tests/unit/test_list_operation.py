"""ARCHITECTURE.md's "Add a paginated operation", step 1: a ``ListOperation`` names the path and the
parameters, and the contract and the parameter oracle read the spec and the query by those names.

The bundled spec, with its list moved to another path and its parameters renamed, loads under a
``ListOperation`` of those names into the same rules as the original; the rejection obligations
then read the renamed parameters, not Dify's.
"""

from __future__ import annotations

import copy
import json

import pytest

from conformance.errors import UsageError
from conformance.oracles.params import rejection_obligations
from conformance.spec.catalogue import Req
from conformance.spec.contract import LIST_OPERATION, ListOperation, load_contract

RENAMED = ListOperation(path="/threads", user="end_user", limit="page_size", sort="order", cursor="after")


@pytest.fixture
def renamed_spec(tmp_path):
    original = load_contract()
    document = copy.deepcopy(original.document)
    document["paths"][RENAMED.path] = document["paths"].pop(LIST_OPERATION.path)
    names = {LIST_OPERATION.user: RENAMED.user, LIST_OPERATION.limit: RENAMED.limit,
             LIST_OPERATION.sort: RENAMED.sort, LIST_OPERATION.cursor: RENAMED.cursor}
    for parameter in document["components"]["parameters"].values():
        if parameter.get("in") == "query" and parameter.get("name") in names:
            parameter["name"] = names[parameter["name"]]
    path = tmp_path / "renamed.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return original, path


def test_the_renamed_operation_has_the_same_rules(renamed_spec):
    original, path = renamed_spec
    renamed = load_contract(path, RENAMED)
    assert (renamed.user_required, renamed.limit, renamed.sort, renamed.last_id_format, renamed.response_schema) == (
        original.user_required, original.limit, original.sort, original.last_id_format, original.response_schema)
    assert renamed.limit.bounded and renamed.sort.values  # the rules were found, not defaulted to nothing
    assert (renamed.operation.path, renamed.operation.cursor) == (RENAMED.path, RENAMED.cursor)
    assert renamed.operation.user_max_length == original.operation.user_max_length


def test_the_default_operation_is_not_in_the_renamed_spec(renamed_spec):
    _, path = renamed_spec
    with pytest.raises(UsageError, match="has no GET /conversations operation"):
        load_contract(path)


def test_the_obligations_read_the_operations_parameter_names(renamed_spec):
    original, path = renamed_spec
    renamed = load_contract(path, RENAMED)
    below = str(renamed.limit.minimum - 1)
    user = (RENAMED.user, "someone")
    assert [req for req, _ in rejection_obligations([user, (RENAMED.limit, below)], renamed)] == [Req.LIMIT_02]
    assert [req for req, _ in rejection_obligations([user, (RENAMED.sort, "nonsense")], renamed)] == [Req.SORT_03]
    # Dify's names are only unknown parameters of this operation: they oblige nothing.
    assert rejection_obligations([user, ("limit", below), ("sort_by", "nonsense")], renamed) == []
    assert renamed.user_required  # the bundled spec requires its user: a query without the renamed one lacks it
    assert [req for req, _ in rejection_obligations([("user", "someone")], renamed)] == [Req.USER_01]
    assert [req for req, _ in rejection_obligations([("user", "x"), ("limit", below)], original)] == [Req.LIMIT_02]
