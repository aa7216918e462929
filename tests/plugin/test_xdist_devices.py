"""The plugin under pytest-xdist: the catalog on a matrix, and virtual adb phones as live devices.

One test runs a real inner pytest in a subprocess (``runpytest_subprocess``) with ``-n 2``, so
the workers, the scheduler and the ``xdist_group`` handling are xdist's own. Such a run costs
three processes, each starting pytest and importing and collecting all of it (~5 s of CPU), so
one run serves every behaviour that needs workers; what needs none
(which items a run collects and deselects) is checked in-process. The live phones are
:mod:`simulator.adbd` servers built from bundled Android captures, reached over loopback both
directly (``adb:HOST:PORT``) and through a private real ``adb`` server (``adb-server:SERIAL``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from simulator.adbd import AdbdServer
from tests.helpers import CAPTURES, CATALOG, ORGS, AdbServer, free_port, give_adb_key
from tests.plugin.inner import PLUGIN, catalog_config

#: The org the bundled captures are judged against (fixtures/README.md).
CAPTURES_ORG = ORGS / "captures.yaml"

#: A plugin of the inner run (``-p worker_log``): which xdist worker set each item up, and the
#: item's markers (on the worker itself: the controller only replays reports, and inherits the
#: outer run's PYTEST_XDIST_WORKER).
WORKER_LOG = """\
import json, os

def pytest_runtest_setup(item):
    worker = getattr(item.config, "workerinput", {}).get("workerid", "-")
    marks = sorted({mark.name for mark in item.iter_markers()})
    with open(os.path.join(os.path.dirname(__file__), "workers.jsonl"), "a") as out:
        out.write(json.dumps([worker, item.nodeid, marks]) + "\\n")
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


