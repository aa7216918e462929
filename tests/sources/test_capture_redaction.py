"""``attestlab capture`` keeps the hint only in the answers the restrictions are read from.

On Android 14+ ``dumpsys device_policy`` can print the managed configuration the device policy
engine holds (:mod:`harness.parsers.policy_values`); a capture is a file users attach to
tickets, so the capture written of such a phone has those values redacted, and any copy of the
hint in another answer too, while the restriction file keeps it (the replay needs it for the
verdict). The phone here is the bundled Galaxy S23 (Workspace ONE, ABX restrictions) with its
policy engine section as AOSP prints it.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from harness.readers import read_source
from harness.sources.capture import INDEX
from simulator.device import AndroidDevice
from simulator.ids import OKTA_VERIFY_ANDROID
from simulator.secret import redact
from tests.helpers import CAPTURES, ORGS, attestlab
from tests.parsers.policy_dumps import engine

PHONE = CAPTURES / "android" / "galaxy-s23-android14-ws1-abx"
EMPTY_ENGINE = "  Local Policies: \n\n  Global Policies: \n\n"
PULL = f"pull /data/system/users/10/res_{OKTA_VERIFY_ANDROID}.xml"


def android14_phone(tmp_path: Path) -> tuple[Path, str]:
    """A copy of the phone whose dump shows Okta Verify's configuration (and, in a vendor line,
    the hint again); the hint."""
    device = read_source(f"capture:{PHONE}")
    assert isinstance(device, AndroidDevice)
    hint = device.users[10].restrictions[OKTA_VERIFY_ANDROID]["managementHint"]
    phone = tmp_path / "phone"
    shutil.copytree(PHONE, phone)
    dump = phone / "dumpsys_device_policy.txt"
    text = dump.read_text()
    assert EMPTY_ENGINE in text
    bundle = f"Bundle[{{managementHint={hint}, serverUrl=https://cn1506.awmdm.com}}]"
    text = text.replace(EMPTY_ENGINE, engine(bundle), 1)
    vendor = f"    mVendorAppConfig={{hint={hint}}}\n"  # not AOSP's: a copy the structure does not explain
    text = text.replace("    mSafetyChecker=null\n", "    mSafetyChecker=null\n" + vendor, 1)
    dump.write_text(text)
    return phone, hint


def files_by_request(capture: Path) -> dict[str, bytes]:
    index = json.loads((capture / INDEX).read_text())
    return {e["request"]: (capture / e["file"]).read_bytes() for e in index["entries"]}


def verdict(capture: Path) -> object:
    result = attestlab("inspect", f"capture:{capture}", "--org", ORGS / "standard.yaml", "--json")
    assert result.code in (0, 1), result.err
    report = json.loads(result.out)
    return report["verdict"], sorted(f["code"] for f in report["findings"]), report["okta_verify"]


def test_the_hint_stays_only_in_the_restriction_file(tmp_path: Path) -> None:
    phone, hint = android14_phone(tmp_path)
    out = tmp_path / "captured"
    result = attestlab("capture", f"capture:{phone}", "-o", out)
    assert result.code == 0, result.err
    assert hint not in result.out + result.err
    written, read = files_by_request(out), files_by_request(phone)
    assert written.keys() == read.keys()
    for request, data in written.items():
        if request == PULL:
            assert data == read[request] and hint.encode() in data
        else:
            assert hint.encode() not in data, request
    dump = written["dumpsys device_policy"].decode()
    assert dump.count("BundlePolicyValue { mValue= <redacted by attestlab capture> }") == 2
    assert f"mVendorAppConfig={{hint={redact(hint)}}}" in dump
    assert "BooleanPolicyValue { mValue= true }" in dump  # other policies are left as printed
    assert verdict(out) == verdict(phone)
