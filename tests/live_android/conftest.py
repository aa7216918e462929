"""The live-Android tests' private configuration: attestlab's own adb key goes to a per-test
``$XDG_CONFIG_HOME``, adb's to a per-test HOME; one real adb server per test module.

The virtual phones (``adbd``) are tests/conftest.py's; so is the folder-wide ``adb_server``,
which this folder replaces by one server process shared by each module's tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import AdbServer, give_adb_key


@pytest.fixture(autouse=True)
def private_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """attestlab's adb key and any adb state go to this test's directory, never the user's."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    give_adb_key(tmp_path / "config")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("ADB_SERVER_SOCKET", raising=False)
    monkeypatch.delenv("ANDROID_SERIAL", raising=False)
    (tmp_path / "home").mkdir()


@pytest.fixture(scope="module")
def module_adb_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AdbServer]:
    with AdbServer.running(tmp_path_factory.mktemp("adb-home")) as server:
        yield server


@pytest.fixture
def adb_server(module_adb_server: AdbServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[AdbServer]:
    """The module's real adb server, which attestlab and the adb client find through
    ``ANDROID_ADB_SERVER_PORT``: one process for the module instead of one per test (a start-up
    wait, and a new adb key, ~0.1 s of CPU, each). The tests use it as they find it: each
    connects its own phones (their own ports); after each, every device is disconnected, so a
    later phone on a port the OS gives again starts afresh."""
    monkeypatch.setenv("ANDROID_ADB_SERVER_PORT", str(module_adb_server.port))
    try:
        yield module_adb_server
    finally:
        module_adb_server.run("disconnect", check=False)