def _adb_key(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    """attestlab's own adb key in the inner run's directory (one copy for both inner workers)."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(pytester.path / "config"))
    give_adb_key(pytester.path / "config")


@pytest.fixture
def phones(
    adbd: Callable[[Path], AdbdServer], pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> list[AdbdServer]:
    """Three virtual phones from two managed captures (the third is reached through adb's server)."""
    _adb_key(pytester, monkeypatch)
    return [
        adbd(CAPTURES / "android" / name)
        for name in ("pixel6-android12-intune-abx", "galaxy-s24-android15-intune-abx", "pixel6-android12-intune-abx")
    ]


def _live_files(pytester: pytest.Pytester) -> None:
    for name, text in LIVE_SCENARIOS.items():
        pytester.makefile(".yaml", **{name: text.format(org=CAPTURES_ORG)})


@pytest.mark.slow
def test_the_catalog_on_a_matrix_and_live_phones_on_two_workers(
    pytester: pytest.Pytester, adb_server: AdbServer, phones: list[AdbdServer]
) -> None:
    """One inner run with ``-n 2`` (three processes, ~5 s of CPU: one run for every behaviour that
    needs xdist's workers, each checked below): the bundled catalog on a matrix of simulated
    devices, and live scenarios on phones given both by ``--attestlab-device`` and by ``source:``
    entries of the matrix file, two of them absent. ``-m "not device or live"`` deselects the
    catalog's items on the phones: they are for simulated devices."""
    _live_files(pytester)
    pytester.makepyfile(worker_log=WORKER_LOG)
    direct, other, served = phones
    adb_server.connect(served.spec)
    port = free_port()  # nobody listens there, on 127.0.0.1 nor (a port free there) on 127.0.0.2
    absent_given, absent_listed = f"adb:127.0.0.1:{port}", f"adb:127.0.0.2:{port}"
    # A simulated device of each platform: the catalog's items on both workers (an item per device
    # of a cross product is test_scenario_items.py's, in-process; matrix files are the CLI's).
    simulated = "cross:\n  - {platform: android, model: [Pixel 8], version: ['14']}\n"
    simulated += "  - {platform: ios, model: [iPhone 15], version: ['18']}\n"
    matrix = pytester.makefile(
        ".yml",
        matrix=f"{simulated}devices:\n  - source: adb:{direct.spec}\n    emm: intune\n  - source: adb:{other.spec}\n"
        f"  - {{source: '{absent_listed}', emm: intune}}\n  - {{source: 'adb:{served.spec}', emm: workspace_one}}\n",
    )
    args = [
        *catalog_config(pytester),
        *("-m", "not device or live", str(CATALOG), str(pytester.path), "--attestlab-matrix", str(matrix)),
        *("--attestlab-device", f"adb-server:{served.spec}", "--attestlab-device", absent_given),
    ]
    result = pytester.runpytest_subprocess(*PLUGIN, "-p", "worker_log", "-n", "2", "-rs", "-v", *args)
    # What the catalog on the simulated devices alone collects in-process (reading no phone).
    alone = pytester.makefile(".yml", simulated=simulated)
    collected = pytester.runpytest_inprocess(
        *PLUGIN, *catalog_config(pytester), "--collect-only", "-q", str(CATALOG), "--attestlab-matrix", str(alone)
    )
    catalog_ids = [line for line in collected.outlines if "::" in line]
    ran: dict[str, tuple[str, list[str]]] = {}
    for line in (pytester.path / "workers.jsonl").read_text().splitlines():
        worker, nodeid, marks = json.loads(line)
        ran[nodeid] = (worker, marks)

    def device(nodeid: str) -> str:
        return nodeid.rpartition("[")[2].removesuffix("]")

    live = [i for i in ran if not i.startswith("scenarios/")]  # the rest are the catalog's
    phones_run = [f"adb:{direct.spec}", f"adb:{other.spec}", f"adb-server:{served.spec}"]
    # Every item the run selects passes, or is an absent phone's and skips.
    result.stdout.fnmatch_lines([f"2 workers [[]{len(ran)} items[]]"])
    skipped = 2 * len(LIVE_SCENARIOS)
    result.assert_outcomes(passed=len(ran) - skipped, skipped=skipped)
    # The catalog: what it collects on the simulated devices alone, on both workers, none of its
    # items on a phone; scenarios that read their device from a capture keep it.
    assert sorted(i for i in ran if i not in live) == sorted(catalog_ids), "the catalog's items"
    assert {worker for i, (worker, _) in ran.items() if i not in live} == {"gw0", "gw1"}, "both workers"
    labels = {device(i) for i in catalog_ids}
    captures = {label for label in labels if label.startswith("capture:")}
    assert labels - captures == {"Pixel 8 · Android 14", "iPhone 15 · iOS 18"}, labels
    assert any(i.startswith("scenarios/android/capture-fully-managed.yaml::") and "[capture:" in i for i in ran)
    # Live scenarios on every phone but the one listed with emm: workspace_one (every live
    # scenario is Intune's), and on the simulated Android.
    on = [*phones_run, absent_given, absent_listed, "Pixel 8 · Android 14"]
    assert sorted(live) == sorted(f"{name}.yaml::live-{name}[{d}]" for name in LIVE_SCENARIOS for d in on)
    # Scheduled by DeviceScheduling: each phone's items on one worker, the phones on both.
    result.stdout.fnmatch_lines(["scheduling tests via DeviceScheduling"])
    workers = {d: {ran[i][0] for i in live if device(i) == d} for d in [*phones_run, absent_given, absent_listed]}
    assert all(len(where) == 1 for where in workers.values()), workers
    assert set().union(*(workers[d] for d in phones_run)) == {"gw0", "gw1"}, workers
    # A phone's items are marked device and xdist_group, a simulated device's not.
    for nodeid, (_, marks) in ran.items():
        expected = {"device", "xdist_group"} if device(nodeid).startswith("adb") else set()
        assert {"device", "xdist_group"} & set(marks) == expected, nodeid
    # An absent phone's items skip with the reason.
    for absent in (absent_given, absent_listed):
        result.stdout.fnmatch_lines([f"*SKIPPED*live-managed[[]{absent}[]]*"])
        result.stdout.fnmatch_lines([f"SKIPPED [[]3[]] *device absent: {absent}: cannot connect*"])


def test_device_items_are_marked_device_and_deselected_by_not_device(
    pytester: pytest.Pytester, adbd: Callable[[Path], AdbdServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Which items ``-m "not device"`` leaves is collection's business, checked in-process (the
    run of what such a selection keeps, on two workers, is the test above)."""
    _adb_key(pytester, monkeypatch)
    phone = adbd(CAPTURES / "android" / "pixel6-android12-intune-abx")
    _live_files(pytester)
    pytester.makefile(
        ".yaml", simulated=LIVE_SCENARIOS["managed"].format(org=CAPTURES_ORG).replace("live-", "simulated-")
    )
    absent = f"adb:127.0.0.1:{free_port()}"
    args = ["--attestlab-device", f"adb:{phone.spec}", "--attestlab-device", absent]
    matrix = pytester.makefile(".yml", matrix="devices: [{platform: android, model: Pixel 8, version: '14'}]\n")
    not_device = pytester.runpytest_inprocess(
        *PLUGIN, "--collect-only", "-q", "-m", "not device", *args, "--attestlab-matrix", str(matrix)
    )
    kept = [line for line in not_device.outlines if "::" in line]
    files = len(LIVE_SCENARIOS) + 1
    assert len(kept) == files and all(i.endswith("[Pixel 8 · Android 14]") for i in kept), kept
    # Deselected: every file on the phone and on the absent one, i.e. all that is not kept.
    not_device.stdout.fnmatch_lines([f"{files}/{3 * files} tests collected ({2 * files} deselected)*"])
