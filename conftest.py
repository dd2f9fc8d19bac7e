"""Root conftest of the project's own tests (tests/). The suite itself lives in conformance/ and has
its own conftest; this one only offers paths shared by the self-tests."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).parent
SHARED = ROOT.parent / "shared"  # ../shared beside the checkout: the full Dify specs


@pytest.fixture(scope="session")
def dify_specs() -> Path:
    path = SHARED / "dify-docs-specs"
    if not path.is_dir():
        pytest.fail(f"../shared/dify-docs-specs is missing beside the checkout ({path})")
    return path
