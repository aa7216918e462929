"""Fleet devices the EMM emulation builds, served as virtual phones and read back by the reader.

The simulator and the readers must agree: a fully managed phone, a COPE phone, a paused work
profile and a Secure Folder that refuses the shell, each provisioned from a catalog scenario,
answer the reader's real shell commands (``simulator.adbd``, in process), and what the reader and
``inspect`` make of the answers is what the model holds: owners, where Okta Verify is, a paused
profile, a refused user (and no refusal as root).
"""

from __future__ import annotations

import pytest

from harness.inspect import inspect_device
from harness.readers.android import read_android
from harness.virtual_phone import phone_from_scenario
from simulator.adbd import Phone, RootAccess
from simulator.device import AndroidDevice, unread_user
from simulator.verdict import Reason
from tests.adbd.adbd_phones import ask_many_on
from tests.helpers import ROOT

SCENARIOS = ROOT / "scenarios" / "android"


def served(phone: Phone) -> AndroidDevice:
    return read_android(ask_many_on(phone), source="virtual")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("scenario", "device_owner", "okta_verify_in"),
    [("fully-managed-intune", True, [0]), ("cope-android-10", True, [10])],
)
def test_company_owned_phones_read_back(scenario: str, device_owner: bool, okta_verify_in: list[int]) -> None:
    phone = phone_from_scenario(SCENARIOS / f"{scenario}.yaml")
    phone.root = RootAccess.ADBD
    device = served(phone)

    assert (device.device_owner is not None) is device_owner
    assert device.device_owner == phone.device.device_owner
    assert [u.id for u in device.users_with("com.okta.android.auth")] == okta_verify_in
    assert all(device.is_managed_user(u) for u in okta_verify_in)


def test_a_paused_work_profile_reads_back_paused_and_not_managed() -> None:
    phone = phone_from_scenario(SCENARIOS / "paused-work-profile.yaml")
    phone.root = RootAccess.ADBD
    phone.device.pause_work_profile()
    device = served(phone)

    work = device.work_profile
    assert work is not None and work.paused and not work.running
    result = inspect_device(device, None)
    assert result.managed is False and result.reason is Reason.APP_NOT_INSTALLED
    assert "work_profile_paused" in {f.code.value for f in result.findings}


@pytest.mark.parametrize(
    ("root", "shell_refused", "unread"),
    [(RootAccess.NONE, True, True), (RootAccess.SU, True, False), (RootAccess.ADBD, False, False)],
    ids=["stock", "su", "root-adbd"],
)
def test_secure_folder_refuses_the_shell_but_not_root(root: RootAccess, shell_refused: bool, unread: bool) -> None:
    """Stock: user 150 unread. With su the reader asks it again as root and reads it; with root
    adbd the shell is never refused."""
    phone = phone_from_scenario(SCENARIOS / "secure-folder.yaml")
    phone.root = root
    phone.device.install("com.okta.android.auth", 150)
    device = served(phone)

    assert device.users[150].no_debugging is shell_refused
    assert (unread_user(150) in device.unread) is unread
    assert ("com.okta.android.auth" in device.users[150].packages) is not unread
    findings = {f.code.value for f in inspect_device(device, None).findings}
    assert ("user_unreadable" in findings) is unread
