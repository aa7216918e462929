"""``attestlab report merge FILE ... -o FILE``: one JSON report from the reports of shards.

A matrix split with ``--shard K/N`` runs as N jobs, each writing its own JSON report; merging
concatenates their cases (in the order of the files given), recomputes the counts from the
cases, and takes as duration the **longest** shard's: shards run side by side in CI, so the
run took as long as its slowest shard (the sum would be machine time, not the wait). The
merged ``run`` is the first shard's seed and start, with command ``attestlab report merge``.

Shards are read one at a time and their cases written through :class:`JsonReporter`, so only
one shard and the set of case ids are in memory. A case id seen twice (the same shard given
twice, overlapping shards) is an error naming both files; so is a file that is unreadable,
larger than :data:`MAX_REPORT_BYTES`, not JSON, or not shaped like a report. On error nothing
is written and an existing output file is left as it was.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from harness.errors import InputError
from harness.report.json_report import JsonReporter
from harness.results import CaseOutcome, CaseResult, RunInfo, Summary

#: Largest shard report read, in bytes (a 10,000-case report is about 10 MB).
MAX_REPORT_BYTES = 256 * 1024 * 1024

_OUTCOMES = [outcome.value for outcome in CaseOutcome]
# The keys every case has in the DESIGN.md §2 contract, and their JSON types.
_CASE_FIELDS: dict[str, type | tuple[type, ...]] = {
    "id": str,
    "scenario": str,
    "device": str,
    "outcome": str,
    "steps": list,
    "message": str,
    "duration_s": (int, float),
}


def _load(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as stream:
            raw = stream.read(MAX_REPORT_BYTES + 1)
    except OSError as exc:
        raise InputError(f"{path}: cannot read report: {exc.strerror or exc}") from exc
    if len(raw) > MAX_REPORT_BYTES:
        raise InputError(f"{path}: report larger than {MAX_REPORT_BYTES} bytes")
    try:
        report = json.loads(raw)
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 at byte offset {exc.start}") from exc
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from exc
    if not isinstance(report, dict) or not isinstance(report.get("cases"), list):
        raise InputError(f'{path}: not an attestlab JSON report (no "cases" list)')
    return report


def _field(path: Path, where: str, data: Any, key: str, kind: type | tuple[type, ...]) -> Any:
    value = data.get(key) if isinstance(data, dict) else None
    if not isinstance(value, kind):
        names = " or ".join(k.__name__ for k in kind) if isinstance(kind, tuple) else kind.__name__
        raise InputError(f"{path}: {where}.{key}: missing or not {names}")
    return value


def _run_info(path: Path, report: dict[str, Any]) -> RunInfo:
    run = _field(path, "report", report, "run", dict)
    return RunInfo(
        seed=_field(path, "run", run, "seed", int),
        started_at=_field(path, "run", run, "started_at", str),
        command="attestlab report merge",
    )


def _case(path: Path, index: int, data: Any) -> CaseResult:
    where = f"cases[{index}]"
    for key, kind in _CASE_FIELDS.items():
        _field(path, where, data, key, kind)
    if data["outcome"] not in _OUTCOMES:
        raise InputError(f"{path}: {where}.outcome: not one of {', '.join(_OUTCOMES)}")
    for number, step in enumerate(data["steps"]):
        _field(path, f"{where}.steps[{number}]", step, "action", str)
    try:
        return CaseResult.from_json(data)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{path}: {where}.steps: malformed step") from exc


def _add_shard(reporter: JsonReporter, path: Path, first: bool, seen: dict[str, Path], merged: Summary) -> None:
    """Read one shard and write its cases (it is released on return, before the next)."""
    report = _load(path)
    info = _run_info(path, report)  # every shard must be an attestlab report
    if first:
        reporter.start(info)
    summary = _field(path, "report", report, "summary", dict)
    duration = _field(path, "summary", summary, "duration_s", (int, float))
    merged.duration_s = max(merged.duration_s, float(duration))
    for index, data in enumerate(report["cases"]):
        case = _case(path, index, data)
        seen_in = seen.setdefault(case.id, path)
        if len(seen) == merged.total:  # the id was there already
            raise InputError(f"duplicate case id {case.id!r} in {seen_in} and {path}")
        merged.count(case.outcome)
        reporter.add(case)


def merge_json_reports(paths: list[Path], out: Path) -> Summary:
    """Merge shard reports at ``paths`` into ``out``; the merged summary (counts, duration)."""
    if not paths:
        raise InputError("report merge: no report to merge")
    merged = Summary()
    seen: dict[str, Path] = {}
    reporter = JsonReporter(out)
    try:
        for number, path in enumerate(paths):
            _add_shard(reporter, path, number == 0, seen, merged)
    except BaseException:
        reporter.discard()
        raise
    reporter.finish(merged)
    return merged
