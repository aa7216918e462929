"""The live-Android tests' private configuration: attestlab's own adb key goes to a per-test
``$XDG_CONFIG_HOME``, adb's to a per-test HOME.

The virtual phones (``adbd``) and the real adb server (``adb_server``) are tests/conftest.py's.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import give_adb_key


@pytest.fixture(autouse=True)
def private_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """attestlab's adb key and any adb state go to this test's directory, never the user's."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    give_adb_key(tmp_path / "config")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("ADB_SERVER_SOCKET", raising=False)
    monkeypatch.delenv("ANDROID_SERIAL", raising=False)
    (tmp_path / "home").mkdir()
