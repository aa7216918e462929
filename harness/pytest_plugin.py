"""attestlab as a pytest plugin: scenario files become test items, and fixtures serve Python tests.

Registered through the ``pytest11`` entry point, so ``pytest scenarios/`` collects every scenario
file as one item per device of the matrix, with ids such as
``android/intune-work-profile[Pixel 8 · Android 14]``; ``-k`` filters on those ids and ``-m``
on the scenario tags (``known-issue`` becomes the marker ``known_issue``). A failing item shows
the step, its line, expected vs actual and the org's decision, as ``attestlab run -v`` does.

The plugin costs nothing in test runs that collect no scenario: importing it pulls in no
attestlab module (those load when the first scenario file or fixture is used), and a YAML file is
only taken for a scenario when :func:`harness.scenarios.loader.looks_like_scenario` says so.

pytest-xdist: items on one physical device (``adb:``, ``adb-server:``, ``ios:``) carry
``xdist_group`` with the device's label, and when there are such items the plugin schedules
``--dist load`` and ``loadgroup`` with :class:`harness.xdist_scheduling.DeviceScheduling`, so a
phone never runs two cases at once; simulated and captured devices spread freely over the workers.
"""

from __future__ import annotations

import functools
import gc
import random
import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from harness.cases import CaseDevice
    from harness.matrix import Matrix, SourceDevice
    from harness.results import CaseResult
    from harness.scenarios.model import Scenario
    from simulator.clock import SimClock
    from simulator.device import AnyDevice
    from simulator.factory import Factory
    from simulator.okta_verify.agent import OktaVerify
    from simulator.secret import Secret
    from simulator.verifier import Org
    from simulator.verifier.orgfile import OrgSpec

#: Source kinds that are one physical phone (or emulator): never two cases at once.
PHYSICAL_KINDS = frozenset({"adb", "adb-server", "ios"})
DEFAULT_ORG = Path(__file__).resolve().parent.parent / "fixtures" / "orgs" / "standard.yaml"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("attestlab", "attestlab scenarios and fixtures")
    group.addoption(
        "--attestlab-matrix", metavar="FILE", default=None, help="Device matrix: scenarios run on its devices."
    )
    group.addoption(
        "--attestlab-device",
        metavar="SOURCE",
        action="append",
        default=[],
        help="A real device (capture:DIR, adb:HOST:PORT, adb-server:SERIAL, ios:UDID). Repeatable.",
    )
    group.addoption("--attestlab-org", metavar="FILE", default=None, help="Org file replacing every scenario's org.")
    group.addoption("--attestlab-seed", metavar="N", type=int, default=0, help="Seed of every case (default 0).")


@pytest.hookimpl(tryfirst=True)  # first: its clean-up then runs after every other plugin's
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "device: runs on a real device (skipped when it is absent)")
    config.addinivalue_line("markers", "attestlab: an attestlab scenario item")
    config.add_cleanup(lambda: _thaw(config))
    _matrix_file(config)  # a bad matrix file is one usage error now, not one per scenario file


_FROZEN_KEY = pytest.StashKey[bool]()


@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session: pytest.Session) -> None:
    """With scenario items collected, move everything alive now (the items and the collection
    tree, the modules) out of the garbage collector's sight until the session ends.

    Python's full collections walk every tracked object, and a session of thousands of scenario
    items holds enough of them (pytest's items, nodes and reports on top of every plugin's
    modules) that the collector took ~0.5 ms of each case: the full collections during the run,
    and the five pytest's unraisable-exception check makes at the end. Frozen objects are still
    alive (they are not leaked), objects made by the tests are collected as before, and
    :func:`_thaw` gives everything back to the collector once pytest's last collections are done
    (docs/design-notes.md, "The pytest plugin's cost per item")."""
    if gc.get_freeze_count() or not any(isinstance(item, ScenarioItem) for item in session.items):
        return  # a process something else froze (a conftest, an outer session) is left as it is
    gc.collect()  # what is garbage already is freed now, not kept frozen until the end
    gc.freeze()
    session.config.stash[_FROZEN_KEY] = True


def _thaw(config: pytest.Config) -> None:
    if config.stash.get(_FROZEN_KEY, False):
        gc.unfreeze()
        config.stash[_FROZEN_KEY] = False


