"""dify-conformance: a property-based conformance suite for Dify's ``GET /conversations``.

The public surface is what ``__all__`` names (pinned by tests/unit/test_public_api.py): the
catalogue, the contract read from a spec, the result types the reports are made of, and the errors.
Everything else is internal and may change.
"""

from __future__ import annotations

from .errors import ConformanceError, TargetUnusable, UsageError
from .model.results import CheckResult, RunResult, Violation
from .spec.catalogue import REQUIREMENTS, Level, Req, Requirement
from .spec.contract import Contract, load_contract

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "REQUIREMENTS",
    "Level",
    "Req",
    "Requirement",
    "Contract",
    "load_contract",
    "Violation",
    "CheckResult",
    "RunResult",
    "ConformanceError",
    "TargetUnusable",
    "UsageError",
]
