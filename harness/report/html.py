"""The HTML report: one self-contained page with a scenario x device grid.

Rows are scenarios grouped by folder (or, for a file outside any folder, by its first tag),
columns are devices. Each cell shows its outcome as a colour and a word, the final decision's
reason beneath, every decision and mismatch on hover (``title``), and links to the case's
expandable ``<details>`` (steps, expected vs actual, remediation provider and link) further down.
Cells carry ``data-scenario``, ``data-device``, ``data-outcome`` (and ``data-file``) so tests and
scripts find them. Inline CSS, no script, no external asset: the file can be attached to a
ticket or archived by CI and still read.

Streaming: a case's details are rendered when it arrives and go to an anonymous scratch file;
only the grid's small cells (outcome, reason, hover text, anchor) stay in memory until
``finish`` writes the page and copies the details after it. Everything shown passes through
:func:`printable` and :func:`html.escape`; a remediation link is a link only when it is
``http(s)``, so a hostile ``javascript:`` URL stays text.
"""

from __future__ import annotations

from collections import defaultdict
from html import escape
from pathlib import Path, PurePosixPath
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from harness.report.atomic import Output, open_report, scratch_file
from harness.report.text import mismatch_lines, printable, step_label
from harness.results import CaseOutcome, CaseResult, RunInfo, StepResult, Summary

#: Longest hover text kept per cell, so that the grid of a large run stays small.
MAX_TITLE_CHARS = 400

# Which outcome a cell with several cases (a scenario run twice on one device) shows.
_SEVERITY = [CaseOutcome.PASSED, CaseOutcome.SKIPPED, CaseOutcome.FLAKY, CaseOutcome.FAILED, CaseOutcome.ERROR]
_LABEL = {
    CaseOutcome.PASSED: "passed",
    CaseOutcome.SKIPPED: "skipped",
    CaseOutcome.FLAKY: "flaky",
    CaseOutcome.FAILED: "FAILED",
    CaseOutcome.ERROR: "ERROR",
}

_STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#1a1a1a}
table.grid{border-collapse:collapse}
.grid th,.grid td{border:1px solid #bbb;padding:.3em .5em;vertical-align:top;text-align:left}
.grid thead th{background:#eee}
.grid th.group{background:#dde;font-weight:bold}
.grid td small{display:block;color:#333}
.grid td a,.badge{font-weight:bold;color:inherit}
.o-passed{background:#c8efc8}.o-failed{background:#f6b8b8}.o-error{background:#f3c58a}
.o-skipped{background:#e4e4e4}.o-flaky{background:#f3ec9a}.o-not-run{background:#fff;color:#777}
.badge{padding:0 .4em;border-radius:3px}
.counts span{margin-right:1em;padding:0 .4em;border-radius:3px}
details.case{margin:.3em 0;border-left:4px solid #bbb;padding-left:.6em}
details.case:target{outline:2px solid #1a1a1a}
.steps .mismatch{color:#900}
.incomplete{background:#f3c58a;padding:.4em .6em;border-radius:3px}
"""


class _Open(NamedTuple):
    """What :meth:`HtmlReporter.start` opened: the page, the details scratch file, and the run."""

    page: Output
    details: Output
    info: RunInfo


class _Cell(NamedTuple):
    outcome: CaseOutcome
    reason: str
    title: str
    anchor: str


_NOT_RUN = "no such case in this run (another platform, shard or matrix)"


def _e(text: object) -> str:
    return escape(printable(str(text)))


def _group(case: CaseResult) -> str:
    folder = PurePosixPath(case.file.replace("\\", "/")).parent.as_posix()
    if folder not in ("", "."):
        return folder
    return case.tags[0] if case.tags else "(no folder)"


def _decided(step: StepResult) -> bool:
    return step.decision is not None or step.reason is not None


def _hover(case: CaseResult) -> str:
    lines = [
        f"{step_label(number, step)}: {step.decision} ({step.reason})"
        for number, step in enumerate(case.steps, 1)
        if _decided(step)
    ]
    lines += [f"mismatch: {line}" for line in mismatch_lines(case)]
    if case.message:
        lines.append(case.message)
    title = "\n".join(lines) or case.outcome.value
    return title if len(title) <= MAX_TITLE_CHARS else title[: MAX_TITLE_CHARS - 1] + "…"


def _remediation(remediation: dict[str, Any]) -> str:
    parts = [_e(remediation[key]) for key in ("title", "provider") if remediation.get(key)]
    link = str(remediation.get("enrollment_link") or "")
    if urlsplit(link).scheme in ("http", "https"):
        parts.append(f'<a href="{_e(link)}" rel="noreferrer">{_e(link)}</a>')
    elif link:
        parts.append(_e(link))
    return f'<div class="remediation">remediation: {" — ".join(parts)}</div>'


def _step(number: int, step: StepResult) -> str:
    html = [f"<li>{_e(step_label(number, step))}"]
    if _decided(step):
        html.append(f": <b>{_e(step.decision)}</b> ({_e(step.reason)})")
    html += [f'<div class="mismatch">{_e(mismatch)}</div>' for mismatch in step.mismatches]
    if step.remediation:
        html.append(_remediation(step.remediation))
    if step.findings:
        html.append(f'<div class="findings">findings: {_e(", ".join(step.findings))}</div>')
    html.append("</li>")
    return "".join(html)


def _case_details(case: CaseResult, anchor: str) -> str:
    outcome = case.outcome
    opened = " open" if outcome in (CaseOutcome.FAILED, CaseOutcome.ERROR) else ""
    html = [
        f'<details class="case" id="{anchor}"{opened}><summary>'
        f'<span class="badge o-{outcome.value}">{_LABEL[outcome]}</span> '
        f"{_e(case.scenario)} [{_e(case.device)}] — {_e(case.id)} · {case.duration_s:.3f}s"
        f"{' · ' + _e(case.file) if case.file else ''}</summary>",
    ]
    if case.message:
        html.append(f'<p class="message">{_e(case.message)}</p>')
    if case.steps:
        steps = "".join(_step(number, step) for number, step in enumerate(case.steps, 1))
        html.append(f'<ol class="steps">{steps}</ol>')
    html.append("</details>\n")
    return "".join(html)


def _td(scenario: str, file: str, device: str, cells: list[_Cell]) -> str:
    keys = f'data-scenario="{_e(scenario)}" data-file="{_e(file)}" data-device="{_e(device)}"'
    if not cells:
        return f'<td class="o-not-run" {keys} data-outcome="not-run" title="{_NOT_RUN}">—</td>'
    shown = max(cells, key=lambda cell: _SEVERITY.index(cell.outcome)).outcome
    content = "".join(
        f'<a href="#{cell.anchor}">{_LABEL[cell.outcome]}</a>'
        f"{f'<small>{_e(cell.reason)}</small>' if cell.reason else ''}"
        for cell in cells
    )
    title = "\n\n".join(cell.title for cell in cells)
    return f'<td class="o-{shown.value}" {keys} data-outcome="{shown.value}" title="{_e(title)}">{content}</td>'


class HtmlReporter:
    """Streams a run into a self-contained HTML page at ``path`` (written at :meth:`finish`)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._open: _Open | None = None
        # (group, scenario, file) -> device -> cells
        self._grid: defaultdict[tuple[str, str, str], defaultdict[str, list[_Cell]]] = defaultdict(
            lambda: defaultdict(list)
        )
        self._devices: set[str] = set()
        self._counts = Summary()

    def start(self, info: RunInfo) -> None:
        page = open_report(self.path)
        self._open = _Open(page, scratch_file(page), info)

    def add(self, case: CaseResult) -> None:
        details = self._started().details
        anchor = f"case-{self._counts.total}"
        details.write(_case_details(case, anchor))
        reasons = [step.reason for step in case.steps if step.reason is not None]
        cell = _Cell(case.outcome, reasons[-1] if reasons else "", _hover(case), anchor)
        self._grid[(_group(case), case.scenario, case.file)][case.device].append(cell)
        self._devices.add(case.device)
        self._counts.count(case.outcome)

    def finish(self, summary: Summary) -> None:
        """Write the page: counts of the cases received, the run's duration, grid, details."""
        out, details, info = self._started()
        self._counts.received(summary)
        with details, out:
            out.write(self._head(info))
            self._write_table(out)
            out.write("<h2>Cases</h2>\n")
            out.copy_from(details)
            out.write("</body>\n</html>\n")

    def _head(self, info: RunInfo) -> str:
        counts = self._counts
        shard = f" · shard {_e(info.shard)}" if info.shard else ""
        tally = "".join(
            f'<span class="o-{outcome.value}">{number} {outcome.value}</span>'
            for outcome, number in (
                (CaseOutcome.PASSED, counts.passed),
                (CaseOutcome.FAILED, counts.failed),
                (CaseOutcome.ERROR, counts.errors),
                (CaseOutcome.SKIPPED, counts.skipped),
                (CaseOutcome.FLAKY, counts.flaky),
            )
        )
        return (
            '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f"<title>{_e(info.command)} — {counts.total} cases</title>\n"
            f"<style>{_STYLE}</style>\n</head>\n<body>\n<h1>{_e(info.command)}</h1>\n"
            f'<p class="counts"><span>{counts.total} cases</span>{tally}'
            f"{f'<span>{counts.deselected} deselected</span>' if counts.deselected else ''}"
            f"<span>in {counts.duration_s:.2f}s</span></p>\n"
            f"<p>started {_e(info.started_at)} · seed {info.seed}{shard}</p>\n"
            f"{self._incomplete()}"
        )

    def _incomplete(self) -> str:
        """A banner when the page does not hold the whole run: stopped early, or shards missing."""
        counts = self._counts
        banners = []
        if counts.interrupted:
            banners.append(
                f"<strong>Interrupted</strong>: {counts.total} of {counts.planned} planned cases ran; "
                "the others are not in this report."
            )
        if counts.partial:
            banners.append("<strong>Partial</strong>: merged without some shards of the run.")
        return "".join(f'<p class="incomplete">{banner}</p>\n' for banner in banners)

    def _write_table(self, out: Output) -> None:
        """The grid, row by row (a 10,000-cell table is never built as one string)."""
        devices = sorted(self._devices)
        if not devices:
            out.write("<p>No case finished.</p>\n")
            return
        header = "".join(f'<th scope="col">{_e(device)}</th>' for device in devices)
        out.write(f'<table class="grid">\n<thead><tr><th>scenario</th>{header}</tr></thead>\n')
        group = None
        for key in sorted(self._grid):
            if key[0] != group:
                out.write("</tbody>\n" if group is not None else "")
                group = key[0]
                out.write(f'<tbody><tr><th class="group" colspan="{len(devices) + 1}">{_e(group)}</th></tr>\n')
            _, scenario, file = key
            row = self._grid[key]
            cells = "".join(_td(scenario, file, device, row.get(device, [])) for device in devices)
            out.write(f'<tr><th scope="row" title="{_e(file)}">{_e(scenario)}</th>{cells}</tr>\n')
        out.write("</tbody>\n</table>\n")

    def discard(self) -> None:
        if self._open is not None:
            self._open.page.discard()
            self._open.details.discard()

    def _started(self) -> _Open:
        if self._open is None:
            raise RuntimeError("HtmlReporter.start() was not called")
        return self._open
