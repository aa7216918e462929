"""Every bundled Android capture, served as a virtual phone, reads back to the same device.

The phone answers from the model the capture was read into, so a reader that asks it the
capture's requests must rebuild that model: users, owners, packages, restrictions, what could
not be read. This runs in process (the shell and file system directly); the same over ADB on
loopback is the live sources' test.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.readers import read_source
from harness.readers.android import read_android
from harness.virtual_phone import phone_from_capture
from simulator.adbd import RootAccess
from simulator.device import AndroidDevice
from tests.adbd.adbd_phones import ask_many_on
from tests.helpers import ROOT

CAPTURES = sorted((ROOT / "fixtures" / "captures" / "android").iterdir())


def facts(device: AndroidDevice) -> object:
    users = [
        (u.id, u.name, u.kind, u.flags, u.running, u.profile_owner, sorted(u.packages), dict(u.restrictions))
        for _, u in sorted(device.users.items())
    ]
    return device.identity, users, device.device_owner, sorted(device.unread)


@pytest.mark.parametrize("capture", CAPTURES, ids=[c.name for c in CAPTURES])
def test_capture_reads_back_through_the_virtual_phone(capture: Path) -> None:
    expected = read_source(f"capture:{capture}")
    assert isinstance(expected, AndroidDevice)
    phone = phone_from_capture(capture)
    served = read_android(ask_many_on(phone), source=f"virtual:{capture.name}")  # type: ignore[arg-type]
    assert facts(served) == facts(expected)


def test_root_model_comes_from_the_capture() -> None:
    roots = {c.name: phone_from_capture(c).root for c in CAPTURES}
    assert roots["pixel5-android13-no-root"] is RootAccess.NONE
    assert roots["emulator-android14-testdpc"] is RootAccess.NONE
    assert roots["pixel6-android12-intune-abx"] is RootAccess.ADBD
