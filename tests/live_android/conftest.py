"""Fixtures of the live-Android tests: virtual phones on loopback, a real adb server, private keys.

The phones are :mod:`simulator.adbd` servers built from the bundled captures
(:func:`harness.virtual_phone.phone_from_capture`); attestlab's own adb key goes to a per-test
``$XDG_CONFIG_HOME``, adb's to a per-test HOME.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from harness.virtual_phone import phone_from_capture
from simulator.adbd import AdbdServer
from tests.live_android.phones import ADB, AdbServer


@pytest.fixture(autouse=True)
def private_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """attestlab's adb key and any adb state go to this test's directory, never the user's."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("ADB_SERVER_SOCKET", raising=False)
    monkeypatch.delenv("ANDROID_SERIAL", raising=False)
    (tmp_path / "home").mkdir()


@pytest.fixture
def serve() -> Iterator[Callable[[Path], AdbdServer]]:
    """Start a virtual phone built from a capture directory; all are stopped at the end."""
    servers: list[AdbdServer] = []

    def start(capture: Path) -> AdbdServer:
        servers.append(AdbdServer(phone_from_capture(capture)).start())
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def adb_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[AdbServer]:
    if ADB is None:
        pytest.skip("no adb client on PATH (.ci/run installs Debian's adb package)")
    server = AdbServer(tmp_path / "adb-home")
    monkeypatch.setenv("ANDROID_ADB_SERVER_PORT", str(server.port))
    try:
        yield server
    finally:
        server.kill()
