"""``attestlab report merge FILE ... -o FILE [--junit FILE] [--html FILE]``: one report from shards.

A matrix split with ``--shard K/N`` runs as N jobs, each writing its own JSON report; merging
concatenates their cases (in the order of the files given), recomputes the counts from the
cases, and takes as duration the **longest** shard's: shards run side by side in CI, so the
run took as long as its slowest shard (the sum would be machine time, not the wait). The
merged ``run`` is the first shard's seed, start and catalog, with command ``attestlab report
merge``; ``planned`` is the sum of the shards', ``interrupted`` true when any shard was.

The shards must be one run: each JSON report records its seed, ``shard`` (``K/N``) and
``catalog`` (a fingerprint of the scenario files and matrix devices, :func:`harness.runner.plan`),
and merge refuses reports that differ in any of them, a shard given twice, and an incomplete
set, naming the missing shards (``allow_partial`` merges anyway: ``partial: true`` and
``run.missing_shards``). A single whole run (no ``--shard``) may be "merged" to convert it.

Pass one reads each shard's run and summary; pass two reads the shards again one at a time and
hands their cases to the reporters (JSON, JUnit, HTML), so only one shard and the set of case
ids are in memory. A case id seen twice is an error naming both files; so is a file that is
unreadable, larger than :data:`MAX_REPORT_BYTES`, not JSON, or not shaped like a report. On
error nothing is written and existing output files are left as they were.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from harness.errors import InputError
from harness.report.json_report import JsonReporter
from harness.results import CaseOutcome, CaseResult, RunInfo, Summary
from harness.shards import MAX_SHARDS, shard_of

if TYPE_CHECKING:
    from harness.report import Reporter

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


class _Shard(NamedTuple):
    """What pass one learns of a shard report: who it is, and its run-level summary."""

    path: Path
    info: RunInfo
    number: int | None  # K of K/N; None for a whole run
    of: int | None  # N of K/N
    summary: Summary


def _shard(path: Path, report: dict[str, Any]) -> _Shard:
    run = _field(path, "report", report, "run", dict)
    info = RunInfo(
        seed=_field(path, "run", run, "seed", int),
        started_at=_field(path, "run", run, "started_at", str),
        command="attestlab report merge",
        catalog=_field(path, "run", run, "catalog", str),
    )
    label = run.get("shard")
    parsed = shard_of(label) if isinstance(label, str) else None
    if label is not None and parsed is None:
        raise InputError(f"{path}: run.shard: not K/N with 1 <= K <= N <= {MAX_SHARDS}")
    summary = _field(path, "report", report, "summary", dict)
    counts = Summary(
        duration_s=float(_field(path, "summary", summary, "duration_s", (int, float))),
        planned=int(summary.get("planned", 0)),
        deselected=int(summary.get("deselected", 0)),
        interrupted=bool(summary.get("interrupted", False)),
        partial=bool(summary.get("partial", False)),
    )
    number, of = parsed if parsed else (None, None)
    return _Shard(path, info, number, of, counts)


def _one_run(shards: list[_Shard], allow_partial: bool) -> list[int]:
    """Refuse shards of different runs; the missing shard numbers of an incomplete set."""
    first = shards[0]
    for other in shards[1:]:
        for what, mine, theirs in (
            ("seed", first.info.seed, other.info.seed),
            ("catalog", first.info.catalog, other.info.catalog),
            ("shard count", first.of, other.of),
        ):
            if mine != theirs:
                raise InputError(
                    f"report merge: {first.path} and {other.path} are not shards of one run "
                    f"({what} {_shown(mine)} vs {_shown(theirs)})"
                )
    count = first.of
    if count is None:
        if len(shards) > 1:
            raise InputError(f"report merge: {first.path} and {shards[1].path} are both whole runs (no --shard)")
        return []
    given: dict[int, Path] = {}
    for shard in shards:
        assert shard.number is not None
        if shard.number in given:
            raise InputError(
                f"report merge: shard {shard.number}/{count} given twice: {given[shard.number]} and {shard.path}"
            )
        given[shard.number] = shard.path
    missing = [k for k in range(1, count + 1) if k not in given]
    if missing and not allow_partial:
        raise InputError(
            f"report merge: incomplete set, missing shard{'s' if len(missing) > 1 else ''} "
            f"{', '.join(f'{k}/{count}' for k in missing)} (--allow-partial merges anyway, marked partial)"
        )
    return missing


def _shown(value: object) -> str:
    return "none (a whole run)" if value is None else str(value)


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


def _add_cases(reporters: Sequence[Reporter], path: Path, seen: dict[str, Path], merged: Summary) -> None:
    """Read one shard again and hand its cases over (it is released on return, before the next)."""
    for index, data in enumerate(_load(path)["cases"]):
        case = _case(path, index, data)
        seen_in = seen.setdefault(case.id, path)
        if len(seen) == merged.total:  # the id was there already
            raise InputError(f"duplicate case id {case.id!r} in {seen_in} and {path}")
        merged.count(case.outcome)
        for reporter in reporters:
            reporter.add(case)


def merge_reports(paths: list[Path], reporters: Sequence[Reporter], *, allow_partial: bool = False) -> Summary:
    """Merge the shard reports at ``paths`` into ``reporters`` (JSON, JUnit, HTML...); the merged
    summary. Nothing is written (and existing outputs stay) when the shards do not make one run."""
    if not paths:
        raise InputError("report merge: no report to merge")
    shards = [_shard(path, _load(path)) for path in paths]
    missing = _one_run(shards, allow_partial)
    info = shards[0].info
    info.missing_shards = [f"{k}/{shards[0].of}" for k in missing]
    merged = Summary(
        duration_s=max(shard.summary.duration_s for shard in shards),
        planned=sum(shard.summary.planned for shard in shards),
        deselected=shards[0].summary.deselected,
        interrupted=any(shard.summary.interrupted for shard in shards),
        partial=bool(missing) or any(shard.summary.partial for shard in shards),
    )
    started: list[Reporter] = []
    try:
        for reporter in reporters:
            reporter.start(info)
            started.append(reporter)
        seen: dict[str, Path] = {}
        for path in paths:
            _add_cases(reporters, path, seen, merged)
    except BaseException:
        for reporter in started:
            reporter.discard()
        raise
    for number, reporter in enumerate(reporters):
        try:
            reporter.finish(merged)
        except BaseException:
            for later in reporters[number + 1 :]:
                later.discard()
            raise
    return merged


def merge_json_reports(paths: list[Path], out: Path, *, allow_partial: bool = False) -> Summary:
    """Merge shard reports at ``paths`` into the JSON report ``out``."""
    return merge_reports(paths, [JsonReporter(out)], allow_partial=allow_partial)
