"""The real ``adb`` client (Debian's ``adb`` package) against the virtual phone.

Each test starts its own adb server (``adb_server``, tests/conftest.py) on a free port with a
private HOME (so ``~/.android/adbkey`` is made fresh there) and always kills it at the end.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from harness.parsers.android_text import parse_getprop
from harness.parsers.restrictions import parse_restrictions
from simulator.adbd import AdbdServer, AuthPolicy, Phone, RootAccess
from tests.adbd.adbd_phones import RES_10, SECRET
from tests.helpers import AdbServer


@pytest.fixture
def served(phone: Callable[..., Phone], adbd: Callable[..., AdbdServer]) -> Callable[[RootAccess], AdbdServer]:
    """A virtual phone (tests/adbd/adbd_phones.py) with that root access, served on loopback."""
    return lambda root: adbd(phone(root))


def test_connect_devices_shell_and_pull(
    adb_server: AdbServer, served: Callable[[RootAccess], AdbdServer], tmp_path: Path
) -> None:
    server = served(RootAccess.ADBD)
    serial = server.spec
    adb_server.connect(serial)  # first time: the key is offered and allowed, then the state is `device`
    devices = adb_server.run("devices", "-l").stdout.decode()
    line = next(line for line in devices.splitlines() if line.startswith(serial))
    assert line.split()[1] == "device"
    assert "product:pixel8" in line and "model:Pixel_8" in line and "device:pixel8" in line
    props = parse_getprop(adb_server.run("-s", serial, "shell", "getprop").stdout.decode(), name="adb shell getprop")
    assert props["ro.product.model"] == "Pixel 8" and props["ro.build.version.sdk"] == "34"
    assert (
        adb_server.run("-s", serial, "shell", "pm list users; echo __rc=$?")
        .stdout.decode()
        .endswith("running\n__rc=0\n")
    )
    target = tmp_path / "res.xml"
    adb_server.run("-s", serial, "pull", RES_10, str(target))
    assert parse_restrictions(target.read_bytes(), name="adb pull")["managementHint"] == SECRET
    # A directory: STAT says so, then LIST (v1 DENT/DONE) and a RECV per file, recursively.
    adb_server.run("-s", serial, "pull", "/data/system/users", str(tmp_path / "users"))
    pulled = sorted(p.relative_to(tmp_path / "users").as_posix() for p in (tmp_path / "users").rglob("*"))
    assert pulled == ["0", "10", "10/res_com.okta.android.auth.xml"]


def test_pull_refused_and_missing_files(
    adb_server: AdbServer, served: Callable[[RootAccess], AdbdServer], tmp_path: Path
) -> None:
    refusing = served(RootAccess.NONE).spec
    adb_server.connect(refusing)
    denied = adb_server.run("-s", refusing, "pull", RES_10, str(tmp_path / "x"), check=False)
    # adb 29 prints its errors on stdout: "adb: error: failed to stat remote object '...':
    # Permission denied" (the phone's STA2 answer carries EACCES).
    assert denied.returncode != 0
    assert b"Permission denied" in denied.stdout + denied.stderr
    rooted = served(RootAccess.ADBD).spec
    adb_server.connect(rooted)
    missing = adb_server.run(
        "-s", rooted, "pull", "/data/system/users/0/res_com.okta.android.auth.xml", str(tmp_path / "y"), check=False
    )
    assert missing.returncode != 0 and b"No such file or directory" in missing.stdout + missing.stderr


class UnansweredPrompt(AuthPolicy):
    """A user who never answers "Allow USB debugging?"; ``shown`` is set once the prompt is up
    (the host has offered its key: it is ``unauthorized`` from then on)."""

    def __init__(self) -> None:
        super().__init__(accept_new_keys=False)
        self.shown = threading.Event()

    def offer_key(self, payload: bytes) -> bool:
        self.shown.set()
        return super().offer_key(payload)


def test_connect_waits_for_the_device_state(
    adb_server: AdbServer, phone: Callable[..., Phone], adbd: Callable[..., AdbdServer]
) -> None:
    """The helper's wait is for ``device``, not any state: a phone whose user never answers the
    "Allow USB debugging?" prompt stays ``unauthorized`` and the wait gives up, naming it.

    The wait starts once the prompt is up, so a wait that took ``unauthorized`` for ready would
    return at once; half a second of waiting for a state that can never come is enough."""
    prompt = UnansweredPrompt()
    never = adbd(phone(RootAccess.NONE), prompt).spec
    adb_server("connect", never)
    assert prompt.shown.wait(30), "the adb server never offered its key"
    with pytest.raises(AssertionError, match="never came online"):
        adb_server.connect(never, timeout=0.5)
    states = dict(line.split("\t")[:2] for line in adb_server("devices").splitlines() if "\t" in line)
    assert states[never] == "unauthorized"