def _sources(config: pytest.Config) -> list[tuple[str, str | None, str | None, str]]:
    """The real devices of the run: the matrix file's ``source:`` entries, then
    ``--attestlab-device`` ones, each as (spec, emm, okta_verify, where it was given)."""
    matrix = _matrix_file(config)
    listed = []
    if matrix is not None:
        from harness.matrix import MatrixSource

        listed = [
            (entry.spec, entry.emm, entry.okta_verify, entry.where)
            for entry in matrix.entries
            if isinstance(entry, MatrixSource)
        ]
    return listed + [(spec, None, None, "--attestlab-device") for spec in config.getoption("attestlab_device")]


def _has_physical_device(config: pytest.Config) -> bool:
    return any(spec.partition(":")[0] in PHYSICAL_KINDS for spec, *_ in _sources(config))


_MATRIX_FILE_KEY = pytest.StashKey["Matrix | None"]()


def _matrix_file(config: pytest.Config) -> Matrix | None:
    """``--attestlab-matrix``, loaded once (a bad one is a usage error naming file and line)."""
    if _MATRIX_FILE_KEY not in config.stash:
        path = config.getoption("attestlab_matrix")
        matrix: Matrix | None = None
        if path:
            from harness.matrix import load_matrix
            from simulator.errors import AttestlabError

            try:
                matrix = load_matrix(path)
            except AttestlabError as exc:
                raise pytest.UsageError(str(exc)) from None
        config.stash[_MATRIX_FILE_KEY] = matrix
    return config.stash[_MATRIX_FILE_KEY]


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """xdist (controller): with a phone in the run, ``load`` (what ``-n N`` means) and
    ``loadgroup`` schedule each phone's items on one worker (:mod:`harness.xdist_scheduling`)."""
    if config.getoption("dist") not in ("load", "loadgroup") or not _has_physical_device(config):
        return None
    from harness.xdist_scheduling import DeviceScheduling

    return DeviceScheduling(config, log)


@functools.cache  # a catalog has a few dozen tags; a matrix run asks for them per item
def marker_name(tag: str) -> str:
    """``known-issue`` -> ``known_issue``: a tag as a valid ``-m`` expression word."""
    return re.sub(r"\W", "_", tag)


class _Matrix:
    """The devices of this pytest run, read once (a live source is opened at collection).

    A real device that cannot be read stays in the matrix with why (``absent``), so that the
    cases it would run are expanded as usual (:func:`harness.cases.expand`) and skipped with the
    reason; a capture that cannot be read does not say its platform, so it is kept for both."""

    def __init__(self, config: pytest.Config) -> None:
        from harness.matrix import MatrixDevice

        matrix = _matrix_file(config)
        self.devices: list[MatrixDevice | SourceDevice] = []
        for entry in matrix.entries if matrix is not None else ():
            if isinstance(entry, MatrixDevice):
                self.devices.append(entry)
        for spec, emm, okta_verify, where in _sources(config):
            self.devices += _read_source(spec, emm, okta_verify, where)
        self.devices = list(dict.fromkeys(self.devices))
        self.only = matrix.scenarios if matrix is not None else None
        org = config.getoption("attestlab_org")
        self.org: OrgSpec | None = None
        if org:
            from simulator.verifier.orgfile import read_org_file

            self.org = read_org_file(org)[0]
        self.seed: int = config.getoption("attestlab_seed")


def _read_source(spec: str, emm: str | None, okta_verify: str | None, where: str) -> list[SourceDevice]:
    """One real device as matrix devices: read, or absent with the reason (one spec that is not a
    SOURCE at all is a usage error naming where it was given)."""
    from harness import snapshots
    from harness.matrix import SourceDevice, source_device
    from harness.sources import KINDS, parse_spec
    from simulator.device import Platform
    from simulator.errors import AttestlabError

    try:
        parsed = parse_spec(spec)
    except AttestlabError as exc:
        raise pytest.UsageError(f"{where}: {exc}") from None
    try:
        device = source_device(spec, emm=emm, okta_verify=okta_verify)
    except AttestlabError as exc:
        known = KINDS[parsed.kind].platform
        platforms = [Platform(known)] if known else list(Platform)
        return [SourceDevice(str(parsed.resolved()), p, parsed.label, emm, okta_verify, str(exc)) for p in platforms]
    snapshot = snapshots.take(device.spec)
    if isinstance(snapshot, AttestlabError):
        return [replace(device, absent=str(snapshot))]
    return [device]


_MATRIX_KEY = pytest.StashKey[_Matrix]()


