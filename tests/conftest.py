"""What only this test suite needs: its Hypothesis profiles, virtual adb phones and real adb servers.

Orgs, phones, provisioned chains, the seeded RNG and the simulated clock come from attestlab's
own pytest plugin (``attestlab_factory``, ``attestlab_rng``, ``attestlab_clock``...:
docs/pytest.md), the fixtures users' tests get too.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import HealthCheck, settings

from tests.helpers import ADB, AdbServer

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


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked ``slow`` first, the rest in their collected order (a stable sort).

    xdist's ``--dist load`` hands tests out in collection order, so a slow test collected late
    starts when the others are nearly done and the suite ends with one worker running it alone;
    begun first, the slow tests run beside the many quick ones, which fill the other worker."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.fixture(scope="session", autouse=True)
def _private_user_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Each test process keeps attestlab's user cache (simulator/usercache.py) in its own temp
    dir: the suite never writes to the developer's ~/.cache, and a test with a private HOME
    (the iOS tests check nothing is written there) does not see a cache appear in it. A test of
    the cache itself sets its own ``ATTESTLAB_CACHE_DIR``; subprocesses inherit this one."""
    patch = pytest.MonkeyPatch()
    patch.setenv("ATTESTLAB_CACHE_DIR", str(tmp_path_factory.mktemp("attestlab-cache")))
    yield
    patch.undo()


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
    if ADB is None:
        pytest.skip("no adb client on PATH (.ci/run installs Debian's adb package)")
    server = AdbServer(tmp_path / "adb-home")
    monkeypatch.setenv("ANDROID_ADB_SERVER_PORT", str(server.port))
    monkeypatch.delenv("ADB_SERVER_SOCKET", raising=False)
    monkeypatch.delenv("ANDROID_SERIAL", raising=False)
    try:
        yield server
    finally:
        server.kill()
