"""The agreements between the catalogue, the check registry, the suite and the README, as functions.

Each returns the list of differences, empty when they agree (as pytest-httpserver's
``RequestMatcher.difference``). They judge whichever ``conformance`` package is imported: the
project's own in ``tests/unit/test_readme.py`` and ``tests/unit/test_registry.py``, a modified copy of
it in ``tests/unit/test_recipe_add_requirement.py``, which runs this file as a script with the copy
first on ``PYTHONPATH``: ``python tests/agreement.py ROOT`` prints ``{"package": ..., "differences":
[...]}`` for the package found first and the README in ROOT.
"""

from __future__ import annotations

import ast
import json
import re
import sys
from pathlib import Path

__all__ = ["differences", "readme_catalogue_differences", "registry_suite_differences", "self_marking_modules",
           "suite_checks", "unordered_suite_modules", "unserved_requirements"]

_README_ROW = re.compile(r"^\| ([A-Z]+-\d\d) \| (MUST|SHOULD) \| (.+) \|$", re.MULTILINE)


def _suite_dir() -> Path:
    import conformance

    return Path(conformance.__file__).parent / "suite"


def readme_catalogue_differences(readme: str) -> list[str]:
    """The README's requirement table against the catalogue: the same ids, levels and titles, in order."""
    from conformance.spec.catalogue import REQUIREMENTS

    listed = [(i, level, title) for i, level, title in _README_ROW.findall(readme)]
    expected = [(r.id, r.level.value, r.title) for r in REQUIREMENTS]
    found = [f"README.md lists {row[0]} ({row[1]}), the catalogue does not" for row in listed
             if row[:2] not in {e[:2] for e in expected}]
    found += [f"the catalogue has {row[0]} ({row[1]}), README.md does not list it" for row in expected
              if row[:2] not in {r[:2] for r in listed}]
    if not found and [r[:2] for r in listed] != [e[:2] for e in expected]:
        found.append("README.md lists the requirements in another order than the catalogue")
    titles = {row[0]: row[2] for row in expected}
    found += [f"README.md's title of {row[0]} is not the catalogue's" for row in listed
              if row[0] in titles and row[2] != titles[row[0]]]
    return found


def suite_checks() -> set[str]:
    """``module::function`` of every check the suite's modules define."""
    found = set()
    for module in _suite_dir().glob("test_*.py"):
        tree = ast.parse(module.read_text(encoding="utf-8"))
        found |= {f"{module.stem}::{node.name}" for node in tree.body
                  if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")}
    return found


def registry_suite_differences() -> list[str]:
    """Every suite check in the registry, every registered check in the suite."""
    from conformance.spec.registry import CHECKS

    registered, defined = {c.key for c in CHECKS}, suite_checks()
    unregistered, missing = sorted(defined - registered), sorted(registered - defined)
    return ([f"{key} is in the suite but not in conformance/spec/registry.py" for key in unregistered]
            + [f"{key} is in conformance/spec/registry.py but not in the suite" for key in missing])


def unserved_requirements() -> list[str]:
    """Every catalogue requirement served by a check, and the catalogue's table the same as ``Req``."""
    from conformance.spec.catalogue import REQUIREMENTS, Req
    from conformance.spec.registry import checks_serving

    found = [f"{r.id} is served by no check of conformance/spec/registry.py" for r in REQUIREMENTS
             if not checks_serving(r.id)]
    if {r.id for r in REQUIREMENTS} != set(Req):
        found.append("the catalogue's REQUIREMENTS and its Req members differ: "
                     f"{sorted(set(Req) ^ {r.id for r in REQUIREMENTS})}")
    return found


def self_marking_modules() -> list[str]:
    """Suite modules that name their requirements themselves (the registry does that)."""
    return [f"{m.name} names its requirements itself (mark.requirement)" for m in sorted(_suite_dir().glob("test_*.py"))
            if "mark.requirement" in m.read_text(encoding="utf-8")]


def unordered_suite_modules() -> list[str]:
    """Suite modules the plugin's order does not name (they would run last, after the data-hungry ones)."""
    from conformance.run.collection import MODULE_ORDER

    return [f"{m.stem} is not in MODULE_ORDER of conformance/run/collection.py" for m in
            sorted(_suite_dir().glob("test_*.py")) if m.stem not in MODULE_ORDER]


def differences(readme: str) -> list[str]:
    """Every disagreement of the catalogue, the registry, the suite, the plugin's order and the README."""
    return (readme_catalogue_differences(readme) + registry_suite_differences() + unserved_requirements()
            + self_marking_modules() + unordered_suite_modules())


if __name__ == "__main__":
    import conformance

    root = Path(sys.argv[1])
    print(json.dumps({"package": str(Path(conformance.__file__).parent),
                      "differences": differences((root / "README.md").read_text(encoding="utf-8"))}))
