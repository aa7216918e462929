"""Reports of a run: terminal summary, JSON, JUnit XML, HTML grid, and merging shard reports.

Every reporter follows :class:`Reporter`. The runner calls ``start`` once, ``add`` for each
finished case in completion order (from the main process), and ``finish`` in a ``finally``,
also after Ctrl-C, with the summary of what finished. Reporters stream: a case is written (or
reduced to what the report needs) when it arrives, never kept, so a 10,000-case run costs no
more memory than a short one. File reports appear complete or not at all (written aside and
renamed). Counts written are those of the cases received; the summary given to ``finish``
supplies the run's duration.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, Protocol

from harness.report.json_report import JsonReporter
from harness.report.terminal import TerminalReporter
from harness.results import CaseResult, RunInfo, Summary

if TYPE_CHECKING:
    from harness.report.html import HtmlReporter
    from harness.report.junit import JUnitReporter
    from harness.report.merge import merge_json_reports, merge_reports

#: Imported when first used (PEP 562): every run needs the terminal reporter, few the HTML
#: grid, JUnit XML or merging, whose imports and regular expressions cost ~20 ms of start-up.
_LAZY = {
    "HtmlReporter": "harness.report.html",
    "JUnitReporter": "harness.report.junit",
    "merge_json_reports": "harness.report.merge",
    "merge_reports": "harness.report.merge",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "HtmlReporter",
    "JUnitReporter",
    "JsonReporter",
    "Reporter",
    "TerminalReporter",
    "merge_json_reports",
    "merge_reports",
]


class Reporter(Protocol):
    """What the runner drives: one ``start``, an ``add`` per finished case, one ``finish``."""

    def start(self, info: RunInfo) -> None:
        """The run begins; file reports open their output here (an unwritable path fails now)."""

    def add(self, case: CaseResult) -> None:
        """One case finished; called in completion order."""

    def finish(self, summary: Summary) -> None:
        """The run ended, completely or not; write what was received."""

    def discard(self) -> None:
        """Abandon the report (another failed to start, or this one failed to write): whatever
        was at the target stays as it was."""
