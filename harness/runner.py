"""Run scenarios over devices: collect, expand, shard, execute (in-process or a process pool), report.

Results stream: each finished case goes straight to the reporters and is dropped, so memory does
not grow with the size of the run. Workers (:mod:`harness.pool`) receive the loaded scenarios
once and then only (scenario, device) indices, which keeps the per-case overhead of ``--workers``
to a pickled :class:`~harness.results.CaseResult` coming back. How a run stops (Ctrl-C, SIGTERM,
case deadlines) is :mod:`harness.interrupts`.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import itertools
import os
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from harness import snapshots
from harness.bundled import catalog_dir
from harness.cases import CaseDevice, expand
from harness.errors import InputError, SourceError
from harness.interrupts import DEFAULT_CASE_TIMEOUT, CaseDeadline, Interrupts, case_deadline
from harness.matrix import MATRIX_KEYS, MatrixDevice, SourceDevice, shard
from harness.results import CaseOutcome, CaseResult, RunInfo, Summary
from harness.scenarios.execute import new_result, run_case, scenario_sources
from harness.scenarios.loader import parse_scenario, read_scenario_doc
from harness.scenarios.model import Scenario
from simulator.errors import AttestlabError
from simulator.secret import shown
from simulator.verifier.orgfile import OrgSpec

if TYPE_CHECKING:
    # Only named in annotations: importing harness.report would bring the report writers into
    # every process that only plans cases, such as each pytest worker of the plugin.
    from harness.report import Reporter
    from harness.select import ScenarioFilter, Selection  # the -k/-m grammar, imported by whoever selects

CATALOG_ENV = "ATTESTLAB_CATALOG"


def bundled_catalog() -> Path:
    """The catalog shipped with attestlab (:func:`harness.bundled.catalog_dir`), or $ATTESTLAB_CATALOG."""
    configured = os.environ.get(CATALOG_ENV)
    path = Path(configured).expanduser() if configured else catalog_dir()
    if not path.is_dir():
        raise InputError(f"bundled catalog not found at {path} (reinstall attestlab, or set {CATALOG_ENV})")
    return path


class Collection(dict[Path, str]):
    """Scenario files to load, each with its name relative to the folder it was found in (what
    reports group by); ``found_in_folder`` are those met walking a folder rather than named."""

    def __init__(self) -> None:
        super().__init__()
        self.found_in_folder: set[Path] = set()


def collect(paths: Sequence[str | Path]) -> Collection:
    """Scenario files under the given files/folders (``*.yaml``/``*.yml``), sorted, no duplicates."""
    found = Collection()
    for raw in paths or [bundled_catalog()]:
        path = Path(raw)
        if path.is_dir():
            for file in sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file()):
                if file not in found:
                    found[file] = file.relative_to(path).as_posix()
                    found.found_in_folder.add(file)
        elif path.is_file():
            found.setdefault(path, path.name)
            found.found_in_folder.discard(path)  # named explicitly: a scenario, whatever it holds
        else:
            raise InputError(f"{path}: no such scenario file or folder")
    if not found:
        raise InputError(f"no scenario files (*.yaml) under {', '.join(map(str, paths))}")
    return found


def companion_kind(data: object) -> str | None:
    """``"org file"`` or ``"matrix file"`` when a YAML document found next to scenarios is one.

    The rule (docs/scenarios.md): a mapping with ``org_url`` is an org file, a non-empty mapping
    whose keys are only a matrix file's (:data:`harness.matrix.MATRIX_KEYS`) a matrix file.
    Anything else, including a file that does not parse, is a scenario, so that a broken
    scenario is an ``error`` case and never skipped.
    """
    if not isinstance(data, dict) or not data:
        return None
    if "org_url" in data:
        return "org file"
    if set(data) <= MATRIX_KEYS:
        return "matrix file"
    return None


@dataclass(frozen=True, slots=True)
class Plan:
    """The cases of a run: loaded scenarios, matrix devices, and (scenario, device) index pairs.

    ``deselected`` counts the scenarios left out because the matrix has no device of their
    platform; ``fingerprint`` identifies what the whole run is made of (before sharding), and
    ``companions`` the org and matrix files met among the scenarios and left alone.
    """

    scenarios: list[Scenario]
    devices: list[CaseDevice]
    cases: list[tuple[int, int]]
    load_errors: list[CaseResult]
    deselected: int = 0
    fingerprint: str = ""
    companions: tuple[Path, ...] = ()

    @property
    def planned(self) -> int:
        return len(self.cases) + len(self.load_errors)


def _load_error(file: Path, rel: str, message: str) -> CaseResult:
    return CaseResult(f"{file.stem}[load]", file.stem, "-", CaseOutcome.ERROR, message=message, file=rel)


def _load(file: Path, in_folder: bool, org: OrgSpec | None) -> Scenario | None:
    """The scenario in ``file``; None for an org or matrix file met walking a folder. Named on
    the command line, such a file is an error that says what it is and where it goes."""
    doc = read_scenario_doc(file)
    kind = companion_kind(doc.data)
    if kind is None:
        return parse_scenario(doc, file, org_override=org)
    if in_folder:
        return None
    option = "--org" if kind == "org file" else "--matrix"
    raise InputError(
        f"{file}: this is {'an' if kind[0] == 'o' else 'a'} {kind}, not a scenario (give it with {option})"
    )


def _fingerprint(
    scenarios: list[Scenario], errors: list[CaseResult], devices: Sequence[CaseDevice], only: ScenarioFilter | None
) -> str:
    """A digest of the scenario files' names and bytes and the matrix (devices and scenario
    selection): equal for every shard of one run, different when a scenario, the catalog or the
    matrix changed."""
    digest = hashlib.sha256()
    for scenario in scenarios:
        digest.update(f"{scenario.rel}\0{scenario.name}\0".encode(errors="surrogatepass"))
        with contextlib.suppress(OSError):
            digest.update(hashlib.sha256(Path(scenario.path).read_bytes()).digest())
    for error in errors:
        digest.update(f"{error.file}\0{error.message}\0".encode(errors="surrogatepass"))
    for device in devices:
        digest.update(f"{device.label if device else '-'}\0".encode(errors="surrogatepass"))
    if only is not None:
        digest.update(f"{only.paths}\0{only.tags}".encode(errors="surrogatepass"))
    return "sha256:" + digest.hexdigest()[:16]


def plan(
    files: dict[Path, str],
    *,
    org: OrgSpec | None = None,
    matrix: Sequence[MatrixDevice | SourceDevice] | None = None,
    shard_of: tuple[int, int] | None = None,
    selection: Selection | None = None,
    only: ScenarioFilter | None = None,
) -> Plan:
    """Load every file: a file that fails to load is an error case, unless it is the only one.
    Two scenarios of one name are an InputError naming both files: their case ids would collide
    in every report, and which of the two is meant only the user can say."""
    in_folder: set[Path] = getattr(files, "found_in_folder", set())
    scenarios: list[Scenario] = []
    errors: list[CaseResult] = []
    companions: list[Path] = []
    names: dict[str, str] = {}
    for file in files:
        try:
            scenario = _load(file, file in in_folder, org)
        except AttestlabError as exc:
            if len(files) == 1:
                raise
            errors.append(_load_error(file, files[file], str(exc)))
            continue
        if scenario is None:
            companions.append(file)
            continue
        first = names.setdefault(scenario.name, str(file))
        if first != str(file):
            raise InputError(
                f"scenario name {shown(scenario.name)} is used by both {first} and {file} "
                "(case ids are made of names: rename one)"
            )
        scenarios.append(replace(scenario, rel=files[file]))
    if not scenarios and not errors:
        raise InputError(f"no scenario among {', '.join(map(str, files))} (only org or matrix files)")
    fingerprint = _fingerprint(scenarios, errors, [None, *(matrix or [])], only)
    expansion = expand(scenarios, matrix, selection=selection, shard_of=shard_of, only=only)
    devices, cases, deselected = expansion.devices, expansion.cases, expansion.deselected
    if shard_of is not None:
        errors = shard(errors, *shard_of, key=lambda e: e.id)
    return Plan(scenarios, devices, cases, errors, deselected, fingerprint, tuple(companions))


def nothing_to_run(
    plan: Plan, selection: Selection | None, asked: str, only: ScenarioFilter | None = None
) -> str | None:
    """Why a plan has no case at all, as one line; None when it has one (or only its shard is
    empty: with more shards than cases some have none, and that is no mistake).

    pytest exits 5 when nothing was collected, so that CI notices a ``-k`` typo; the contract has
    0, 1 and 2 only, and a run that checks nothing must not pass, so both reasons are bad input
    (exit 2): no device of the scenarios' platform (or, with a matrix that names EMMs and
    placements, of their settings), a matrix ``scenarios:`` selection ``only`` that admits none,
    or a selection ``asked`` on the command line that matches nothing.
    """
    if plan.cases or plan.load_errors:
        return None
    matrix = [device for device in plan.devices if device is not None]
    runnable = expand(plan.scenarios, matrix or None)
    if not runnable.cases:
        # Every scenario is of a platform no device has: with two platforms, all of the other one.
        kinds = " and ".join(sorted({s.platform.display for s in plan.scenarios}))
        have = " and ".join(sorted({d.platform.display for d in matrix}))
        n = len(plan.scenarios)
        scenarios = "the scenario is" if n == 1 else f"the {n} scenarios are"
        if {s.platform for s in plan.scenarios} & {d.platform for d in matrix}:
            return (
                f"no case to run: none of the {n} scenario{'s' * (n != 1)} has the emm and "
                "okta_verify the matrix's devices name"
            )
        devices = "the device is" if len(matrix) == 1 else "the devices are"
        return f"no case to run: {scenarios} {kinds}, {devices} {have}"
    total = len(runnable.cases)
    if only is not None:
        admitted = len(expand(plan.scenarios, matrix or None, only=only).cases)
        if not admitted:
            return (
                f"no case to run: the matrix's scenarios: selection admits none of the {total} case{'s' * (total != 1)}"
            )
        total = admitted
    if selection is not None and not expand(plan.scenarios, matrix or None, selection=selection, only=only).cases:
        return f"no case to run: {asked} selected none of the {total} case{'s' * (total != 1)}"
    return None


# -- running -------------------------------------------------------------------------------------

#: Below this many cases one process is faster than two (process start-up and warm-up cost more
#: than they save), so ``--workers`` starts workers only for bigger plans unless forced
#: (measured with benchmarks/bench_workers.py: see docs/design-notes.md, "Workers").
MIN_CASES_FOR_WORKERS = 100


def cpu_count() -> int:
    """CPUs this process may run on (the affinity mask, as a container or ``taskset`` sets it)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def effective_workers(requested: int, cases: int, *, force: bool = False) -> int:
    """How many worker processes to start for ``cases`` cases when ``requested`` were asked for.

    Never more than there are cases. Unless ``force``: never more than the CPUs (64 workers on
    12 cases took 15x longer than one), and none for a plan under :data:`MIN_CASES_FOR_WORKERS`.
    """
    workers = min(requested, cases)
    if not force:
        workers = min(workers, cpu_count()) if cases >= MIN_CASES_FOR_WORKERS else 1
    return max(1, workers)


