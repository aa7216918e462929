"""``inspect adb:`` and ``inspect adb-server:`` against virtual phones built from every bundled
Android capture tell what ``inspect capture:DIR`` tells, and ``capture`` of each replays to it.

The virtual phone answers from the device model read out of the capture (not from the capture's
files), over the real ADB wire protocol on loopback, so this checks the whole live path: the
transports, the batched reader with its sentinels, the root / su / TestDPC fallbacks, sync pulls.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import pytest

from harness.sources.capture import Capture
from tests.helpers import AdbServer, attestlab
from tests.live_android.phones import ANDROID_CAPTURES, STANDARD_ORG


@functools.cache
def bundled(capture: Path) -> tuple[int, dict[str, Any]]:
    """What ``inspect`` concludes from the bundled capture itself (the same for both
    transports' tests: judged once a process)."""
    return judged(f"capture:{capture}")


def judged(source: str, *args: str | Path) -> tuple[int, dict[str, Any]]:
    """``inspect --json``'s exit code and what it concluded (everything but the source's name)."""
    result = attestlab("inspect", source, "--org", STANDARD_ORG, "--json", *args)
    assert result.code in (0, 1, 2) and result.out, result.err
    report = json.loads(result.out)
    return result.code, {
        "verdict": report["verdict"],
        "findings": sorted(f["code"] for f in report["findings"]),
        "okta_verify": report["okta_verify"],
        "device": {k: v for k, v in report["device"].items() if k != "source"},
    }


@pytest.mark.parametrize("capture", ANDROID_CAPTURES, ids=lambda p: p.name)
def test_adb_reads_what_the_capture_says(capture: Path, adbd: Any, tmp_path: Path) -> None:
    expected = bundled(capture)
    phone = adbd(capture)
    assert judged(f"adb:{phone.spec}") == expected
    recorded = tmp_path / "recorded"
    result = attestlab("capture", f"adb:{phone.spec}", "-o", recorded)
    assert result.code == 0, result.err
    assert f"-> {recorded}" in result.out
    assert judged(f"capture:{recorded}") == expected
    replay = Capture.load(recorded)
    assert replay.source == f"adb:{phone.spec}" and replay.platform == "android"
    # The same requests as the bundled capture, in the same order: the shell commands and pulls.
    assert list(replay.entries) == list(Capture.load(capture).entries)


@pytest.mark.parametrize("capture", ANDROID_CAPTURES, ids=lambda p: p.name)
def test_adb_server_reads_what_the_capture_says(
    capture: Path, adbd: Any, adb_server: AdbServer, tmp_path: Path
) -> None:
    expected = bundled(capture)
    serial = adb_server.connect(adbd(capture).spec)
    assert judged(f"adb-server:{serial}") == expected
    recorded = tmp_path / "recorded"
    result = attestlab("capture", f"adb-server:{serial}", "-o", recorded)
    assert result.code == 0, result.err
    assert judged(f"capture:{recorded}") == expected
