"""The real ``adb`` client (Debian's ``adb`` package) against the virtual phone.

Each test starts its own adb server on a free port (``ANDROID_ADB_SERVER_PORT``) with a
private HOME (so ``~/.android/adbkey`` is made fresh there) and always kills it at the end.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from harness.parsers.android_text import parse_getprop
from harness.parsers.restrictions import parse_restrictions
from simulator.adbd import AdbdServer, Phone, RootAccess
from tests.adbd.adbd_phones import RES_10, SECRET
from tests.helpers import free_port

ADB = shutil.which("adb")
pytestmark = pytest.mark.skipif(ADB is None, reason="no adb client on PATH (.ci/run installs Debian's adb package)")


class Adb:
    def __init__(self, home: Path) -> None:
        self.env = dict(os.environ, HOME=str(home), ANDROID_ADB_SERVER_PORT=str(free_port()))
        self.env.pop("ADB_SERVER_SOCKET", None)
        self.env.pop("ANDROID_SERIAL", None)

    def __call__(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[bytes]:
        assert ADB is not None
        done = subprocess.run([ADB, *args], env=self.env, capture_output=True, timeout=30)
        if check and done.returncode != 0:
            raise AssertionError(f"adb {' '.join(args)}: {done.returncode}: {done.stdout!r} {done.stderr!r}")
        return done


@pytest.fixture
def adb(tmp_path: Path) -> Iterator[Adb]:
    client = Adb(tmp_path / "home")
    (tmp_path / "home").mkdir()
    try:
        yield client
    finally:
        client("kill-server", check=False)


@pytest.fixture
def served(phone: Callable[..., Phone]) -> Iterator[Callable[[RootAccess], AdbdServer]]:
    servers: list[AdbdServer] = []

    def start(root: RootAccess) -> AdbdServer:
        servers.append(AdbdServer(phone(root)).start())
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


def test_connect_devices_shell_and_pull(adb: Adb, served: Callable[[RootAccess], AdbdServer], tmp_path: Path) -> None:
    server = served(RootAccess.ADBD)
    serial = server.spec
    adb("connect", serial)  # first time: the key is offered and allowed (the adb client may say so)
    devices = adb("devices", "-l").stdout.decode()
    line = next(line for line in devices.splitlines() if line.startswith(serial))
    assert line.split()[1] == "device"
    assert "product:pixel8" in line and "model:Pixel_8" in line and "device:pixel8" in line
    props = parse_getprop(adb("-s", serial, "shell", "getprop").stdout.decode(), name="adb shell getprop")
    assert props["ro.product.model"] == "Pixel 8" and props["ro.build.version.sdk"] == "34"
    assert adb("-s", serial, "shell", "pm list users; echo __rc=$?").stdout.decode().endswith("running\n__rc=0\n")
    target = tmp_path / "res.xml"
    adb("-s", serial, "pull", RES_10, str(target))
    assert parse_restrictions(target.read_bytes(), name="adb pull")["managementHint"] == SECRET
    # A directory: STAT says so, then LIST (v1 DENT/DONE) and a RECV per file, recursively.
    adb("-s", serial, "pull", "/data/system/users", str(tmp_path / "users"))
    pulled = sorted(p.relative_to(tmp_path / "users").as_posix() for p in (tmp_path / "users").rglob("*"))
    assert pulled == ["0", "10", "10/res_com.okta.android.auth.xml"]


def test_pull_refused_and_missing_files(adb: Adb, served: Callable[[RootAccess], AdbdServer], tmp_path: Path) -> None:
    refusing = served(RootAccess.NONE).spec
    adb("connect", refusing)
    denied = adb("-s", refusing, "pull", RES_10, str(tmp_path / "x"), check=False)
    # adb 29 prints its errors on stdout: "adb: error: failed to stat remote object '...':
    # Permission denied" (the phone's STA2 answer carries EACCES).
    assert denied.returncode != 0
    assert b"Permission denied" in denied.stdout + denied.stderr
    rooted = served(RootAccess.ADBD).spec
    adb("connect", rooted)
    missing = adb(
        "-s", rooted, "pull", "/data/system/users/0/res_com.okta.android.auth.xml", str(tmp_path / "y"), check=False
    )
    assert missing.returncode != 0 and b"No such file or directory" in missing.stdout + missing.stderr
