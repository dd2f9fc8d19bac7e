"""dify-conformance: a property-based conformance suite for Dify's ``GET /conversations``."""

from __future__ import annotations

from .catalogue import REQUIREMENTS, Level, Requirement
from .errors import ConformanceError, TargetUnusable, UsageError

__version__ = "0.1.0"

__all__ = ["__version__", "REQUIREMENTS", "Level", "Requirement", "ConformanceError", "TargetUnusable", "UsageError"]