def _matrix(config: pytest.Config) -> _Matrix:
    if _MATRIX_KEY not in config.stash:
        config.stash[_MATRIX_KEY] = _Matrix(config)
    return config.stash[_MATRIX_KEY]


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> ScenarioFile | None:
    if file_path.suffix not in (".yaml", ".yml"):
        return None
    from harness.scenarios.loader import looks_like_scenario

    if not looks_like_scenario(file_path):
        return None
    file: ScenarioFile = ScenarioFile.from_parent(parent, path=file_path)
    return file


class ScenarioFile(pytest.File):
    """One scenario file: an item per device it runs on (its own device without a matrix)."""

    def collect(self) -> Iterator[pytest.Item]:
        from harness import runner
        from simulator.errors import AttestlabError

        matrix = _matrix(self.config)
        rel = (
            self.path.relative_to(self.config.rootpath).as_posix()
            if self.path.is_relative_to(self.config.rootpath)
            else self.path.name
        )
        try:
            plan = runner.plan({self.path: rel}, org=matrix.org, matrix=matrix.devices or None, only=matrix.only)
        except AttestlabError as exc:
            yield LoadErrorItem.from_parent(self, name=f"{self.path.stem}[load]", message=str(exc))
            return
        for si, di in plan.cases:
            scenario, device = plan.scenarios[si], plan.devices[di]
            item = ScenarioItem.from_parent(
                self, name=_item_name(scenario, device), scenario=scenario, device=device, seed=matrix.seed
            )
            yield item


def _item_name(scenario: Scenario, device: CaseDevice) -> str:
    from harness.cases import case_id

    return case_id(scenario, device)


class ScenarioFailure(Exception):
    """An item whose case did not meet its expectations (or could not run)."""

    def __init__(self, result: CaseResult) -> None:
        super().__init__(result.message)
        self.result = result


_MARKS_KEY = pytest.StashKey[dict[str, pytest.MarkDecorator]]()


def _mark(config: pytest.Config, name: str) -> pytest.MarkDecorator:
    """The marker ``name``, registered (``--strict-markers``, ``pytest --markers``) and made once
    per session and shared by every item that carries it. Registering it for each item made the
    ``markers`` ini list as long as the items times their tags (14,500 lines for 4,000 items),
    and pytest parses that whole list again for each name it has not met yet."""
    marks = config.stash.setdefault(_MARKS_KEY, {})
    mark = marks.get(name)
    if mark is None:
        if name != "attestlab":  # registered at configure, with its own description
            config.addinivalue_line("markers", f"{name}: scenario tag")
        mark = marks[name] = getattr(pytest.mark, name)
    return mark


