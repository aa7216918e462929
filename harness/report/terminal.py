"""The terminal summary, in pytest's style.

While the run goes: a rich progress bar when the stream is a terminal and the run is long
(more than :data:`PROGRESS_THRESHOLD` cases), otherwise one character per case (``.`` passed,
``F`` failed, ``E`` error, ``s`` skipped, ``R`` flaky — pytest-rerunfailures' letter for a test
that passed on a rerun) wrapped at :data:`LINE_WIDTH` columns, which reads well in CI logs. With
``verbosity`` 1 (``-v``), a line per case instead and, before the summary, a ``FAILURES``
section with each failing case's steps, decisions, findings and remediation; at 2 (``-vv``) that
section shows every case; at -1 (``-q``) no progress is printed, only the end. At the end: a
``short test summary info`` section with one line per failed or errored case (``FAILED <id> -
step 2 (line 14) sign_in: reason: expected managed, got hint_mismatch``), a note when the run
stopped early, and the totals line
(``== 3 failed, 27 passed, 1 error in 0.42s ==``): red when something failed or errored,
yellow when nothing passed (all skipped, or nothing ran), green otherwise.

Only what is in the :class:`CaseResult` is printed, through :func:`one_line` (an ESC or CR in a
scenario name cannot rewrite the terminal) on a :class:`TerminalWriter`, which has no markup (a
``[red]`` in a name is just text) and does not import rich: rich is imported only for the
progress bar. Only the failure lines are kept until the end, not the cases.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness.report.terminal_writer import Colour, TerminalWriter
from harness.report.text import case_details, one_line, problem
from harness.results import CaseOutcome, CaseResult, RunInfo, Summary

if TYPE_CHECKING:
    from rich.progress import Progress

#: Runs longer than this get a progress bar (on a terminal).
PROGRESS_THRESHOLD = 50
#: Where the line of progress characters wraps.
LINE_WIDTH = 80

_CHAR = {
    CaseOutcome.PASSED: ".",
    CaseOutcome.FAILED: "F",
    CaseOutcome.ERROR: "E",
    CaseOutcome.SKIPPED: "s",
    CaseOutcome.FLAKY: "R",
}
_STYLE: dict[CaseOutcome, Colour] = {
    CaseOutcome.PASSED: "green",
    CaseOutcome.FAILED: "red",
    CaseOutcome.ERROR: "red",
    CaseOutcome.SKIPPED: "yellow",
    CaseOutcome.FLAKY: "yellow",
}
_SUMMARY_LABEL = {CaseOutcome.FAILED: "FAILED", CaseOutcome.ERROR: "ERROR"}


def totals(summary: Summary) -> str:
    """``3 failed, 27 passed, 1 error in 0.42s`` (pytest's order and words; zeros left out)."""
    parts = [
        f"{number} {word}"
        for number, word in (
            (summary.failed, "failed"),
            (summary.passed, "passed"),
            (summary.skipped, "skipped"),
            (summary.flaky, "flaky"),
            (summary.errors, "error" if summary.errors == 1 else "errors"),
            (summary.deselected, "deselected"),
        )
        if number
    ]
    return f"{', '.join(parts) or 'no cases ran'} in {summary.duration_s:.2f}s"


def _totals_colour(summary: Summary) -> Colour:
    if not summary.ok:
        return "red"
    return "green" if summary.passed or summary.flaky else "yellow"  # yellow: nothing passed


class TerminalReporter:
    """Prints progress and the final summary of a run on ``writer``."""

    def __init__(self, writer: TerminalWriter, verbosity: int = 0) -> None:
        self.writer = writer
        self.verbosity = verbosity
        #: The cases the FAILURES section describes (at -v: failed and errored ones only).
        self._described: list[CaseResult] = []
        self._expected: int | None = None
        self._progress: Progress | None = None
        self._line: list[CaseOutcome] = []
        self._failures: list[tuple[CaseOutcome, str, str]] = []
        self._counts = Summary()

    def set_total(self, total: int) -> None:
        """How many cases the run will have; decides between a progress bar and characters."""
        self._expected = total
        if self.writer.is_terminal and total > PROGRESS_THRESHOLD:
            # Imported only here: rich's progress and live display cost ~0.05 s to import,
            # a tenth of a small run that never shows them.
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self._progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=self.writer.rich_console(),
                transient=True,
            )
            self._progress.add_task("running", total=total)
            self._progress.start()

    def start(self, info: RunInfo) -> None:
        self.writer.rule(info.command)
        shard = f", shard {info.shard}" if info.shard else ""
        workers = f", {info.workers} workers" if info.workers > 1 else ""
        self.writer.line(f"seed {info.seed}{shard}{workers}, started {info.started_at}", wrap=True)

    def add(self, case: CaseResult) -> None:
        outcome = case.outcome
        self._counts.count(outcome)
        if outcome in _SUMMARY_LABEL:
            self._failures.append((outcome, one_line(case.id), one_line(problem(case))))
        if self.verbosity >= 2 or (self.verbosity == 1 and outcome in _SUMMARY_LABEL):
            self._described.append(case)
        if self.verbosity < 0:
            pass
        elif self.verbosity > 0:
            self.writer.write(f"{one_line(case.id)} ")
            self.writer.line(outcome.value.upper(), _STYLE[outcome])
        elif self._progress is None:
            # Kept until the line is full: a CI log gets whole lines, as it did from rich.
            self._line.append(outcome)
            if len(self._line) == LINE_WIDTH:
                self._flush_line()
        if self._progress is not None:
            bad = self._counts.failed + self._counts.errors
            self._progress.update(
                self._progress.task_ids[0],
                advance=1,
                description=f"running ({bad} failed)" if bad else "running",
            )

    def _flush_line(self) -> None:
        for outcome in self._line:
            self.writer.write(_CHAR[outcome], _STYLE[outcome])
        self.writer.line()
        self._line = []

    def discard(self) -> None:
        """Nothing to abandon: what was printed stays printed."""
        if self._progress is not None:
            self._progress.stop()

    def finish(self, summary: Summary) -> None:
        """The failure section and totals: counts of the cases received, the run's duration."""
        if self._progress is not None:
            self._progress.stop()
        if self._line:
            self._flush_line()
        self._counts.received(summary)
        if self._described:
            self.writer.rule("FAILURES" if self.verbosity == 1 else "CASES")
            for case in self._described:
                self.writer.rule(case.id, characters="_", colour=_STYLE[case.outcome])
                for line in case_details(case)[1:]:
                    self.writer.line(line)
        if self._failures:
            self.writer.rule("short test summary info")
            for outcome, case_id, reason in self._failures:
                self.writer.write(_SUMMARY_LABEL[outcome], _STYLE[outcome])
                self.writer.line(f" {case_id} - {reason}")
        planned = max(self._counts.planned, self._expected or 0)
        if self._counts.interrupted or self._counts.total < planned:
            why = "interrupted" if self._counts.interrupted else self._counts.stopped or "run stopped"
            self.writer.line(f"!! {why}: {self._counts.total} of {planned} planned cases ran !!", "yellow", wrap=True)
        colour = _totals_colour(self._counts)
        self.writer.rule(totals(self._counts), colour=colour, title_colour=colour)
