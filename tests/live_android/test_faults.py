"""A phone that fails — drops the connection, never answers AUTH, answers slowly, corrupts a
packet, closes a stream early, floods output — gives one clear line and exit 2 within the
timeout, never a hang or a traceback; in a run over several devices only its cases are errors.

The faults are injected by :mod:`tests.live_android.fault_proxy` between the client and a
virtual phone; ``$ATTESTLAB_SOURCE_TIMEOUT`` caps every timeout at two seconds, so a fault
that would wait shows within the test's time.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from simulator.adbd import AdbdServer
from tests.helpers import CATALOG, AdbServer, attestlab, free_port
from tests.live_android.fault_proxy import FaultProxy
from tests.live_android.phones import ANDROID_CAPTURES

PHONE = next(p for p in ANDROID_CAPTURES if p.name == "pixel6-android12-intune-abx")

#: fault -> what the one line says (the fix-it part included where there is one)
EXPECTED = {
    "drop": "connection lost while asking 'getprop' and 2 more (the device closed the connection; 3 attempts)",
    "no_auth": "no answer to the ADB handshake (CNXN/AUTH) in time: accept the RSA key prompt on the device",
    "slow": "no complete answer within 2 s (the device answers too slowly)",
    "bad_checksum": "corrupt ADB packet from the device (bad checksum)",
    "close_early": "(the shell stream ended before 'getprop' finished; 3 attempts)",
    "flood": "the device sent more than 16777216 bytes (output flood)",
}


@pytest.fixture(autouse=True)
def short_timeouts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ATTESTLAB_SOURCE_TIMEOUT", "2")


@pytest.fixture
def proxy(adbd: Callable[[Path], AdbdServer]) -> Iterator[Callable[..., FaultProxy]]:
    proxies: list[FaultProxy] = []

    def start(fault: str | None, delay: float = 0.0) -> FaultProxy:
        proxies.append(FaultProxy(adbd(PHONE).address, fault, delay=delay))
        return proxies[-1]

    yield start
    for p in proxies:
        p.close()


@pytest.mark.parametrize("fault", sorted(EXPECTED))
def test_each_fault_is_one_clear_line_and_exit_2(
    fault: str, proxy: Callable[..., FaultProxy], monkeypatch: pytest.MonkeyPatch
) -> None:
    if fault == "flood":  # the size bound, not the clock, must stop it, however busy the machine
        monkeypatch.setenv("ATTESTLAB_SOURCE_TIMEOUT", "120")
    broken = proxy(fault, delay=1.5)  # slow: each packet within the 2 s read timeout, a round not
    result = attestlab("inspect", f"adb:{broken.spec}")
    assert result.code == 2, result.out + result.err
    lines = result.err.splitlines()
    assert len(lines) == 1 and "Traceback" not in result.err, result.err
    assert lines[0].startswith(f"attestlab: error: adb:{broken.spec}: "), lines[0]
    assert EXPECTED[fault] in lines[0]


def test_a_refused_connection_says_to_enable_debugging() -> None:
    result = attestlab("inspect", f"adb:127.0.0.1:{free_port()}")  # nothing listens there
    assert result.code == 2
    assert "cannot connect (Connection refused): enable USB debugging" in result.err
    assert "run `adb tcpip 5555` first" in result.err


# The adb server and the phone agree on protocol version 0x01000001, which has no checksums.
@pytest.mark.parametrize("fault", ["drop", "close_early", "flood"])
def test_adb_server_faults_are_one_line_too(
    fault: str, proxy: Callable[..., FaultProxy], adb_server: AdbServer
) -> None:
    broken = proxy(fault)
    adb_server("connect", broken.spec)
    result = attestlab("inspect", f"adb-server:{broken.spec}")
    assert result.code == 2, result.out + result.err
    assert len(result.err.splitlines()) == 1 and result.err.startswith(f"attestlab: error: adb-server:{broken.spec}: ")


def test_an_unknown_serial_names_the_fix(adb_server: AdbServer) -> None:
    result = attestlab("inspect", "adb-server:emulator-5554")
    assert result.code == 2
    assert "says \"device 'emulator-5554' not found\": is it listed by `adb devices`?" in result.err


def test_only_the_broken_devices_cases_are_errors(proxy: Callable[..., FaultProxy], tmp_path: Path) -> None:
    good, dropped, corrupt = proxy(None), proxy("drop"), proxy("bad_checksum")
    report = tmp_path / "report.json"
    scenarios = [CATALOG / "android" / name for name in ("intune-work-profile-managed.yaml", "wrong-key-case.yaml")]
    result = attestlab(
        "run", *scenarios, "--seed", "1", "--json", report,
        *(f"--device=adb:{p.spec}" for p in (good, dropped, corrupt)),
    )  # fmt: skip
    assert result.code == 1, result.err
    cases = json.loads(report.read_text())["cases"]
    outcomes = {(case["device"], case["scenario"]): case["outcome"] for case in cases}
    assert len(outcomes) == 6
    for (device, _), outcome in outcomes.items():
        assert (outcome == "error") is (device != f"adb:{good.spec}"), outcomes
    errors = {case["device"]: case["message"] for case in cases if case["outcome"] == "error"}
    assert "connection lost" in errors[f"adb:{dropped.spec}"]
    assert "bad checksum" in errors[f"adb:{corrupt.spec}"]
    assert good.opens == 3  # the live phone was read once for the whole run, in three round trips