def run_one(p: Plan, case: tuple[int, int], seed: int, timeout: float | None, retries: int = 0) -> CaseResult:
    """One case under its deadline, and again up to ``retries`` times while it is an ``error``.

    Only errors are retried: an error is the run's trouble (a device that dropped, a source that
    timed out), a failure is the system under test answering wrongly, and retrying that away
    would hide it. A case that passes on a retry is ``flaky``, with what went wrong before, as
    Firebase Test Lab's ``--num-flaky-test-attempts`` reports it.
    """
    result = _attempt(p, case, seed, timeout)
    errors: list[str] = []
    while result.outcome is CaseOutcome.ERROR and len(errors) < retries:
        errors.append(result.message)
        result = _attempt(p, case, seed, timeout)
    if errors and result.outcome is CaseOutcome.PASSED:
        result.outcome = CaseOutcome.FLAKY
        result.message = f"passed on attempt {len(errors) + 1} of {retries + 1}; first: {errors[0]}"
    elif errors:
        result.message = f"{result.message} (after {len(errors) + 1} attempts)"
    return result


def _attempt(p: Plan, case: tuple[int, int], seed: int, timeout: float | None) -> CaseResult:
    """One case under its deadline (an ``error`` case when it passes)."""
    scenario, device = p.scenarios[case[0]], p.devices[case[1]]
    started = time.perf_counter()
    try:
        with case_deadline(timeout):
            return run_case(scenario, device, seed)
    except CaseDeadline:
        result = new_result(
            scenario, device, CaseOutcome.ERROR, f"case did not finish within its deadline of {timeout:g}s (--timeout)"
        )
        result.duration_s = time.perf_counter() - started
        return result