class ScenarioItem(pytest.Item):
    def __init__(self, *, scenario: Scenario, device: CaseDevice, seed: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.scenario = scenario
        self.case_device = device
        self.seed = seed
        for name in dict.fromkeys(["attestlab", *map(marker_name, scenario.tags), scenario.platform.value]):
            self.add_marker(_mark(self.config, name))
        kind = getattr(device, "spec", "").partition(":")[0]
        if kind in PHYSICAL_KINDS:
            self.add_marker(pytest.mark.xdist_group(name=device.label if device else "device"))
        self.absent: str | None = getattr(device, "absent", None)
        if kind in PHYSICAL_KINDS or self.absent:
            self.add_marker("device")
        if scenario.skip:
            self.add_marker(pytest.mark.skip(reason=scenario.skip))

    def runtest(self) -> None:
        from harness.results import CaseOutcome
        from harness.scenarios.execute import run_case

        if self.absent:
            pytest.skip(f"device absent: {self.absent}")
        result = run_case(self.scenario, self.case_device, self.seed)
        if result.outcome is CaseOutcome.SKIPPED:
            pytest.skip(result.message)
        if result.outcome not in (CaseOutcome.PASSED, CaseOutcome.FLAKY):
            raise ScenarioFailure(result)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str | Any:
        if isinstance(excinfo.value, ScenarioFailure):
            from harness.report.text import case_details

            return "\n".join(case_details(excinfo.value.result))
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, 0, self.name


class LoadErrorItem(pytest.Item):
    """A scenario file that does not load fails as one item, with the loader's one-line message."""

    def __init__(self, *, message: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.message = message

    def runtest(self) -> None:
        raise ScenarioLoadError(self.message)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str | Any:
        return self.message

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, 0, self.name


class ScenarioLoadError(Exception):
    pass


# -- fixtures for users' own Python tests ---------------------------------------------------------


@pytest.fixture
def attestlab_rng(request: pytest.FixtureRequest) -> random.Random:
    """A ``random.Random`` seeded with ``--attestlab-seed`` and the test's node id: every key,
    identity and nonce of the test is the same on every run."""
    return random.Random(f"{request.config.getoption('attestlab_seed')}:{request.node.nodeid}")


@pytest.fixture
def attestlab_clock() -> SimClock:
    """The simulated clock both ends read: ``attestlab_clock.advance(s)`` steps past an expiry
    without sleeping."""
    from simulator.clock import SimClock

    return SimClock()


@pytest.fixture
def attestlab_org(request: pytest.FixtureRequest) -> OrgSpec:
    """The org file of ``--attestlab-org`` (default: the bundled ``fixtures/orgs/standard.yaml``),
    validated: its endpoint-management configurations, policy and multiple-configs rule."""
    from simulator.verifier.orgfile import read_org_file

    return read_org_file(request.config.getoption("attestlab_org") or DEFAULT_ORG)[0]


@pytest.fixture
def _attestlab_built_org(
    attestlab_org: OrgSpec, attestlab_rng: random.Random, attestlab_clock: SimClock
) -> tuple[Org, dict[str, Secret]]:
    from simulator.verifier.orgfile import build_org

    return build_org(attestlab_org, rng=attestlab_rng, clock=attestlab_clock)


@pytest.fixture
def attestlab_verifier(_attestlab_built_org: tuple[Org, dict[str, Secret]]) -> Org:
    """The Okta org of ``attestlab_org`` as a verifier, built fresh for the test: it issues
    challenges, verifies Okta Verify's answers and decides managed / not managed."""
    return _attestlab_built_org[0]


@pytest.fixture
def attestlab_secrets(_attestlab_built_org: tuple[Org, dict[str, Secret]]) -> dict[str, Secret]:
    """The secret keys the org file reveals, by configuration name (redacted when printed)."""
    return _attestlab_built_org[1]


@pytest.fixture
def attestlab_factory(attestlab_rng: random.Random, attestlab_clock: SimClock) -> Factory:
    """Builds more of the simulated world on the test's RNG and clock: ``.org(**options)`` (an
    org without configurations), ``.device(platform)`` (a fresh phone), and
    ``.provision(platform, EMM, ...)`` (a phone an EMM provisioned for an org's new
    configuration, Okta Verify enrolled: see :class:`simulator.factory.Factory`)."""
    from simulator.factory import Factory

    return Factory(attestlab_rng, attestlab_clock)


@pytest.fixture
def attestlab_device(request: pytest.FixtureRequest, attestlab_factory: Factory) -> AnyDevice:
    """The phone under test, as the :mod:`simulator.device` model.

    By default a fresh simulated Android phone with nothing installed (an EMM's ``apply`` then
    enrolls it). Parametrize it indirectly with ``"ios"`` for an iPhone, or with a SOURCE
    (``capture:DIR``, ``adb:HOST:PORT``, ...) to read a real device; ``--attestlab-device SOURCE``
    does the same for every test. A device that cannot be read skips the test, saying why.
    """
    from simulator.device import Platform

    wanted: str = getattr(request, "param", None) or next(iter(request.config.getoption("attestlab_device")), "android")
    if wanted in (Platform.ANDROID.value, Platform.IOS.value):
        return attestlab_factory.device(wanted)
    from harness.readers import read_source
    from simulator.errors import AttestlabError

    request.applymarker("device")
    try:
        return read_source(wanted, base=request.config.rootpath)
    except AttestlabError as exc:
        pytest.skip(f"device absent: {exc}")


@pytest.fixture
def attestlab_okta_verify(
    attestlab_device: AnyDevice, attestlab_rng: random.Random, attestlab_clock: SimClock
) -> OktaVerify:
    """Okta Verify as installed on ``attestlab_device`` (on Android the work profile's copy when
    there are several). A test whose device has no Okta Verify is skipped, saying so."""
    from simulator.okta_verify.agent import OktaVerify

    copies = [
        OktaVerify(attestlab_device, user, rng=attestlab_rng, clock=attestlab_clock)
        for user in OktaVerify.installed_users(attestlab_device)
    ]
    if not copies:
        pytest.skip(f"Okta Verify is not installed on {attestlab_device.label}")
    return next((c for c in copies if c.in_work_profile), copies[0])
