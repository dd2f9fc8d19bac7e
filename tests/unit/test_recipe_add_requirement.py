"""ARCHITECTURE.md's recipe "Add a requirement", walked in a copy of the package.

A throwaway requirement (RECIPE-01) is added to a copy of ``conformance/`` and README.md by the
recipe's steps 1 to 3, each a literal edit of the file the recipe names; then, in a subprocess that
imports the copy, the project's own agreement checks (``tests/agreement.py``, the same functions
``test_readme.py``, ``test_registry.py`` and ``test_plugin_modules.py`` call) find nothing to
complain of, and ``python -m conformance requirements`` lists the new id with its check; a run of the copy narrowed to RECIPE-01
(``slow``: it starts the bundled reference server) judges it. The recipe with a step left out is
caught by the same checks, by name, and an unregistered check stops the copy's run at collection.
What the recipe says of faults and self-tests costs whole suite runs: those steps are held by
``tests/server/test_faults.py`` and ``tests/selftest/``, not walked here.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

AGREEMENT = ROOT / "tests" / "agreement.py"
TITLE = "A throwaway requirement of the recipe's test: the first page of the main user is answered 200."
CHECK = "test_recipe::test_the_first_page_is_answered"

# Step 2's check and its pure oracle, as a contributor would write them.
ORACLE = '''"""RECIPE-01's judgement (a throwaway of tests/unit/test_recipe_add_requirement.py)."""

from __future__ import annotations

from ..model.exchange import Exchange
from ..model.results import Violation
from ..spec.catalogue import Req
from . import violation


def first_page_violations(exchange: Exchange) -> list[Violation]:
    if exchange.status_code == 200:
        return []
    return [violation(Req.RECIPE_01, f"the first page was answered {exchange.status_code}", exchange)]
'''
SUITE_MODULE = '''"""RECIPE-01: the first page is answered (a throwaway of test_recipe_add_requirement.py)."""

from __future__ import annotations

from conformance.data.dataset import TestUsers
from conformance.http.api import ServiceApi
from conformance.oracles.recipe import first_page_violations
from conformance.run.executor import Probes


def test_the_first_page_is_answered(probes: Probes, api: ServiceApi, users: TestUsers) -> None:
    """The main user's first page is answered 200"""
    probes.each([users.main], lambda user: first_page_violations(api.list(user=user)))