def lost_case(p: Plan, case: tuple[int, int], why: str) -> CaseResult:
    return new_result(p.scenarios[case[0]], p.devices[case[1]], CaseOutcome.ERROR, why)


def execute(
    p: Plan, *, seed: int, workers: int = 1, timeout: float | None = DEFAULT_CASE_TIMEOUT, retries: int = 0
) -> Iterator[CaseResult]:
    """Yield case results as they finish (load errors first), in this process or in ``workers``
    worker processes. With workers, the first case runs here before they start: they are forked
    from a process that has imported and warmed up everything a case needs."""
    yield from p.load_errors
    cases = iter(p.cases)
    if workers > 1:
        for case in itertools.islice(cases, 1):
            yield run_one(p, case, seed, timeout, retries)
        from harness.pool import WorkerPool  # multiprocessing: imported only by runs that use it

        rest = list(cases)
        _prefetch(p, timeout)
        chunk = max(1, min(64, len(rest) // (workers * 8)))
        one = functools.partial(run_one, retries=retries)
        pool = WorkerPool(
            p, rest, seed=seed, workers=workers, timeout=timeout, run_one=one, lost=lost_case, chunk=chunk
        )
        yield from pool.results()
        return
    for case in cases:
        yield run_one(p, case, seed, timeout, retries)


def _prefetch(p: Plan, timeout: float | None) -> None:
    """Read the scenarios' sources once, before the workers fork (:func:`snapshots.prefetch`),
    each under the case deadline: a stuck source must not hang the run in the parent."""
    for spec, base in scenario_sources(p.scenarios):
        try:
            with case_deadline(timeout):
                snapshots.prefetch([(spec, base)])
        except CaseDeadline:
            error = SourceError(f"{spec}: no answer within {timeout:g}s (--timeout)")
            snapshots.remember(spec, error, base=base)


def _finish(reporters: Sequence[Reporter], summary: Summary, broken: Reporter | None) -> AttestlabError | None:
    """Finish every reporter (one that fails does not stop the others); the first error."""
    first: AttestlabError | None = None
    for reporter in reporters:
        if reporter is broken:
            reporter.discard()
            continue
        try:
            reporter.finish(summary)
        except AttestlabError as exc:
            reporter.discard()
            first = first or exc
    return first


def run(
    p: Plan,
    reporters: Sequence[Reporter],
    *,
    seed: int,
    workers: int = 1,
    shard_label: str | None = None,
    timeout: float | None = DEFAULT_CASE_TIMEOUT,
    retries: int = 0,
    maxfail: int | None = None,
) -> Summary:
    """Execute a plan into the reporters with ``workers`` processes (as given: see
    :func:`effective_workers`). Reports are finished whatever happens: after Ctrl-C or SIGTERM
    (then :class:`RunInterrupted` is raised), and when one report cannot be written (its error
    is raised once the others are written). With ``maxfail``, the run stops after that many
    failed or errored cases (``-x``: 1) and the reports say it stopped early."""
    summary = Summary(planned=p.planned, deselected=p.deselected)
    started = time.perf_counter()
    info = RunInfo(
        seed=seed,
        started_at=datetime.now(UTC).isoformat(timespec="seconds"),
        shard=shard_label,
        catalog=p.fingerprint,
        workers=workers,
    )
    opened: list[Reporter] = []
    try:
        for reporter in reporters:
            reporter.start(info)
            opened.append(reporter)
    except BaseException:
        for reporter in opened:
            reporter.discard()
        raise
    broken: Reporter | None = None
    with Interrupts(immediate=workers > 1) as interrupts:
        try:
            for result in execute(p, seed=seed, workers=workers, timeout=timeout, retries=retries):
                summary.count(result.outcome)
                with interrupts.held():
                    for reporter in reporters:
                        broken = reporter
                        reporter.add(result)
                    broken = None
                interrupts.check()
                if maxfail is not None and summary.failed + summary.errors >= maxfail:
                    summary.stopped = f"stopped after {maxfail} failed or errored case{'s' * (maxfail > 1)} (--maxfail)"
                    break
        except BaseException:
            summary.interrupted = True
            raise
        finally:
            summary.duration_s = time.perf_counter() - started
            with interrupts.held():
                error = _finish(reporters, summary, broken)
        if error is not None:
            raise error
    return summary
