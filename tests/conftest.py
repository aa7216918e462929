"""What only this test suite needs: its Hypothesis profiles, virtual adb phones and real adb servers.

Orgs, phones, provisioned chains, the seeded RNG and the simulated clock come from attestlab's
own pytest plugin (``attestlab_factory``, ``attestlab_rng``, ``attestlab_clock``...:
docs/pytest.md), the fixtures users' tests get too.
"""

from __future__ import annotations

import contextlib
import gc
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import HealthCheck, settings

from tests.helpers import AdbServer

if TYPE_CHECKING:
    from simulator.adbd import AdbdServer, Phone

# CI runs the same examples every time (a red build must be reproducible); developers' runs
# explore new ones and keep failures in the local example database. Neither judges speed: on a
# shared 2-core machine generation time says how busy the machine is, not how good a test is
# (timing goals live in benchmarks/).
#
# Budgets: a property test states its examples for an ordinary run as
# ``@settings(max_examples=examples(N))`` (tests/helpers.py), which scales N by the profile's
# max_examples / 100. "dev" and "ci" keep Hypothesis' 100, so the suite fits its time goal;
# "deep" (``HYPOTHESIS_PROFILE=deep python -m pytest``, for nightly or thorough runs) runs 20 times
# as many examples with a fresh random seed and longer state-machine runs.
_UNTIMED = [HealthCheck.too_slow]
settings.register_profile("dev", max_examples=100, deadline=None, suppress_health_check=_UNTIMED)
settings.register_profile(
    "ci", max_examples=100, derandomize=True, print_blob=True, deadline=None, suppress_health_check=_UNTIMED
)
settings.register_profile(
    "deep", max_examples=2000, stateful_step_count=100, print_blob=True, deadline=None, suppress_health_check=_UNTIMED
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev"))

#: The run's cache folder, and the patch that set the variable naming it (undone at the end).
_CACHE_KEY = pytest.StashKey[tuple[str, pytest.MonkeyPatch]]()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked ``slow`` first, the rest in their collected order (a stable sort).

    xdist's ``--dist load`` hands tests out in collection order, so a slow test collected late
    starts when the others are nearly done and the suite ends with one worker running it alone;
    begun first, and handed out one at a time (``--maxschedchunk 1`` in pyproject), the slow
    tests are shared by the workers, and the many quick ones fill the gaps at the end."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


def pytest_collection_finish(session: pytest.Session) -> None:
    """The collected tree (modules, items, strategies, parametrize values) lives to the end of
    the process: frozen, the garbage collector stops walking it at every full collection and at
    the five pytest runs at exit (~0.5 s of CPU per 35 s of tests; ~1 s at exit per worker)."""
    gc.freeze()


#: The environment variable through which the run's one user cache reaches every process.
_CACHE_ENV = "ATTESTLAB_CACHE_DIR"


def pytest_configure(config: pytest.Config) -> None:
    """One attestlab user cache (simulator/usercache.py) for the whole run, in a temp dir.

    The suite never writes to the developer's ~/.cache, and a test with a private HOME (the iOS
    tests check nothing is written there) does not see a cache appear in it. The controller (or
    a run without xdist) makes the folder before any worker starts; the xdist workers, and the
    ``attestlab`` and inner ``pytest`` processes tests start, inherit it through the environment.
    One cache, not one per process: the RSA keys of the simulated worlds (~0.1 s of CPU each,
    several per process) are generated once for the run, where every worker and every inner
    pytest worker generated its own (~1.5 s each, ~15 s of the suite's CPU). The cache is made
    for sharing (entries renamed into place, last writer wins). A test of the cache itself sets
    its own ``ATTESTLAB_CACHE_DIR``.

    It is filled first: the slow tests go first, and their inner pytest workers would otherwise
    all start on an empty cache at once and each generate the same keys. An xdist controller,
    which runs no test, fills it in a thread while its workers start (they take seconds to
    collect); a run without workers fills it before its first test (a thread could import
    modules while an in-process pytester run, which restores ``sys.modules``, is under way)."""
    if hasattr(config, "workerinput"):  # an xdist worker: the controller's folder is inherited
        return
    folder = tempfile.mkdtemp(prefix="attestlab-suite-cache-")
    patch = pytest.MonkeyPatch()
    patch.setenv(_CACHE_ENV, folder)
    config.stash[_CACHE_KEY] = (folder, patch)
    if config.getoption("dist", "no") == "no":
        _fill_user_cache()
    else:
        threading.Thread(target=_fill_user_cache, name="fill-user-cache", daemon=True).start()


def _fill_user_cache() -> None:
    """What a process running the catalog puts in the user cache: the RSA keys of the largest
    world the catalog builds (3) and one spare."""
    from simulator import keys

    keys.POOL.key(keys.KeyKind.RSA, 3)


def pytest_unconfigure(config: pytest.Config) -> None:
    if _CACHE_KEY not in config.stash:
        return
    folder, patch = config.stash[_CACHE_KEY]
    patch.undo()
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def adbd() -> Iterator[Callable[..., AdbdServer]]:
    """``adbd(phone, auth=None, **options)``: a virtual phone (:mod:`simulator.adbd`) serving
    adb on a free loopback port; ``phone`` may be a capture directory, which
    :func:`harness.virtual_phone.phone_from_capture` turns into one. All are stopped at the end."""
    from harness.virtual_phone import phone_from_capture
    from simulator.adbd import AdbdServer

    with contextlib.ExitStack() as servers:

        def start(phone: Phone | Path, *args: Any, **options: Any) -> AdbdServer:
            built = phone_from_capture(phone) if isinstance(phone, Path) else phone
            return servers.enter_context(AdbdServer(built, *args, **options))

        yield start


@pytest.fixture
def adb_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[AdbServer]:
    """A real adb server of the test's own (private HOME, free port), which attestlab and the adb
    client find through ``ANDROID_ADB_SERVER_PORT``; killed at the end. Skipped where there is
    no adb client."""
    with AdbServer.running(tmp_path / "adb-home") as server:
        monkeypatch.setenv("ANDROID_ADB_SERVER_PORT", str(server.port))
        monkeypatch.delenv("ADB_SERVER_SOCKET", raising=False)
        monkeypatch.delenv("ANDROID_SERIAL", raising=False)
        yield server
