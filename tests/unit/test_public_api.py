"""The package's public surface is deliberate: exactly these names, each importable and what it says."""

from __future__ import annotations

import conformance

EXPORTED = {
    "__version__", "REQUIREMENTS", "Level", "Req", "Requirement", "Contract", "load_contract", "Violation",
    "CheckResult", "RunResult", "ConformanceError", "TargetUnusable", "UsageError",
}


def test_exactly_the_public_names_are_exported():
    assert set(conformance.__all__) == EXPORTED
    assert len(conformance.__all__) == len(EXPORTED)


def test_every_exported_name_exists():
    for name in conformance.__all__:
        assert getattr(conformance, name) is not None, name


def test_the_exported_contract_reads_the_bundled_spec():
    contract = conformance.load_contract()
    assert isinstance(contract, conformance.Contract)
    assert contract.operation.path == "/conversations" and contract.limit.maximum == 100


def test_the_exported_catalogue_is_keyed_by_the_typed_ids():
    assert [r.id for r in conformance.REQUIREMENTS] == list(conformance.Req)
