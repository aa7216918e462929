"""``attestlab inspect`` end to end on the bundled captures and on broken ones."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.helpers import CAPTURES, ROOT, attestlab, catalog_secrets

STANDARD = ROOT / "fixtures" / "orgs" / "standard.yaml"
ABX_CAPTURE = CAPTURES / "android" / "pixel6-android12-intune-abx"
RESTRICTIONS = "pull_data_system_users_10_res_com.okta.android.auth.xml"
IOS_CAPTURE = CAPTURES / "ios" / "iphone15pro-ios17-ws1-managed"
HINT = "3zr7Q~vw4C16FS2bH8UfS1gJ5cL6sj~x_U9PQ"


def _no_secret(*texts: str) -> None:
    for secret in [*catalog_secrets(), HINT]:
        for text in texts:
            assert secret not in text


@pytest.mark.parametrize(
    ("capture", "code", "reason"),
    [
        ("android/pixel6-android12-intune-abx", 0, "managed"),
        ("android/pixel7-android13-personal-only", 1, "app_not_in_work_profile"),
        ("android/pixel5-android13-no-root", 2, None),
        ("ios/iphone15pro-ios17-ws1-managed", 0, "managed"),
        ("ios/iphone13-ios17-user-installed", 1, "app_not_managed"),
        ("ios/iphone14pro-ios18-no-mdm-answers", 2, None),
    ],
)
def test_exit_codes_and_json(capture: str, code: int, reason: str | None) -> None:
    result = attestlab("inspect", f"capture:{CAPTURES / capture}", "--org", STANDARD, "--json")
    assert result.code == code, result.err
    data = json.loads(result.out)
    assert set(data) >= {"device", "okta_verify", "verdict", "findings"}
    assert data["verdict"]["managed"] == {0: True, 1: False, 2: None}[code]
    assert data["verdict"]["reason"] == reason
    for finding in data["findings"]:
        assert set(finding) == {"code", "severity", "message"}
    if code == 2:
        assert "restrictions_unreadable" in {f["code"] for f in data["findings"]}
    _no_secret(result.out, result.err)


def test_human_output_names_profiles_fix_and_remediation() -> None:
    result = attestlab(
        "inspect", f"capture:{CAPTURES / 'android' / 'pixel7-android13-personal-only'}", "--org", STANDARD
    )
    assert result.code == 1
    assert "NOT MANAGED (app_not_in_work_profile)" in result.out
    assert "installed in the personal profile (user 0); install it in the work profile (user 10)" in result.out
    assert "Additional setup required" in result.out and "https://portal.manage.microsoft.com/" in result.out


def test_without_org_it_reports_what_it_can() -> None:
    result = attestlab("inspect", f"capture:{ABX_CAPTURE}", "--json")
    assert result.code == 2  # a hint is present: matching it needs the org
    data = json.loads(result.out)
    assert data["verdict"]["managed"] is None
    assert data["okta_verify"][-1]["management_hint"] == "3z…(37)"
    assert any("needs an org file" in n for n in data["notes"])
    missing = attestlab("inspect", f"capture:{CAPTURES / 'android' / 'pixel7-android13-personal-only'}", "--json")
    assert missing.code == 1 and json.loads(missing.out)["verdict"]["reason"] == "app_not_in_work_profile"
    _no_secret(result.out, missing.out)


def _broken(tmp_path: Path, source: Path, file: str, data: bytes | None) -> Path:
    target = tmp_path / source.name
    shutil.copytree(source, target)
    if data is None:
        (target / file).unlink()
    else:
        (target / file).write_bytes(data)
    return target


_GOOD_ABX = (ABX_CAPTURE / RESTRICTIONS).read_bytes()
BAD_INPUTS = {
    "billion laughs": (
        ABX_CAPTURE,
        RESTRICTIONS,
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        b'<restrictions><entry key="k" type="s">&b;</entry></restrictions>',
    ),
    "external entity": (
        ABX_CAPTURE,
        RESTRICTIONS,
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<restrictions><entry key="k" type="s">&x;</entry></restrictions>',
    ),
    "truncated ABX": (ABX_CAPTURE, RESTRICTIONS, _GOOD_ABX[: len(_GOOD_ABX) // 2]),
    "wrong magic": (ABX_CAPTURE, RESTRICTIONS, b"ABY\x00" + _GOOD_ABX[4:]),
    "unknown token type": (ABX_CAPTURE, RESTRICTIONS, b"ABX\x00\x00\x0e"),
    "plist garbage": (IOS_CAPTURE, "mdm.managed_application_configuration.plist", b"bplist00\xff\xfe garbage"),
    "missing capture.json": (ABX_CAPTURE, "capture.json", None),
    "capture.json names a missing file": (ABX_CAPTURE, "getprop.txt", None),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_inputs_are_one_line_exit_2_without_secrets(tmp_path: Path, case: str) -> None:
    source, file, data = BAD_INPUTS[case]
    capture = _broken(tmp_path, source, file, data)
    result = attestlab("inspect", f"capture:{capture}", "--org", STANDARD)
    assert result.code == 2, (case, result.out, result.err)
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("attestlab: error: "), result.err
    assert "Traceback" not in result.err and result.out == ""
    assert str(capture) in lines[0] or "capture:" in lines[0]
    _no_secret(result.out, result.err)


def test_unknown_source_kind_is_exit_2() -> None:
    result = attestlab("inspect", "floppy:/dev/fd0")
    assert result.code == 2 and "expected one of capture:" in result.err


# -- Fleet devices (issue 8) ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("capture", "code", "reason", "findings", "says"),
    [
        ("android/pixel7-android13-fully-managed", 0, "managed", set(), "device owner: com.google.android"),
        (
            "android/pixel8-android15-paused-work-profile",
            1,
            "app_not_installed",
            {"work_profile_paused"},
            "fix: the work profile (user 10) holding Okta Verify is paused: turn work apps on",
        ),
        (
            "android/galaxy-s23ultra-android14-testdpc",
            0,
            "managed",
            {"user_unreadable"},
            "(secure_folder, shell refused)",
        ),
        (
            "android/galaxy-s23ultra-android14-secure-folder",
            2,
            None,
            {"user_unreadable", "restrictions_unreadable"},
            "could not read: managed configuration, user 150",
        ),
        ("ios/iphone16-ios18-hint-in-sso-extension", 2, None, {"restrictions_unreadable"}, "SSO extension data"),
        ("ios/iphone15-ios18-declarative-app", 2, None, {"restrictions_unreadable"}, "declarative device management"),
    ],
)
def test_fleet_captures(capture: str, code: int, reason: str | None, findings: set[str], says: str) -> None:
    result = attestlab("inspect", f"capture:{CAPTURES / capture}", "--org", STANDARD)
    assert result.code == code, result.err
    assert says in result.out
    data = json.loads(attestlab("inspect", f"capture:{CAPTURES / capture}", "--org", STANDARD, "--json").out)
    assert data["verdict"]["reason"] == reason
    assert {f["code"] for f in data["findings"]} == findings


def test_fully_managed_okta_verify_in_user_0_is_managed_and_intune_not_named_by_android_device_policy() -> None:
    data = json.loads(
        attestlab("inspect", f"capture:{CAPTURES / 'android' / 'pixel7-android13-fully-managed'}", "--json").out
    )
    assert data["device"]["device_owner"].startswith("com.google.android.apps.work.clouddpc/")
    assert [(c["user"], c["managed"]) for c in data["okta_verify"]] == [(0, True)]


def test_both_profiles_wording_names_the_work_browser() -> None:
    result = attestlab(
        "inspect", f"capture:{CAPTURES / 'android' / 'pixel4a-android11-both-profiles'}", "--org", STANDARD
    )
    assert result.code == 0 and "MANAGED (managed)" in result.out
    assert "signed in from the browser of user 10 (work)" in result.out
    assert "open sign-ins in the work profile's browser" in result.out
    assert "app_in_both_profiles" in result.out


def test_a_refused_work_profile_cannot_be_told(tmp_path: Path) -> None:
    """The copy the work browser reaches is in the refused user: a copy elsewhere decides nothing."""
    directory = tmp_path / "cap"
    shutil.copytree(CAPTURES / "android" / "pixel7-android13-personal-only", directory)
    (directory / "pm_list_packages_--user_10_com.okta.android.auth.txt").write_text(
        "Error: java.lang.SecurityException: Shell does not have permission to access user 10\n"
    )
    result = attestlab("inspect", f"capture:{directory}", "--org", STANDARD, "--json")
    assert result.code == 2, result.out
    data = json.loads(result.out)
    assert "user 10" in data["device"]["unread"]
    assert "user_unreadable" in {f["code"] for f in data["findings"]}


def test_a_refusal_for_another_user_is_bad_input(tmp_path: Path) -> None:
    directory = tmp_path / "cap"
    shutil.copytree(CAPTURES / "android" / "pixel7-android13-personal-only", directory)
    (directory / "pm_list_packages_--user_10_com.okta.android.auth.txt").write_text(
        "Error: java.lang.SecurityException: Shell does not have permission to access user 11\n"
    )
    result = attestlab("inspect", f"capture:{directory}", "--org", STANDARD)
    assert result.code == 2
    assert "refused for user 11, not the user asked about" in result.err


ALL_CAPTURES = sorted(p.parent for p in CAPTURES.glob("*/*/capture.json"))


@pytest.mark.parametrize("capture", ALL_CAPTURES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_text_output_reads_like_a_tool_not_python(capture: Path) -> None:
    """It printed ``managed: True`` and ``configuration: {'domainName': 'ac…(13)', ...}``: Python
    reprs, and a domain name redacted as if it were a secret."""
    result = attestlab("inspect", f"capture:{capture}", "--org", STANDARD)
    data = json.loads(attestlab("inspect", f"capture:{capture}", "--org", STANDARD, "--json").out)
    out = result.out
    for python in ("True", "False", "None", "{'", "['", "':"):
        assert python not in out, out
    assert ("Android " if data["device"]["platform"] == "android" else "iOS ") + data["device"]["os_version"] in out
    for copy in data["okta_verify"]:
        assert f"managed: {({True: 'yes', False: 'no', None: 'unknown'})[copy['managed']]}," in out
        for key, value in (copy["config"] or {}).items():
            if not isinstance(value, dict | list | bool):
                assert f"    {key} = {value}\n" in out, out
    _no_secret(out)


def test_only_secret_values_of_the_configuration_are_redacted() -> None:
    result = attestlab("inspect", f"capture:{CAPTURES / 'android' / 'emulator-android14-testdpc'}")
    assert "  configuration:\n    domainName = acme.okta.com\n    managementHint = 3z…(37)\n" in result.out
    assert "managed: yes, managementHint: 3z…(37)" in result.out
    (copy,) = json.loads(
        attestlab("inspect", f"capture:{CAPTURES / 'android' / 'emulator-android14-testdpc'}", "--json").out
    )["okta_verify"]
    assert copy["config"] == {"domainName": "acme.okta.com", "managementHint": "3z…(37)"}
