"""ARCHITECTURE.md names files that exist: every path it gives, in the flow and in the recipes.

A path is taken relative to ``conformance/`` (as the flow says), else to the repository's root, so
a bare module name is one at the top of either (``cli.py``, ``README.md``): a module of a layer is
named with its folder. Placeholders (``test_<area>.py``, ``test_*.py``) are patterns, not paths;
CONTRACT.md is the outside contract, kept beside the repository.
"""

from __future__ import annotations

import re

from conftest import ROOT

PACKAGE = ROOT / "conformance"
_PATH = re.compile(r"(?<![\w<*/.-])((?:[\w-]+/)*[\w-]+\.(?:py|md)|(?:[\w-]+/)+)(?![\w<*])")


def _named_paths(text: str) -> set[str]:
    return {m.group(1) for m in _PATH.finditer(text)}


_OUTSIDE = {"CONTRACT.md"}


def _exists(name: str) -> bool:
    return name in _OUTSIDE or (PACKAGE / name).exists() or (ROOT / name).exists()


def test_every_path_in_architecture_exists():
    text = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    named = _named_paths(text)
    assert {"run/plugin.py", "spec/registry.py", "tests/unit/test_recipe_add_requirement.py"} <= named, named
    missing = sorted(n for n in named if not _exists(n))
    assert missing == [], missing


def test_a_stale_path_is_seen():
    assert not _exists("executor.py") and not _exists("lifecycle/") and _exists("suite/lifecycle/")
    assert _named_paths("plugin.py: `walker.py`, lifecycle/ and test_<area>.py") == {"plugin.py", "walker.py",
                                                                                  "lifecycle/"}
