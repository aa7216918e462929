"""Fixtures of the adbd tests: virtual phones and adb keys."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from simulator.adbd import Phone, RootAccess
from tests.adbd.adbd_phones import make_device


@pytest.fixture
def phone() -> Callable[..., Phone]:
    def build(root: RootAccess = RootAccess.NONE, **device_options: object) -> Phone:
        return Phone(make_device(**device_options), root)  # type: ignore[arg-type]

    return build


@pytest.fixture(scope="session")
def adb_key(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An adb RSA key pair made by adb-shell's own key generator (``adbkey`` and ``adbkey.pub``),
    once per test process: generating RSA-2048 in pure Python takes about a second."""
    keygen = pytest.importorskip("adb_shell.auth.keygen")
    path = tmp_path_factory.mktemp("adbkey") / "adbkey"
    keygen.keygen(str(path))
    return path
