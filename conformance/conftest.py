"""Loads the suite's pytest plugin and fixtures when the suite is collected (pytest conformance)."""

from conformance.fixtures import *  # noqa: F403
from conformance.plugin import *  # noqa: F403
