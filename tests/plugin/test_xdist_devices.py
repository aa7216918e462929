"""The plugin under pytest-xdist: the catalog on a matrix, and virtual adb phones as live devices.

Each test runs a real inner pytest in a subprocess (``runpytest_subprocess``) with ``-n 2``, so
the workers, the scheduler and the ``xdist_group`` handling are xdist's own. The live phones are
:mod:`simulator.adbd` servers built from bundled Android captures, reached over loopback both
directly (``adb:HOST:PORT``) and through a private real ``adb`` server (``adb-server:SERIAL``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from simulator.adbd import AdbdServer
from tests.helpers import AdbServer, free_port, give_adb_key
from tests.plugin.inner import PLUGIN

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "scenarios"
CAPTURES = ROOT / "fixtures" / "captures" / "android"
#: The org the bundled captures are judged against (fixtures/README.md).
CAPTURES_ORG = ROOT / "fixtures" / "orgs" / "captures.yaml"

#: Records which xdist worker set each item up (on the worker itself: the controller only
#: replays reports, and inherits the outer run's PYTEST_XDIST_WORKER).
WORKER_LOG = """\
import json, os

def pytest_runtest_setup(item):
    worker = getattr(item.config, "workerinput", {}).get("workerid", "-")
    with open(os.path.join(os.path.dirname(__file__), "workers.jsonl"), "a") as out:
        out.write(json.dumps([worker, item.nodeid]) + "\\n")
"""

#: Three checks written for a phone enrolled with Intune and holding intune-android's key: what
#: ``attestlab inspect capture:DIR --org fixtures/orgs/captures.yaml`` says of the two captures
#: used below ("Verdict: MANAGED (managed), matched intune-android"), and what the simulated
#: device of the scenario is.
LIVE_HEAD = """\
tags: [android, live]
org: {org}
device:  # simulated on a matrix device; a live device is read instead
  platform: android
  okta_verify: work
  emm: {{provider: intune, config: {{managementHint: "${{secret:intune-android}}"}}}}
