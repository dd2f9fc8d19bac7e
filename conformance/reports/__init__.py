"""Layer 7, the reports. The report writers, registered once: each renders one file from a finished
:class:`RunResult`. Also the certification ``bundle`` and ``rejudge`` (its evidence judged again).
May import every layer up to ``data``; never the run or the suite.

``finish`` writes every registered report, the bundle packs every one of them, and a new run removes
them all first. A new format is one module with a ``write_*(run, path)`` function and one line here.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..model.results import RunResult

__all__ = ["ReportWriter", "REPORT_WRITERS", "REPORT_NAMES"]


@dataclass(frozen=True, slots=True)
class ReportWriter:
    name: str  # the file's name in the report directory
    write: Callable[[RunResult, str | os.PathLike[str]], Path]


def _writers() -> tuple[ReportWriter, ...]:
    from .html import write_html
    from .junit import write_junit
    from .summary import write_summary

    return (ReportWriter("summary.json", write_summary), ReportWriter("junit.xml", write_junit),
            ReportWriter("report.html", write_html))


REPORT_WRITERS: tuple[ReportWriter, ...] = _writers()
REPORT_NAMES: tuple[str, ...] = tuple(writer.name for writer in REPORT_WRITERS)
