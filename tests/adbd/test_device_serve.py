"""``attestlab device serve``: the address on one line, a phone that answers, Ctrl-C to stop."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import ROOT, attestlab

CAPTURE = ROOT / "fixtures" / "captures" / "android" / "pixel6-android12-intune-abx"
IOS_CAPTURE = next((ROOT / "fixtures" / "captures" / "ios").iterdir())
SCENARIO = ROOT / "scenarios" / "android" / "intune-work-profile-managed.yaml"


@pytest.mark.slow
@pytest.mark.parametrize("source", [("--capture", CAPTURE), ("--scenario", SCENARIO)], ids=["capture", "scenario"])
def test_serves_until_interrupted(source: tuple[str, Path], tmp_path: Path, adb_key: Path) -> None:
    adb_device = pytest.importorskip("adb_shell.adb_device")
    signer_module = pytest.importorskip("adb_shell.auth.sign_pythonrsa")
    signer = signer_module.PythonRSASigner(adb_key.with_suffix(".pub").read_text(), adb_key.read_text())
    with subprocess.Popen(
        [sys.executable, "-m", "harness", "device", "serve", *map(str, source)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as proc:
        try:
            assert proc.stdout is not None
            line = proc.stdout.readline().strip()
            assert line.startswith("serving adb:127.0.0.1:"), line
            host, port = line.removeprefix("serving adb:").rsplit(":", 1)
            device = adb_device.AdbDeviceTcp(host, int(port), default_transport_timeout_s=10)
            device.connect(rsa_keys=[signer], auth_timeout_s=5)
            try:
                users = device.shell("pm list users")
                assert users.startswith("Users:\n\tUserInfo{0:") and "UserInfo{10:Work profile:1030} running" in users
                if source[0] == "--capture":
                    assert device.shell("getprop ro.product.name") == "oriole\n"  # the capture's own value
            finally:
                device.close()
            proc.send_signal(signal.SIGINT)
            assert proc.wait(timeout=20) == 130
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "give exactly one of --capture DIR and --scenario FILE"),
        (("--capture", CAPTURE, "--scenario", SCENARIO), "give exactly one of"),
        (("--capture", CAPTURE, "--listen", "localhost"), "must be HOST:PORT"),
        (("--capture", IOS_CAPTURE), "only Android captures can be served"),
        (("--capture", ROOT / "no-such-capture"), "not a capture"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args: tuple[str | Path, ...], message: str) -> None:
    result = attestlab("device", "serve", *args)
    assert result.code == 2
    assert message in result.err and len(result.err.strip().splitlines()) == 1
