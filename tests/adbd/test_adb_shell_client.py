"""adb-shell's own client (``AdbDeviceTcp``) against the virtual phone over loopback TCP."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from harness.parsers.android_text import parse_device_policy, parse_users
from harness.parsers.restrictions import parse_restrictions
from simulator.adbd import AdbdServer, AuthPolicy, Phone, RootAccess
from simulator.appconfig import AppConfig
from simulator.device import WORK_PROFILE_FLAGS
from tests.adbd.adbd_phones import RES_10, SECRET

HUB = "com.airwatch.androidagent/com.airwatch.agent.DeviceAdministratorReceiver"
Serve = Callable[..., AdbdServer]
Phones = Callable[..., Phone]

adb_device = pytest.importorskip("adb_shell.adb_device")
adb_exceptions = pytest.importorskip("adb_shell.exceptions")
sign_pythonrsa = pytest.importorskip("adb_shell.auth.sign_pythonrsa")


@pytest.fixture
def signer(adb_key: Path) -> Any:
    return sign_pythonrsa.PythonRSASigner(adb_key.with_suffix(".pub").read_text(), adb_key.read_text())


def connect(server: AdbdServer, signer: Any) -> Any:
    host, port = server.address
    device = adb_device.AdbDeviceTcp(host, port, default_transport_timeout_s=5)
    device.connect(rsa_keys=[signer], auth_timeout_s=2)
    return device


def test_shell_batch_and_pull_as_root(phone: Phones, adbd: Serve, signer: Any, tmp_path: Path) -> None:
    server = adbd(phone(RootAccess.ADBD))
    device = connect(server, signer)
    try:
        out = device.shell("getprop ro.product.model; echo __rc=$?; pm list users; echo __rc=$?; false; echo __rc=$?")
        assert out == (
            "Pixel 8\n__rc=0\nUsers:\n\tUserInfo{0:Owner:c13} running\n"
            "\tUserInfo{10:Work profile:1030} running\n__rc=0\n__rc=1\n"
        )
        target = tmp_path / "res.xml"
        device.pull(RES_10, str(target))
        assert parse_restrictions(target.read_bytes(), name="pulled")["managementHint"] == SECRET
    finally:
        device.close()
    assert server.opens == 2


def test_pull_refused_without_root(phone: Phones, adbd: Serve, signer: Any, tmp_path: Path) -> None:
    device = connect(adbd(phone(RootAccess.SU)), signer)
    try:
        with pytest.raises(adb_exceptions.AdbCommandFailureException, match="open failed: Permission denied"):
            device.pull(RES_10, str(tmp_path / "res.xml"))
        # su works on a rooted phone: the same file through the shell.
        data = device.shell(f"su 0 cat {RES_10}", decode=False)
        assert parse_restrictions(data, name="su cat")["managementHint"] == SECRET
    finally:
        device.close()


def test_a_profile_added_to_the_model_shows_everywhere(phone: Phones, adbd: Serve, signer: Any, tmp_path: Path) -> None:
    served = phone(RootAccess.ADBD)
    served.device.users.pop(10)
    server = adbd(served)
    device = connect(server, signer)
    try:
        assert [u.id for u in parse_users(device.shell("pm list users"), name="before")] == [0]
        profile = served.device.add_work_profile(
            "com.airwatch.androidagent/com.airwatch.agent.DeviceAdministratorReceiver", 11
        )
        served.device.install("com.okta.android.auth", 11)
        served.device.set_restrictions(11, "com.okta.android.auth", AppConfig({"managementHint": "new"}))
        users = parse_users(device.shell("pm list users"), name="after")
        assert [(u.id, u.flags) for u in users] == [(0, 0xC13), (11, WORK_PROFILE_FLAGS)]
        policy = parse_device_policy(device.shell("dumpsys device_policy"), name="dumpsys")
        assert policy.profile_owners == {11: profile.profile_owner}
        assert device.shell("pm list packages --user 11 com.okta.android.auth") == "package:com.okta.android.auth\n"
        device.pull("/data/system/users/11/res_com.okta.android.auth.xml", str(tmp_path / "r.xml"))
        assert parse_restrictions((tmp_path / "r.xml").read_bytes(), name="r")["managementHint"] == "new"
    finally:
        device.close()


def test_several_connections_at_once(phone: Phones, adbd: Serve, signer: Any) -> None:
    server = adbd(phone())

    def read(index: int) -> str:
        device = connect(server, signer)
        try:
            return str(device.shell(f"echo {index}; getprop ro.serialno"))
        finally:
            device.close()

    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(read, range(8)))
    assert answers == [f"{i}\n3A281FDJH00ABC\n" for i in range(8)]
    assert server.connections == 8


def test_unanswered_key_prompt_times_out(phone: Phones, adbd: Serve, signer: Any) -> None:
    server = adbd(phone(), AuthPolicy(accept_new_keys=False))
    host, port = server.address
    device = adb_device.AdbDeviceTcp(host, port, default_transport_timeout_s=1)
    with pytest.raises(adb_exceptions.TcpTimeoutException):
        device.connect(rsa_keys=[signer], auth_timeout_s=0.2)
    device.close()
