"""Root conftest of the project's own tests (tests/). The suite itself lives in conformance/ and has
its own conftest; this one only offers paths used by the self-tests."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ["pytester"]  # the suite's plugin is tested as users meet it: in real pytest runs

ROOT = Path(__file__).parent
# The full Dify docs specs (CC BY 4.0, see its ATTRIBUTION.md), carried in the repository.
DIFY_SPECS = ROOT / "tests" / "data" / "dify-docs-specs"


@pytest.fixture(scope="session")
def dify_specs() -> Path:
    if not DIFY_SPECS.is_dir():
        pytest.fail(f"the carried Dify specs are missing from the checkout ({DIFY_SPECS})")
    return DIFY_SPECS
