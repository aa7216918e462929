"""The ``ios:`` source on a real iPhone (auto-marked ``device``; skipped unless ATTESTLAB_IOS_UDID is set).

How QA runs it on hardware (docs/cli.md, "A live iPhone"):

1. ``pip install -e '.[test,all]'``; on Linux ``sudo systemctl start usbmuxd``.
2. Plug the iPhone in, unlock it, tap Trust; ``pymobiledevice3 lockdown pair`` once.
3. ``ATTESTLAB_IOS_UDID=<udid> python -m pytest tests/ios/test_real_device.py -m device -n 0``
   (``pymobiledevice3 usbmux list`` shows the UDID). Optionally ``ATTESTLAB_IOS_MDM`` names MDM
   files to pass, separated by ``:`` (``apps.plist:graph.json``).

These tests use the real HOME (the pair records live there); they only read the device.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from harness.parsers.ios_plists import parse_installed_apps, parse_lockdown_values, parse_profile_list
from harness.sources import open_source
from tests.helpers import attestlab, needs_ios_extra

UDID = os.environ.get("ATTESTLAB_IOS_UDID", "")
MDM = [Path(p) for p in os.environ.get("ATTESTLAB_IOS_MDM", "").split(":") if p]

pytestmark = [
    needs_ios_extra,
    pytest.mark.skipif(not UDID, reason="no iPhone: set ATTESTLAB_IOS_UDID to run on hardware"),
]


def test_the_device_answers_every_request() -> None:
    with open_source(f"ios:{UDID}") as transport:
        lockdown = transport.ask("lockdown.all_values")
        apps = transport.ask("installation_proxy.browse")
        profiles = transport.ask("mcinstall.get_profile_list")
        cloud = transport.ask("mcinstall.get_cloud_configuration")
    assert lockdown and apps and profiles and cloud
    assert parse_lockdown_values(lockdown.data, name="lockdown").udid.replace("-", "") == UDID.replace("-", "")
    parse_installed_apps(apps.data, name="browse")
    parse_profile_list(profiles.data, name="profiles")


def test_inspect_and_capture_agree(tmp_path: Path) -> None:
    mdm = [a for path in MDM for a in ("--mdm", str(path))]
    live = attestlab("inspect", f"ios:{UDID}", *mdm, "--json")
    assert live.code in (0, 1, 2) and live.out, live.err
    captured = attestlab("capture", f"ios:{UDID}", *mdm, "-o", tmp_path / "capture")
    assert captured.code == 0, captured.err
    replayed = attestlab("inspect", f"capture:{tmp_path / 'capture'}", "--json")
    assert replayed.code == live.code
    assert json.loads(replayed.out)["verdict"] == json.loads(live.out)["verdict"]
