"""The JSON report (DESIGN.md §2): ``{"run": {...}, "cases": [...], "summary": {...}}``.

Written as the cases arrive, one case per line, so a 10,000-case run never holds its results:
the run and ``"cases": [`` at start, each case at ``add``, the summary at ``finish``. JSON
objects are unordered, so the summary may follow the cases. Each case is
:meth:`CaseResult.to_json` (the contract's keys plus ``findings``, ``mismatches``, ``line``,
``file``, ``tags``); ``run`` is the :class:`RunInfo` (seed, start, command, shard), which
``attestlab report merge`` reads back.

Text is written ASCII-escaped (``ensure_ascii``): any string survives, lone surrogates from
badly decoded device output included, and every JSON reader accepts the file.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from harness.report.atomic import Output, open_report
from harness.results import CaseResult, RunInfo, Summary


class JsonReporter:
    """Streams a run into the JSON report at ``path`` (see :func:`open_report`: a file is
    replaced atomically at :meth:`finish`; ``-`` streams to standard output)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._out: Output | None = None
        self._counts = Summary()

    def start(self, info: RunInfo) -> None:
        self._out = open_report(self.path)
        self._out.write(f'{{"run": {json.dumps(asdict(info))},\n"cases": [')

    def add(self, case: CaseResult) -> None:
        out = self._started()
        out.write(",\n" if self._counts.total else "\n")
        out.write(json.dumps(case.to_json()))
        self._counts.count(case.outcome)

    def finish(self, summary: Summary) -> None:
        """Close the report with the counts of the cases written and the run's duration.

        The counts are those of the cases in the file, so the file is self-consistent even
        when the run was interrupted; ``summary`` supplies the run's wall-clock duration.
        """
        out = self._started()
        self._counts.received(summary)
        out.write(f'\n],\n"summary": {json.dumps(self._counts.to_json())}}}\n')
        out.commit()

    def discard(self) -> None:
        """Abandon the report (its input turned out unusable); an existing file stays as it was.

        Before :meth:`start` there is nothing to abandon.
        """
        if self._out is not None:
            self._out.discard()

    def _started(self) -> Output:
        if self._out is None:
            raise RuntimeError("JsonReporter.start() was not called")
        return self._out
