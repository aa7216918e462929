"""A phone that fails — drops the connection, never answers AUTH, answers slowly, corrupts a
packet, closes a stream early, floods output — gives one clear line and exit 2 within its
bounds, never a hang or a traceback; in a run over several devices only its cases are errors.

The faults are injected by :mod:`tests.live_android.fault_proxy` between the client and a
virtual phone. Each fault is read with the one bound it must hit made short and every other
bound at its default (seconds of silence, a minute a round), so that a busy machine can only make
a test take longer, never make another bound fire first: a trickle is stopped by a 0.25 s round
deadline while each of its packets comes well within the 10 s of silence allowed, a flood by a
1 MiB size bound while the clock allows a minute, a drop is retried 10 ms apart.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from harness.errors import SourceError
from harness.readers import read_source
from harness.source_options import TIMEOUT_ENV, Limits, SourceOptions
from simulator.adbd import AdbdServer
from tests.helpers import CATALOG, AdbServer, attestlab, free_port, one_line
from tests.live_android.fault_proxy import FaultProxy
from tests.live_android.phones import ANDROID_CAPTURES

PHONE = next(p for p in ANDROID_CAPTURES if p.name == "pixel6-android12-intune-abx")

#: fault -> the bound that must stop it (short; the others at their defaults), and what the
#: one line says (the fix-it part included where there is one)
FAULTS = {
    "drop": (
        Limits(backoff_s=0.01),
        "connection lost while asking 'getprop' and 2 more (the device closed the connection; 3 attempts)",
    ),
    "no_auth": (
        Limits(auth_s=0.25, read_s=0.25),
        "no answer to the ADB handshake (CNXN/AUTH) in time: accept the RSA key prompt on the device",
    ),
    "slow": (Limits(request_s=0.25), "no complete answer within 0.25 s (the device answers too slowly)"),
    "bad_checksum": (Limits(), "corrupt ADB packet from the device (bad checksum)"),
    "close_early": (Limits(backoff_s=0.01), "(the shell stream ended before 'getprop' finished; 3 attempts)"),
    "flood": (Limits(max_bytes=1 << 20), "the device sent more than 1048576 bytes (output flood)"),
}


@pytest.fixture
def proxy(adbd: Callable[[Path], AdbdServer]) -> Iterator[Callable[..., FaultProxy]]:
    proxies: list[FaultProxy] = []

    def start(fault: str | None) -> FaultProxy:
        proxies.append(FaultProxy(adbd(PHONE).address, fault))
        return proxies[-1]

    yield start
    for p in proxies:
        p.close()


def read_error(source: str, limits: Limits) -> str:
    """The one line a read of ``source`` under ``limits`` fails with (a :class:`SourceError`,
    which the CLI prints after ``attestlab: error:`` with exit 2)."""
    message = one_line(SourceError, lambda: read_source(source, options=SourceOptions(limits=limits)))
    assert message.startswith(f"{source}: "), message
    return message


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_each_fault_is_one_clear_line(fault: str, proxy: Callable[..., FaultProxy]) -> None:
    limits, expected = FAULTS[fault]
    broken = proxy(fault)
    assert expected in read_error(f"adb:{broken.spec}", limits)


@pytest.mark.parametrize("fault", ["no_auth", "bad_checksum"])
def test_the_cli_says_it_in_one_line_and_exits_2(
    fault: str, proxy: Callable[..., FaultProxy], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through ``inspect``: ``$ATTESTLAB_SOURCE_TIMEOUT`` bounds the handshake (no_auth waits
    for it; without it the wait would be 10 s of silence); bad_checksum waits for nothing."""
    monkeypatch.setenv(TIMEOUT_ENV, "0.25")
    broken = proxy(fault)
    result = attestlab("inspect", f"adb:{broken.spec}")
    assert result.code == 2, result.out + result.err
    lines = result.err.splitlines()
    assert len(lines) == 1 and "Traceback" not in result.err, result.err
    assert lines[0].startswith(f"attestlab: error: adb:{broken.spec}: "), lines[0]
    assert FAULTS[fault][1] in lines[0]


def test_the_timeout_variable_caps_every_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TIMEOUT_ENV, "0.25")
    capped = Limits.from_env()
    assert (capped.connect_s, capped.auth_s, capped.read_s, capped.request_s) == (0.25, 0.25, 0.25, 0.25)
    # Not timeouts: the size bound and the retries stay as documented (docs/cli.md).
    assert (capped.max_bytes, capped.retries, capped.backoff_s) == (16 << 20, 2, 0.25)
    monkeypatch.setenv(TIMEOUT_ENV, "90")
    assert Limits.from_env() == Limits()  # a cap: it never raises a bound
    for bad in ("soon", "0"):
        monkeypatch.setenv(TIMEOUT_ENV, bad)
        one_line(SourceError, Limits.from_env, f"${TIMEOUT_ENV}={bad!r}", "seconds")


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
    read_error(f"adb-server:{broken.spec}", FAULTS[fault][0])


def test_an_unknown_serial_names_the_fix(adb_server: AdbServer) -> None:
    result = attestlab("inspect", "adb-server:emulator-5554")
    assert result.code == 2
    assert "says \"device 'emulator-5554' not found\": is it listed by `adb devices`?" in result.err


def test_only_the_broken_devices_cases_are_errors(proxy: Callable[..., FaultProxy], tmp_path: Path) -> None:
    good, corrupt = proxy(None), proxy("bad_checksum")
    refused = f"127.0.0.1:{free_port()}"  # nothing listens there
    report = tmp_path / "report.json"
    scenarios = [CATALOG / "android" / name for name in ("intune-work-profile-managed.yaml", "wrong-key-case.yaml")]
    result = attestlab(
        "run", *scenarios, "--seed", "1", "--json", report,
        *(f"--device=adb:{spec}" for spec in (good.spec, refused, corrupt.spec)),
    )  # fmt: skip
    assert result.code == 1, result.err
    cases = json.loads(report.read_text())["cases"]
    outcomes = {(case["device"], case["scenario"]): case["outcome"] for case in cases}
    assert len(outcomes) == 6
    for (device, _), outcome in outcomes.items():
        assert (outcome == "error") is (device != f"adb:{good.spec}"), outcomes
    errors = {case["device"]: case["message"] for case in cases if case["outcome"] == "error"}
    assert "cannot connect (Connection refused)" in errors[f"adb:{refused}"]
    assert "bad checksum" in errors[f"adb:{corrupt.spec}"]
    assert good.opens == 3  # the live phone was read once for the whole run, in three round trips
