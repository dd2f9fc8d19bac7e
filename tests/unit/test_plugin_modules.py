"""The plugin's hooks are all where pytest looks for them, and its order places every suite module.

``conformance/conftest.py`` loads the plugin with ``from conformance.run.plugin import *`` and users
load it with ``pytest -p conformance.run.plugin``: pytest finds hooks by name on that module only. So
every hook is defined in ``run/plugin.py`` and exported by its ``__all__``; the modules it hands its
work to (``startup``, ``collection``, ``attribution``, ``closing``) define none, where pytest would
never call it.
"""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import conformance.run.plugin as plugin
from tests.agreement import unordered_suite_modules

RUN = Path(plugin.__file__).parent


def _hooks_defined_in(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {node.name for node in tree.body if isinstance(node, ast.FunctionDef) and node.name.startswith("pytest_")}


def test_every_hook_of_the_plugin_module_is_exported():
    defined = _hooks_defined_in(RUN / "plugin.py")
    assert defined and set(plugin.__all__) == defined
    assert all(inspect.getmodule(getattr(plugin, name)) is plugin for name in defined)


def test_no_other_module_of_the_run_defines_a_module_level_hook():
    # fixtures.py is loaded by the same conftest (its fixtures, no hooks); a class's hook methods
    # (XdistController, Progress) are registered as plugins of their own and are not counted here.
    stray = {path.name: hooks for path in sorted(RUN.glob("*.py")) if path.name != "plugin.py"
             and (hooks := _hooks_defined_in(path))}
    assert stray == {}


def test_every_suite_module_has_its_place_in_the_order():
    """A module missing from ``MODULE_ORDER`` would run last, after the checks that wait for the data."""
    assert unordered_suite_modules() == []
