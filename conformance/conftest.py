"""Loads the suite's pytest plugin and fixtures when the suite is collected (pytest conformance)."""

from conformance.run.fixtures import *  # noqa: F403
from conformance.run.plugin import *  # noqa: F403
