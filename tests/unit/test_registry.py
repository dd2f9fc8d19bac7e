"""The check registry is the one place that says which checks serve which requirement."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import conformance
from conformance.spec.catalogue import REQUIREMENTS, Req
from conformance.spec.registry import CHECKS, CROSSCUT, checks_serving, is_generated

SUITE = Path(conformance.__file__).parent / "suite"


def _suite_checks() -> set[str]:
    found = set()
    for module in SUITE.glob("test_*.py"):
        tree = ast.parse(module.read_text(encoding="utf-8"))
        found |= {f"{module.stem}::{node.name}" for node in tree.body
                  if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")}
    return found


def test_every_suite_check_is_registered_and_every_registered_check_exists():
    assert {c.key for c in CHECKS} == _suite_checks()


def test_no_suite_module_names_its_requirements_itself():
    for module in SUITE.glob("test_*.py"):
        assert "mark.requirement" not in module.read_text(encoding="utf-8"), module


def test_every_requirement_is_served_by_a_check():
    assert [r.id for r in REQUIREMENTS if not checks_serving(r.id)] == []
    assert {r.id for r in REQUIREMENTS} == set(Req)


def test_requirements_json_lists_the_checks_of_each_requirement():
    done = subprocess.run([sys.executable, "-m", "conformance", "requirements", "--json"], capture_output=True,
                          text=True, timeout=60, check=True)
    listed = {r["id"]: r["checks"] for r in json.loads(done.stdout)}
    assert listed["PAGE-01"][:1] == ["test_page::test_walks_at_boundary_limits_visit_every_conversation_once"]
    assert "crosscut::ROBUST-01" in listed["ROBUST-01"]
    assert all(listed.values()), listed


def test_generated_checks_are_known_by_their_node_id():
    assert is_generated("conformance/suite/test_generated.py::test_generated_requests[negative]")
    assert not is_generated("conformance/suite/test_user.py::test_near_identical_user_ids_see_no_test_data")
    assert not is_generated(f"crosscut::{CROSSCUT[0].name}")
