"""dify-conformance: a property-based conformance suite for Dify's ``GET /conversations``.

The public surface is what ``__all__`` names (pinned by tests/unit/test_public_api.py): the
catalogue, the contract read from a spec, the result types the reports are made of, and the errors.
Everything else is internal and may change.
"""

from __future__ import annotations

from .catalogue import REQUIREMENTS, Level, Req, Requirement
from .contract import Contract, load_contract
from .errors import ConformanceError, TargetUnusable, UsageError
from .results import CheckResult, RunResult, Violation

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