steps:
"""
LIVE_STEPS = {
    "managed": "  - sign_in:\n    expect: {{decision: managed, reason: managed}}\n",
    "inventory": "  - check_inventory:\n    expect: {{status: not_managed}}\n"
    "  - sign_in:\n    expect: {{decision: managed}}\n"
    "  - check_inventory:\n    expect: {{status: managed}}\n",
    "rotated-key": "  - reset_secret: intune-android\n"
    "  - sign_in:\n    expect: {{decision: not_managed, reason: hint_mismatch}}\n",
}
LIVE_SCENARIOS = {name: f"name: live-{name}\n{LIVE_HEAD}{steps}" for name, steps in LIVE_STEPS.items()}


@pytest.mark.slow
def test_a_matrix_of_simulated_devices_runs_the_catalog_on_two_workers(pytester: pytest.Pytester) -> None:
    matrix = pytester.makefile(
        ".yml",
        # Three devices: enough for a cross product on each platform and items on both workers
        # (every device multiplies the run; matrix files themselves are tested with the CLI).
        matrix="cross:\n"
        "  - {platform: android, model: [Pixel 8, Galaxy S24], version: ['14']}\n"
        "  - {platform: ios, model: [iPhone 15], version: ['18']}\n",
    )
    result = pytester.runpytest_subprocess(*PLUGIN, "-n", "2", "-q", str(CATALOG), "--attestlab-matrix", str(matrix))
    assert result.ret == 0, result.stdout.str()[-3000:]
    collected = pytester.runpytest_inprocess(
        *PLUGIN, "--collect-only", "-q", str(CATALOG), "--attestlab-matrix", str(matrix)
    )
    ids = [line for line in collected.outlines if "::" in line]
    assert result.parseoutcomes()["passed"] == len(ids)
    for label in ("Pixel 8 · Android 14", "Galaxy S24 · Android 14", "iPhone 15 · iOS 18"):
        assert any(i.endswith(f"[{label}]") for i in ids), label
    # Scenarios that read their device from a capture keep it; the others run once per device.
    assert any("capture-fully-managed.yaml" in i and "[capture:" in i for i in ids)
    assert not any(i.endswith("[Android]") or i.endswith("[iOS]") for i in ids)


@pytest.fixture
def phones(
    adbd: Callable[[Path], AdbdServer], pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> list[AdbdServer]:
    """Three virtual phones from two managed captures (the third is reached through adb's server);
    attestlab's own adb key is in the inner run's directory (one copy for both inner workers)."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(pytester.path / "config"))
    give_adb_key(pytester.path / "config")
    return [
        adbd(CAPTURES / name)
        for name in ("pixel6-android12-intune-abx", "galaxy-s24-android15-intune-abx", "pixel6-android12-intune-abx")
    ]


def _live_files(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(WORKER_LOG)
    for name, text in LIVE_SCENARIOS.items():
        pytester.makefile(".yaml", **{name: text.format(org=CAPTURES_ORG)})


@pytest.mark.slow
def test_virtual_adb_phones_as_live_devices_keep_each_phone_on_one_worker(
    pytester: pytest.Pytester, adb_server: AdbServer, phones: list[AdbdServer]
) -> None:
    _live_files(pytester)
    direct, other, served = phones
    adb_server.connect(served.spec)
    devices = [f"adb:{direct.spec}", f"adb:{other.spec}", f"adb-server:{served.spec}"]
    absent = f"adb:127.0.0.1:{free_port()}"  # nobody listens there
    args = [arg for spec in [*devices, absent] for arg in ("--attestlab-device", spec)]
    result = pytester.runpytest_subprocess(*PLUGIN, "-n", "2", "-rs", "-v", *args)
    result.assert_outcomes(passed=len(LIVE_SCENARIOS) * len(devices), skipped=len(LIVE_SCENARIOS))
    result.stdout.fnmatch_lines(
        [f"*SKIPPED*live-managed[[]{absent}[]]*", f"SKIPPED [[]3[]] *device absent: {absent}: cannot connect*"]
    )

    ran: dict[str, set[str]] = {}
    for line in (pytester.path / "workers.jsonl").read_text().splitlines():
        worker, nodeid = json.loads(line)
        device = nodeid.split("[", 1)[1].split("]", 1)[0]
        ran.setdefault(device, set()).add(worker)
    assert set(ran) == {*devices, absent}
    for device in devices:
        assert len(ran[device]) == 1 and ran[device] <= {"gw0", "gw1"}, (device, ran[device])
    # The phones were not all put on one worker: the groups spread, only a phone's own items stay.
    assert len(set().union(*(ran[d] for d in devices))) == 2, ran


@pytest.mark.slow
def test_device_items_are_marked_device_and_deselected_by_not_device(
    pytester: pytest.Pytester, phones: list[AdbdServer]
) -> None:
    _live_files(pytester)
    pytester.makefile(
        ".yaml", simulated=LIVE_SCENARIOS["managed"].format(org=CAPTURES_ORG).replace("live-", "simulated-")
    )
    absent = f"adb:127.0.0.1:{free_port()}"
    args = ["--attestlab-device", f"adb:{phones[0].spec}", "--attestlab-device", absent]
    matrix = pytester.makefile(".yml", matrix="devices: [{platform: android, model: Pixel 8, version: '14'}]\n")
    devices = pytester.runpytest_inprocess(*PLUGIN, "--collect-only", "-q", "-m", "device", *args)
    device_ids = [line for line in devices.outlines if "::" in line]
    assert len(device_ids) == 2 * (len(LIVE_SCENARIOS) + 1), device_ids  # every file, on the phone and the absent one
    assert all(f"[adb:{phones[0].spec}]" in i or f"[{absent}]" in i for i in device_ids)
    not_device = pytester.runpytest_inprocess(
        *PLUGIN, "--collect-only", "-q", "-m", "not device", *args, "--attestlab-matrix", str(matrix)
    )
    kept = [line for line in not_device.outlines if "::" in line]
    assert len(kept) == len(LIVE_SCENARIOS) + 1 and all(i.endswith("[Pixel 8 · Android 14]") for i in kept), kept
    not_device.stdout.fnmatch_lines(
        [f"{len(kept)}/{len(kept) + len(device_ids)} tests collected ({len(device_ids)} deselected)*"]
    )
    ran = pytester.runpytest_subprocess(
        *PLUGIN, "-n", "2", "-q", "-m", "not device", *args, "--attestlab-matrix", str(matrix)
    )
    ran.assert_outcomes(passed=len(kept))
    assert {json.loads(line)[1] for line in (pytester.path / "workers.jsonl").read_text().splitlines()} == set(kept)


@pytest.mark.slow
def test_phones_in_a_matrix_file_are_grouped_marked_and_skipped_when_absent(
    pytester: pytest.Pytester, phones: list[AdbdServer]
) -> None:
    """``source:`` entries of ``--attestlab-matrix`` get what ``--attestlab-device`` gets: one
    worker per phone (``-n 2`` scheduled by harness.xdist_scheduling), the ``device`` marker,
    skipped with the reason when absent; ``emm:`` chooses the scenarios a phone runs."""
    _live_files(pytester)
    direct, other, ws1 = phones
    absent = f"adb:127.0.0.1:{free_port()}"
    matrix = pytester.makefile(
        ".yml",
        matrix=f"devices:\n  - source: adb:{direct.spec}\n    emm: intune\n  - source: adb:{other.spec}\n"
        f"  - {{source: '{absent}', emm: intune}}\n  - {{source: 'adb:{ws1.spec}', emm: workspace_one}}\n"
        "  - platform=android,model=Pixel 8,version=14,emm=intune\n",
    )
    result = pytester.runpytest_subprocess(*PLUGIN, "-n", "2", "-rs", "-v", "--attestlab-matrix", str(matrix))
    phones_run = [f"adb:{direct.spec}", f"adb:{other.spec}"]
    result.assert_outcomes(passed=len(LIVE_SCENARIOS) * 3, skipped=len(LIVE_SCENARIOS))
    result.stdout.fnmatch_lines(
        ["scheduling tests via DeviceScheduling", f"SKIPPED [[]3[]] *device absent: {absent}: cannot connect*"]
    )
    ran: dict[str, set[str]] = {}
    for line in (pytester.path / "workers.jsonl").read_text().splitlines():
        worker, nodeid = json.loads(line)
        ran.setdefault(nodeid.split("[", 1)[1].split("]", 1)[0], set()).add(worker)
    assert set(ran) == {*phones_run, absent, "Pixel 8 · Android 14 · intune"}  # no Workspace ONE scenario
    for device in phones_run:
        assert len(ran[device]) == 1, (device, ran[device])
    marked = pytester.runpytest_inprocess(
        *PLUGIN, "--collect-only", "-q", "-m", "device", "--attestlab-matrix", str(matrix)
    )
    device_ids = [line for line in marked.outlines if "::" in line]
    assert len(device_ids) == 3 * len(LIVE_SCENARIOS) and not any("Pixel 8" in i for i in device_ids), device_ids
