"""``attestlab capture ios:UDID --mdm FILE ... -o DIR``: a capture that replays to the same verdict.

The recorder is the platform-neutral one (harness.sources.recorder); the ``--mdm`` files are
recorded as the ``mdm.*`` answers they stand for, so the capture replays without them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness.sources.capture import Capture
from simulator.emm import WorkspaceOne
from tests.helpers import attestlab, needs_ios_extra
from tests.ios.exports import SECRET, sso_profile, ws1_export
from tests.ios.inspect_cases import Case, iphone

pytestmark = needs_ios_extra


def _files(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir()) if p.name != "capture.json"}


def test_capture_then_replay_round_trip(tmp_path: Path, serve: Callable[..., Any]) -> None:
    device = iphone(WorkspaceOne(configuration={"managementHint": SECRET}))
    sso = next(p for p in device.profiles if p.sso_extension is not None)
    case = Case(tmp_path, serve, device)
    mdm = [
        *case.apple("apps", "profiles"),
        case.file("ws1.json", ws1_export()),
        case.file("sso.mobileconfig", sso_profile({"managementHint": SECRET}, identifier=sso.identifier)),
    ]
    first, second = tmp_path / "first", tmp_path / "second"
    args: list[str | Path] = ["capture", f"ios:{device.identity.udid}", "-o", first]
    for path in mdm:
        args += ["--mdm", path]
    captured = attestlab(*args)
    assert captured.code == 0, captured.err
    assert SECRET not in captured.out + captured.err

    index = json.loads((first / "capture.json").read_text())
    assert (index["platform"], index["source"]) == ("ios", f"ios:{device.identity.udid}")
    requests = [e["request"] for e in index["entries"]]
    assert requests[:4] == [
        "lockdown.all_values",
        "installation_proxy.browse",
        "mcinstall.get_profile_list",
        "mcinstall.get_cloud_configuration",
    ]
    assert set(requests[4:]) == {
        "mdm.profile_list",
        "mdm.sso_extension_profile",
        "mdm.managed_application_list",
        "mdm.managed_application_configuration",
    }
    # Apple's own answers are recorded byte for byte, the profile as its content
    assert Capture.load(first).ask("mdm.managed_application_list") is not None
    assert (first / "mdm.managed_application_list.plist").read_bytes() == (tmp_path / "apps.plist").read_bytes()
    assert (first / "mdm.sso_extension_profile.plist").read_bytes() == (tmp_path / "sso.mobileconfig").read_bytes()

    live = case.inspect(*mdm)
    replayed = attestlab("inspect", f"capture:{first}", "--org", case.org, "--json")
    assert live.code == replayed.code == 0, replayed.err
    live_json, replay_json = json.loads(live.out), json.loads(replayed.out)
    for doc in (live_json, replay_json):
        doc.pop("source")
        doc["device"].pop("facts_from")
    assert live_json == replay_json

    # a capture of the capture holds the same bytes in the same files
    again = attestlab("capture", f"capture:{first}", "-o", second)
    assert again.code == 0, again.err
    assert _files(second) == _files(first)
    assert json.loads((second / "capture.json").read_text())["entries"] == index["entries"]


def test_capture_of_an_unreachable_device_writes_nothing(tmp_path: Path, mux_path: Path) -> None:
    out = tmp_path / "out"
    result = attestlab("capture", "ios:", "-o", out)
    assert result.code == 2 and "is usbmuxd running?" in result.err
    assert not out.exists()
