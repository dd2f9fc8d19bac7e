"""The import contract: the package's folders are its layers, and no module imports a layer above its own.

Read from the source (every import, also those inside functions and under TYPE_CHECKING), so a lazy
import cannot hide a cycle of layers. ARCHITECTURE.md lists the same layers in the same order.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "conformance"

# Lowest first. A module may import its own layer and those before it. ``conformance`` itself (the
# package's public surface) re-exports spec and model names only, so it counts as the model layer.
LAYERS = ("errors", "spec", "model", "oracles", "config", "http", "data", "reports", "run", "suite", "commands")
_TOP_LEVEL = {"conformance": "model", "errors": "errors", "cli": "commands", "__main__": "commands",
              "conftest": "commands"}
# The bundled reference server is a program of its own: of the suite it imports only the spec layer
# (its faults name the catalogue's requirements), and only the run (to start it) and the command
# line (to serve it) import it.
_SERVER_USERS = {"run", "commands"}
_SERVER_IMPORTS = {"server", "spec", "errors"}
# Oracles are pure: no network, no clock, no threads' waiting, no pytest.
_ORACLE_FORBIDDEN = {"requests", "urllib3", "socket", "http", "pytest", "time", "hypothesis"}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, absolute module) of every import in the file, relative ones resolved."""
    name = _module_name(path)
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = ".".join(package[: len(package) - node.level + 1]) if node.level else ""
            module = ".".join(p for p in (base, node.module or "") if p)
            found.append((node.lineno, module))
            # ``from conformance.x import y`` may name a module y: judge that module too.
            found += [(node.lineno, f"{module}.{alias.name}") for alias in node.names
                      if (PACKAGE.parent / f"{module}.{alias.name}".replace(".", "/")).with_suffix(".py").exists()
                      or (PACKAGE.parent / f"{module}.{alias.name}".replace(".", "/")).is_dir()]
    return found


def layer_of(module: str) -> str:
    """The layer a module of the package belongs to ("server" for the reference server)."""
    parts = module.split(".")
    assert parts[0] == "conformance", module
    if len(parts) == 1:
        return _TOP_LEVEL["conformance"]
    if parts[1] == "server":
        return "server"
    if parts[1] in LAYERS:
        return parts[1]
    if parts[1] in _TOP_LEVEL:
        return _TOP_LEVEL[parts[1]]
    raise AssertionError(f"{module}: not in a layer; put it in one of {LAYERS} (or name it in _TOP_LEVEL)")


def _sources() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def problems_of(path: Path) -> list[str]:
    """What breaks the contract in one file (pure of the tree: the tests below run it on copies too)."""
    own = layer_of(_module_name(path))
    found = []
    for line, module in _imports(path):
        where = f"{path.relative_to(ROOT)}:{line}"
        if module.split(".")[0] != "conformance":
            if own == "oracles" and module.split(".")[0] in _ORACLE_FORBIDDEN:
                found.append(f"{where}: an oracle imports {module} (oracles are pure)")
            continue
        theirs = layer_of(module)
        if own == "server" or theirs == "server":
            apart = (own == "server" and theirs not in _SERVER_IMPORTS
                     or theirs == "server" and own not in _SERVER_USERS | {"server"})
            if apart:
                found.append(f"{where}: {own} imports {module} (the reference server stands apart)")
        elif LAYERS.index(theirs) > LAYERS.index(own):
            found.append(f"{where}: layer {own} imports {module} of the higher layer {theirs}")
    return found


def test_every_module_sits_in_a_layer():
    assert [p for p in _sources() if not layer_of(_module_name(p))] == []


def test_no_module_imports_a_higher_layer():
    problems = [problem for path in _sources() for problem in problems_of(path)]
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize(("layer", "source", "complaint"), [
    ("oracles", "from ..http.client import HttpClient\n", "layer oracles imports conformance.http.client"),
    ("config", "def f():\n    from ..data import dataset\n", "layer config imports conformance.data"),
    ("oracles", "import urllib3\n", "an oracle imports urllib3"),
    ("server", "from ..http.client import HttpClient\n", "the reference server stands apart"),
    ("data", "from ..server.process import ReferenceServer\n", "the reference server stands apart"),
    ("spec", "from conformance.run.plugin import x\n", "layer spec imports conformance.run.plugin"),
])
def test_the_contract_sees_a_higher_import(tmp_path, monkeypatch, layer, source, complaint):
    """The check is not blind: an upward import written into a copy of a layer is reported."""
    fake_root = tmp_path / "tree"
    target = fake_root / "conformance" / layer / "intruder.py"
    target.parent.mkdir(parents=True)
    target.write_text(source)
    monkeypatch.setattr(sys.modules[__name__], "ROOT", fake_root, raising=True)
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", fake_root / "conformance", raising=True)
    found = problems_of(target)
    assert len(found) == 1 and complaint in found[0], found


def test_architecture_lists_the_layers_in_order():
    text = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    table = re.search(r"<!-- layers -->\n(.*?)<!-- /layers -->", text, re.DOTALL)
    assert table, "ARCHITECTURE.md has no <!-- layers --> table"
    listed = re.findall(r"^\| *\d+ *\| *`([a-z_]+)`", table.group(1), re.MULTILINE)
    assert tuple(listed) == LAYERS
    for layer in LAYERS:
        if (PACKAGE / layer).is_dir():
            doc = ast.get_docstring(ast.parse((PACKAGE / layer / "__init__.py").read_text(encoding="utf-8")))
            assert doc and "May import" in doc, f"conformance/{layer}/__init__.py says what it may import"