'''


def _insert_before_close(text: str, opening: str, addition: str) -> str:
    """``addition`` as the last entry of the tuple that starts at ``opening`` (its closing ``)`` alone on a line)."""
    start = text.index(opening)
    close = text.index("\n)\n", start) + 1
    return text[:close] + addition + text[close:]


def _step_catalogue(copy: Path) -> None:
    """1. ``conformance/spec/catalogue.py``: a ``Req`` member and its row."""
    path = copy / "conformance" / "spec" / "catalogue.py"
    text = path.read_text(encoding="utf-8")
    members = list(re.finditer(r'^    [A-Z]+_\d\d = "[A-Z]+-\d\d"\n', text, re.MULTILINE))
    end = members[-1].end()
    text = text[:end] + '    RECIPE_01 = "RECIPE-01"\n' + text[end:]
    text = _insert_before_close(text, "REQUIREMENTS: tuple", f'    _r("RECIPE-01", "SHOULD", "{TITLE}"),\n')
    path.write_text(text, encoding="utf-8")


def _step_readme(copy: Path) -> None:
    """1. README.md's requirement table: the same row."""
    path = copy / "README.md"
    text = path.read_text(encoding="utf-8")
    rows = list(re.finditer(r"^\| [A-Z]+-\d\d \| (MUST|SHOULD) \| .+ \|\n", text, re.MULTILINE))
    end = rows[-1].end()
    path.write_text(text[:end] + f"| RECIPE-01 | SHOULD | {TITLE} |\n" + text[end:], encoding="utf-8")


def _step_check(copy: Path) -> None:
    """2. A pure oracle in ``conformance/oracles/`` and a check in ``conformance/suite/test_<area>.py``."""
    (copy / "conformance" / "oracles" / "recipe.py").write_text(ORACLE, encoding="utf-8")
    (copy / "conformance" / "suite" / "test_recipe.py").write_text(SUITE_MODULE, encoding="utf-8")


def _step_order(copy: Path) -> None:
    """2. A new suite module: its name in ``MODULE_ORDER`` (``conformance/run/collection.py``), before
    ``test_data``: it needs no test data of its own."""
    path = copy / "conformance" / "run" / "collection.py"
    text = path.read_text(encoding="utf-8")
    assert text.count('"test_data")') == 1, "MODULE_ORDER no longer ends with test_data: the recipe is stale"
    path.write_text(text.replace('"test_data")', '"test_recipe", "test_data")'), encoding="utf-8")


def _step_registry(copy: Path) -> None:
    """3. ``conformance/spec/registry.py``: one ``Check(...)`` line."""
    path = copy / "conformance" / "spec" / "registry.py"
    line = '    Check("test_recipe", "test_the_first_page_is_answered", (R.RECIPE_01,)),\n'
    path.write_text(_insert_before_close(path.read_text(encoding="utf-8"), "CHECKS: tuple", line), encoding="utf-8")


STEPS = {"catalogue": _step_catalogue, "readme": _step_readme, "check": _step_check, "order": _step_order,
         "registry": _step_registry}


def _copy_with(tmp_path: Path, steps: list[str]) -> Path:
    copy = tmp_path / "copy"
    shutil.copytree(ROOT / "conformance", copy / "conformance", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(ROOT / "README.md", copy / "README.md")
    for step in steps:
        STEPS[step](copy)
    return copy


def _in_copy(copy: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # The copy first on the path: the editable install of the project must not be what is imported.
    env = {**os.environ, "PYTHONPATH": str(copy)}
    return subprocess.run([sys.executable, *args], cwd=copy, env=env, capture_output=True, text=True, timeout=120)


def _differences(copy: Path) -> list[str]:
    done = _in_copy(copy, str(AGREEMENT), str(copy))
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert found["package"] == str(copy / "conformance"), found  # the copy was judged, not the project
    return list(found["differences"])


def test_the_unchanged_copy_agrees(tmp_path):
    """The baseline: the copy as it is agrees (a difference below is one the recipe's edits made)."""
    assert _differences(_copy_with(tmp_path, [])) == []


def test_the_recipe_followed_leaves_catalogue_registry_and_readme_agreeing(tmp_path):
    copy = _copy_with(tmp_path, list(STEPS))
    assert _differences(copy) == []
    listed = _in_copy(copy, "-m", "conformance", "requirements", "--json")
    assert listed.returncode == 0, listed.stderr
    entry = next((r for r in json.loads(listed.stdout) if r["id"] == "RECIPE-01"), None)
    assert entry == {"id": "RECIPE-01", "level": "SHOULD", "title": TITLE, "checks": [CHECK]}, entry
    plain = _in_copy(copy, "-m", "conformance", "requirements")
    assert plain.returncode == 0 and plain.stdout.splitlines()[-1].split()[:2] == ["RECIPE-01", "SHOULD"], plain


@pytest.mark.parametrize(("left_out", "caught"), [
    ("registry", [f"{CHECK} is in the suite but not in conformance/spec/registry.py",
                  "RECIPE-01 is served by no check of conformance/spec/registry.py"]),
    ("readme", ["the catalogue has RECIPE-01 (SHOULD), README.md does not list it"]),
    ("order", ["test_recipe is not in MODULE_ORDER of conformance/run/collection.py"]),
])
def test_the_recipe_with_a_step_left_out_is_caught(tmp_path, left_out, caught):
    copy = _copy_with(tmp_path, [step for step in STEPS if step != left_out])
    assert _differences(copy) == caught


@pytest.mark.slow  # a narrowed run of the copy's suite: it starts the bundled reference server
def test_the_new_check_runs_and_judges_its_requirement(tmp_path):
    """The chain the agreement checks stand for: the plugin marks the check from the copy's registry,
    the executor runs it, its violations (none: the reference conforms) judge RECIPE-01 in the reports."""
    copy = _copy_with(tmp_path, list(STEPS))
    reports = tmp_path / "reports"
    done = _in_copy(copy, "-m", "conformance", "run", "--seed", "1", "--report-dir", str(reports), "--", "-k",
                    "RECIPE-01")
    assert done.returncode == 0, done.stdout + done.stderr
    summary = json.loads((reports / "summary.json").read_text(encoding="utf-8"))
    status = {r["id"]: r["status"] for r in summary["requirements"]}
    assert status["RECIPE-01"] == "passed", summary
    ran = [(c["check_id"], c["outcome"], c["requirements"]) for c in summary["checks"]
           if not c["check_id"].startswith("crosscut::")]
    assert ran == [("suite/test_recipe.py::test_the_first_page_is_answered", "passed", ["RECIPE-01"])], ran


@pytest.mark.slow  # as above: the CLI resolves the target before pytest collects
def test_an_unregistered_check_stops_the_run_at_collection(tmp_path):
    copy = _copy_with(tmp_path, [step for step in STEPS if step != "registry"])
    done = _in_copy(copy, "-m", "conformance", "run", "--report-dir", str(tmp_path / "reports"), "--", "-k",
                    "RECIPE-01")
    assert done.returncode == 2, done.stdout + done.stderr
    assert "suite/test_recipe.py::test_the_first_page_is_answered: not in conformance/spec/registry.py" in done.stderr
    assert "Traceback" not in done.stdout + done.stderr
