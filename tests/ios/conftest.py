"""Fixtures for the live iOS source: a fake usbmuxd per test, a temporary HOME, pretend devices.

Tests that need pymobiledevice3 (the ``[ios]`` extra) are skipped with a reason when it is not
installed; ``.ci/run`` installs ``[all]``, so CI runs them.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests on a real iPhone are marked ``device`` (``-m device`` / ``-m "not device"``)."""
    for item in items:
        if item.path.name == "test_real_device.py":
            item.add_marker(pytest.mark.device)


@pytest.fixture(autouse=True)
def _private_home(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """pymobiledevice3 looks for pair records under HOME: never the real one in tests (a real
    device's tests read the real pair records, and write nothing)."""
    if request.node.get_closest_marker("device"):
        return
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.delenv("USBMUXD_SOCKET_ADDRESS", raising=False)
    monkeypatch.setenv("ATTESTLAB_IOS_TIMEOUT", "10")


@pytest.fixture
def mux_path(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A short socket path (AF_UNIX paths are limited to ~104 bytes), named in USBMUXD_SOCKET_ADDRESS."""
    with tempfile.TemporaryDirectory(prefix="mux", dir="/tmp") as folder:
        path = Path(folder) / "usbmuxd"
        monkeypatch.setenv("USBMUXD_SOCKET_ADDRESS", str(path))
        yield path


@pytest.fixture
def serve(mux_path: Path) -> Iterator[Callable[..., Any]]:
    """``serve(fake, ...)`` starts the fake usbmuxd with those devices for the rest of the test."""
    from tests.ios.fake_usbmuxd import FakeUsbmuxd

    started: list[FakeUsbmuxd] = []

    def start(*devices: Any) -> FakeUsbmuxd:
        mux = FakeUsbmuxd(mux_path, list(devices)).__enter__()
        started.append(mux)
        return mux

    yield start
    for mux in started:
        mux.__exit__(None, None, None)
