"""The HTML report: one self-contained page with a scenario x device grid.

Rows are scenarios grouped by folder (or, for a file outside any folder, by its first tag),
columns are devices in natural order (``Pixel 2`` before ``Pixel 10``). Each cell shows its
outcome as a colour and a word, the final decision's reason beneath, every decision and mismatch
on hover (``title``); a click on it opens the case's details (steps, decisions, reasons,
findings, remediation) in a panel at once. The header row and the scenario column stay in place
while a 60-device grid scrolls; filters by platform, EMM, outcome and tag hide the other rows;
each row and each column has its totals. Cells carry ``data-scenario``, ``data-device``,
``data-outcome``, ``data-case`` (and ``data-file``), rows ``data-platform``, ``data-emm``,
``data-tags`` and ``data-outcomes``, so tests and scripts find them. Inline CSS and one inline
script, no external asset: the file can be attached to a ticket or archived by CI and still be
read; without scripts the cells still link to the details further down.

Streaming: a case's details are rendered when it arrives and go to an anonymous scratch file;
only the grid's small cells (outcome, reason, hover text, anchor) stay in memory until
``finish`` writes the page and copies the details after it. Everything shown passes through
:func:`printable` and :func:`html.escape`; a remediation link is a link only when it is
``http(s)``, so a hostile ``javascript:`` URL stays text.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
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

#: The device column of files that did not load: no device ran them.
LOAD_ERROR_DEVICE = "-"
_LOAD_ERROR_LABEL = "file did not load"

_STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#1a1a1a}
.scroll{overflow:auto;max-height:75vh;max-width:100%;border:1px solid #bbb}
table.grid{border-collapse:separate;border-spacing:0}
.grid th,.grid td{border:1px solid #bbb;padding:.3em .5em;vertical-align:top;text-align:left;background:#fff}
.grid thead th{background:#eee;position:sticky;top:0;z-index:2}
.grid th[scope=row],.grid th.corner{position:sticky;left:0;z-index:1;background:#f7f7f7;white-space:nowrap}
.grid thead th.corner{z-index:3;background:#eee}
.grid th.group{background:#dde;font-weight:bold;position:sticky;left:0}
.grid td[data-case]{cursor:pointer}
.grid .total{font-weight:normal;color:#333;white-space:nowrap}
.filters label{margin-right:1em}
#panel{position:fixed;right:0;top:0;width:36em;max-width:50vw;height:100vh;overflow:auto;background:#fff;
border-left:2px solid #1a1a1a;padding:1em;box-shadow:-4px 0 8px #0003;z-index:5}
#panel[hidden]{display:none}
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
    worst = max(cells, key=lambda cell: _SEVERITY.index(cell.outcome))
    return (
        f'<td class="o-{shown.value}" {keys} data-outcome="{shown.value}" data-case="{worst.anchor}" '
        f'title="{_e(title)}">{content}</td>'
    )


def natural_key(text: str) -> list[tuple[int, int | str]]:
    """``Pixel 2`` before ``Pixel 10``, ``iPhone15,2`` before ``iPhone15,10``: digit runs compare
    as numbers, the rest without case."""
    return [(0, int(part)) if _DIGITS.fullmatch(part) else (1, part.casefold()) for part in _DIGITS.split(text) if part]


def _device_label(device: str) -> str:
    return _LOAD_ERROR_LABEL if device == LOAD_ERROR_DEVICE else device


_DIGITS = re.compile(r"([0-9]+)")  # ASCII digits only: "¹" is a digit to str.isdigit, not to int()

#: Shows a clicked cell's details in the panel; filters rows. Plain DOM, no library, and no
#: string from the report is ever evaluated: the panel receives a clone of the details node.
_SCRIPT = """
(function () {
  var panel = document.getElementById('panel');
  function show(id) {
    var details = document.getElementById(id);
    if (!details) { return; }
    details.open = true;
    var copy = details.cloneNode(true);
    copy.removeAttribute('id');
    copy.open = true;
    panel.replaceChildren(panel.firstElementChild, copy);
    panel.hidden = false;
  }
  document.querySelector('table.grid').addEventListener('click', function (event) {
    var cell = event.target.closest('td[data-case]');
    if (!cell) { return; }
    event.preventDefault();
    show(cell.dataset.case);
  });
  document.getElementById('panel-close').addEventListener('click', function () { panel.hidden = true; });
  var selects = document.querySelectorAll('.filters select');
  function apply() {
    var wanted = {};
    selects.forEach(function (s) { if (s.value) { wanted[s.name] = s.value; } });
    document.querySelectorAll('table.grid tbody').forEach(function (body) {
      var shown = 0;
      body.querySelectorAll('tr[data-platform]').forEach(function (row) {
        var ok = Object.keys(wanted).every(function (key) {
          var have = (row.dataset[key] || '').split(' ');
          return have.indexOf(wanted[key]) >= 0;
        });
        row.hidden = !ok;
        shown += ok ? 1 : 0;
      });
      var group = body.querySelector('tr.group-row');
      if (group) { group.hidden = shown === 0; }
    });
  }
  selects.forEach(function (s) { s.addEventListener('change', apply); });
}());
"""


def _total(outcomes: Counter[CaseOutcome]) -> str:
    """``3/4`` passed (flaky counts as passed, as it did pass), with the full tally on hover."""
    ran = sum(outcomes.values())
    passed = outcomes[CaseOutcome.PASSED] + outcomes[CaseOutcome.FLAKY]
    tally = ", ".join(f"{n} {o.value}" for o, n in sorted(outcomes.items(), key=lambda kv: _SEVERITY.index(kv[0])))
    return f'<td class="total" title="{_e(tally)}">{passed}/{ran}</td>'


class _Row(NamedTuple):
    """What the grid keeps of a scenario besides its cells: what its filters match."""

    platform: str
    emm: str
    tags: frozenset[str]


class HtmlReporter:
    """Streams a run into a self-contained HTML page at ``path`` (written at :meth:`finish`)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._open: _Open | None = None
        # (group, scenario, file) -> device -> cells
        self._grid: defaultdict[tuple[str, str, str], defaultdict[str, list[_Cell]]] = defaultdict(
            lambda: defaultdict(list)
        )
        #: device -> the platform of its cases ("" for the load-error column), to order the columns.
        self._devices: dict[str, str] = {}
        self._rows: dict[tuple[str, str, str], _Row] = {}
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
        key = (_group(case), case.scenario, case.file)
        self._grid[key][case.device].append(cell)
        self._rows.setdefault(key, _Row(case.platform, case.emm, frozenset(case.tags)))
        self._devices.setdefault(case.device, case.platform)
        self._counts.count(case.outcome)

    def finish(self, summary: Summary) -> None:
        """Write the page: counts of the cases received, the run's duration, grid, details."""
        out, details, info = self._started()
        self._counts.received(summary)
        with details, out:
            out.write(self._head(info))
            out.write(self._filters())
            self._write_table(out)
            out.write('<aside id="panel" hidden><button id="panel-close" type="button">close</button></aside>\n')
            out.write("<h2>Cases</h2>\n")
            out.copy_from(details)
            out.write(f"<script>{_SCRIPT}</script>\n</body>\n</html>\n")

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
        if counts.stopped:
            banners.append(f"<strong>Stopped</strong>: {_e(counts.stopped)}; {counts.total} of {counts.planned} ran.")
        if counts.partial:
            banners.append("<strong>Partial</strong>: merged without some shards of the run.")
        return "".join(f'<p class="incomplete">{banner}</p>\n' for banner in banners)

    def _filters(self) -> str:
        """One select per facet, listing only the values this run has."""
        seen = {cell.outcome for row in self._grid.values() for cells in row.values() for cell in cells}
        facets = {
            "platform": sorted({row.platform for row in self._rows.values() if row.platform}),
            "emm": sorted({row.emm for row in self._rows.values() if row.emm}),
            "outcomes": [o.value for o in _SEVERITY if o in seen],
            "tags": sorted({tag for row in self._rows.values() for tag in row.tags}, key=natural_key),
        }
        labels = {"platform": "platform", "emm": "EMM", "outcomes": "outcome", "tags": "tag"}
        selects = "".join(
            f'<label>{labels[name]} <select name="{name}"><option value="">all</option>'
            + "".join(f'<option value="{_e(v)}">{_e(v)}</option>' for v in values)
            + "</select></label>"
            for name, values in facets.items()
        )
        return f'<p class="filters">{selects}</p>\n'

    def _write_table(self, out: Output) -> None:
        """The grid, row by row (a 10,000-cell table is never built as one string)."""
        # Android's devices, then iOS's, each in natural order; the load-error column last.
        devices = sorted(self._devices, key=lambda d: (d == LOAD_ERROR_DEVICE, self._devices[d] or "~", natural_key(d)))
        if not devices:
            out.write("<p>No case finished.</p>\n")
            return
        header = "".join(f'<th scope="col">{_e(_device_label(device))}</th>' for device in devices)
        out.write(
            '<div class="scroll"><table class="grid">\n'
            f'<thead><tr><th class="corner">scenario</th>{header}<th scope="col">passed</th></tr></thead>\n'
        )
        per_device: dict[str, Counter[CaseOutcome]] = defaultdict(Counter)
        group = None
        for key in sorted(self._grid, key=lambda k: (natural_key(k[0]), natural_key(k[1]), k[2])):
            if key[0] != group:
                out.write("</tbody>\n" if group is not None else "")
                group = key[0]
                span = len(devices) + 2
                out.write(f'<tbody><tr class="group-row"><th class="group" colspan="{span}">{_e(group)}</th></tr>\n')
            _, scenario, file = key
            row, info = self._grid[key], self._rows[key]
            outcomes: Counter[CaseOutcome] = Counter()
            for device, cells in row.items():
                for cell in cells:
                    outcomes[cell.outcome] += 1
                    per_device[device][cell.outcome] += 1
            cells_html = "".join(_td(scenario, file, device, row.get(device, [])) for device in devices)
            attributes = (
                f'data-platform="{_e(info.platform)}" data-emm="{_e(info.emm)}" '
                f'data-tags="{_e(" ".join(sorted(info.tags)))}" '
                f'data-outcomes="{" ".join(sorted(o.value for o in outcomes))}"'
            )
            out.write(
                f'<tr {attributes}><th scope="row" title="{_e(file)}">{_e(scenario)}</th>{cells_html}'
                f"{_total(outcomes)}</tr>\n"
            )
        footer = "".join(_total(per_device[device]) for device in devices)
        out.write(
            f'</tbody>\n<tfoot><tr><th class="corner">passed</th>{footer}<td></td></tr></tfoot>\n</table></div>\n'
        )

    def discard(self) -> None:
        if self._open is not None:
            self._open.page.discard()
            self._open.details.discard()

    def _started(self) -> _Open:
        if self._open is None:
            raise RuntimeError("HtmlReporter.start() was not called")
        return self._open
