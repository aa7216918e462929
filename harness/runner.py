"""Run scenarios over devices: collect, expand, shard, execute (in-process or a process pool), report.

Results stream: each finished case goes straight to the reporters and is dropped, so memory does
not grow with the size of the run. Workers receive the loaded scenarios once (pool initializer)
and then only (scenario, device) indices, which keeps the per-case overhead of ``--workers`` to a
pickled :class:`~harness.results.CaseResult` coming back.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from harness import snapshots
from harness.bundled import catalog_dir
from harness.errors import InputError
from harness.matrix import CaseDevice, MatrixDevice, SourceDevice, shard
from harness.report import Reporter
from harness.results import CaseOutcome, CaseResult, RunInfo, Summary
from harness.scenarios.execute import case_id, run_case, scenario_sources
from harness.scenarios.loader import load_scenario
from harness.scenarios.model import Scenario
from simulator.errors import AttestlabError
from simulator.verifier.orgfile import OrgSpec

CATALOG_ENV = "ATTESTLAB_CATALOG"


def bundled_catalog() -> Path:
    """The catalog shipped with attestlab (:func:`harness.bundled.catalog_dir`), or $ATTESTLAB_CATALOG."""
    configured = os.environ.get(CATALOG_ENV)
    path = Path(configured).expanduser() if configured else catalog_dir()
    if not path.is_dir():
        raise InputError(f"bundled catalog not found at {path} (reinstall attestlab, or set {CATALOG_ENV})")
    return path


def collect(paths: Sequence[str | Path]) -> dict[Path, str]:
    """Scenario files under the given files/folders (``*.yaml``/``*.yml``), sorted, no duplicates,
    each with its name relative to the folder it was found in (what reports group by)."""
    found: dict[Path, str] = {}
    for raw in paths or [bundled_catalog()]:
        path = Path(raw)
        if path.is_dir():
            for file in sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file()):
                found.setdefault(file, file.relative_to(path).as_posix())
        elif path.is_file():
            found.setdefault(path, path.name)
        else:
            raise InputError(f"{path}: no such scenario file or folder")
    if not found:
        raise InputError(f"no scenario files (*.yaml) under {', '.join(map(str, paths))}")
    return found


@dataclass(frozen=True, slots=True)
class Plan:
    """The cases of a run: loaded scenarios, matrix devices, and (scenario, device) index pairs."""

    scenarios: list[Scenario]
    devices: list[CaseDevice]
    cases: list[tuple[int, int]]
    load_errors: list[CaseResult]


def plan(
    files: dict[Path, str],
    *,
    org: OrgSpec | None = None,
    matrix: Sequence[MatrixDevice | SourceDevice] | None = None,
    shard_of: tuple[int, int] | None = None,
) -> Plan:
    """Load every file (a file that fails to load is an error case, unless it is the only one)."""
    scenarios: list[Scenario] = []
    errors: list[CaseResult] = []
    for file in files:
        try:
            scenarios.append(replace(load_scenario(file, org_override=org), rel=files[file]))
        except AttestlabError as exc:
            if len(files) == 1:
                raise
            errors.append(
                CaseResult(f"{file.stem}[load]", file.stem, "-", CaseOutcome.ERROR, message=str(exc), file=files[file])
            )
    # Index 0 is "the scenario's own device": the only one without a matrix, and the only one a
    # scenario reading its device from a capture runs on.
    devices: list[CaseDevice] = [None, *(matrix or [])]
    cases = [
        (si, di)
        for si, scenario in enumerate(scenarios)
        for di, device in enumerate(devices)
        if (device is None) == (not matrix or scenario.device.source is not None)
        and (device is None or device.platform is scenario.platform)
    ]
    if shard_of is not None:
        index, total = shard_of
        cases = shard(cases, index, total, key=lambda c: case_id(scenarios[c[0]], devices[c[1]]))
        errors = shard(errors, index, total, key=lambda e: e.id)
    return Plan(scenarios, devices, cases, errors)


# -- workers -------------------------------------------------------------------------------------

_worker_plan: Plan | None = None
_worker_seed = 0


def _init_worker(p: Plan, seed: int) -> None:
    global _worker_plan, _worker_seed
    _worker_plan, _worker_seed = p, seed


def _run_chunk(chunk: list[tuple[int, int]]) -> list[CaseResult]:
    assert _worker_plan is not None
    p = _worker_plan
    return [run_case(p.scenarios[si], p.devices[di], _worker_seed) for si, di in chunk]


def _chunks(cases: list[tuple[int, int]], size: int) -> Iterator[list[tuple[int, int]]]:
    for i in range(0, len(cases), size):
        yield cases[i : i + size]


def execute(p: Plan, *, seed: int, workers: int = 1) -> Iterator[CaseResult]:
    """Yield case results as they finish (load errors first)."""
    yield from p.load_errors
    if workers <= 1 or len(p.cases) < 2:
        for si, di in p.cases:
            yield run_case(p.scenarios[si], p.devices[di], seed)
        return
    snapshots.prefetch(scenario_sources(p.scenarios))  # read once, before the workers fork
    chunk = max(1, min(64, len(p.cases) // (workers * 8) or 1))
    ctx = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
    pool = ctx.Pool(workers, initializer=_init_worker, initargs=(p, seed))
    try:
        for results in pool.imap_unordered(_run_chunk, _chunks(p.cases, chunk)):
            yield from results
        pool.close()
    finally:
        pool.terminate()
        pool.join()


@contextlib.contextmanager
def _interrupts_between_cases() -> Iterator[Callable[[], bool]]:
    """Take Ctrl-C only between cases, never while a reporter is half-way through writing one.

    SIGINT just sets a flag the run loop checks after each case (a KeyboardInterrupt raised in
    the middle of ``add`` left a report with half an entry). Pool workers forked meanwhile
    inherit the handler, so they finish quietly and are terminated. Outside the main thread
    signals cannot be handled, and the default behaviour stays.
    """
    if threading.current_thread() is not threading.main_thread():
        yield lambda: False
        return
    received: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: received.append(signum))
    try:
        yield lambda: bool(received)
    finally:
        signal.signal(signal.SIGINT, previous)


def run(
    p: Plan, reporters: Sequence[Reporter], *, seed: int, workers: int = 1, shard_label: str | None = None
) -> Summary:
    """Execute a plan into the reporters; reports are finished even on Ctrl-C (then re-raised)."""
    summary = Summary()
    started = time.perf_counter()
    info = RunInfo(seed=seed, started_at=datetime.now(UTC).isoformat(timespec="seconds"), shard=shard_label)
    for reporter in reporters:
        reporter.start(info)
    try:
        with _interrupts_between_cases() as interrupted:
            for result in execute(p, seed=seed, workers=workers):
                summary.count(result.outcome)
                for reporter in reporters:
                    reporter.add(result)
                if interrupted():
                    raise KeyboardInterrupt
    finally:
        summary.duration_s = time.perf_counter() - started
        for reporter in reporters:
            reporter.finish(summary)
    return summary
