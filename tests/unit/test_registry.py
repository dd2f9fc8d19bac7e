"""The check registry is the one place that says which checks serve which requirement."""

from __future__ import annotations

import json
import subprocess
import sys

from conformance.spec.catalogue import Req
from conformance.spec.registry import CROSSCUT, is_generated
from tests.agreement import registry_suite_differences, self_marking_modules, unserved_requirements


def test_every_suite_check_is_registered_and_every_registered_check_exists():
    assert registry_suite_differences() == []


def test_no_suite_module_names_its_requirements_itself():
    assert self_marking_modules() == []


def test_every_requirement_is_served_by_a_check():
    assert unserved_requirements() == []


def test_requirements_json_lists_the_checks_of_each_requirement():
    done = subprocess.run([sys.executable, "-m", "conformance", "requirements", "--json"], capture_output=True,
                          text=True, timeout=60, check=True)
    listed = {r["id"]: r["checks"] for r in json.loads(done.stdout)}
    assert listed[Req.PAGE_01][:1] == ["test_page::test_walks_at_boundary_limits_visit_every_conversation_once"]
    assert "crosscut::ROBUST-01" in listed[Req.ROBUST_01]
    assert all(listed.values()), listed


def test_generated_checks_are_known_by_their_node_id():
    assert is_generated("conformance/suite/test_generated.py::test_generated_requests[negative]")
    assert not is_generated("conformance/suite/test_user.py::test_near_identical_user_ids_see_no_test_data")
    assert not is_generated(f"crosscut::{CROSSCUT[0].name}")
