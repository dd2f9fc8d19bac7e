"""The errors a user can cause or meet, each mapped to one documented exit status.

Raised with a one-line message that says what is wrong and how to fix it; the CLI prints that line
and exits, never a traceback.
"""

from __future__ import annotations

__all__ = ["ConformanceError", "UsageError", "TargetUnusable", "EXIT_PASS", "EXIT_FAIL", "EXIT_USAGE", "EXIT_TARGET"]

EXIT_PASS = 0  # every MUST requirement passed
EXIT_FAIL = 1  # a MUST requirement failed (or a waiver is stale)
EXIT_USAGE = 2  # bad flag, unreadable spec, spec without the operation, bad config or waivers file
EXIT_TARGET = 3  # target unreachable, TLS failure, API key rejected, test data could not be made


class ConformanceError(Exception):
    exit_status = EXIT_USAGE


class UsageError(ConformanceError):
    """The command line, spec, config or waivers file is wrong. Exit 2."""

    exit_status = EXIT_USAGE


class TargetUnusable(ConformanceError):
    """The target cannot be tested at all (unreachable, TLS, key rejected, ...). Exit 3."""

    exit_status = EXIT_TARGET
