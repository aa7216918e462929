"""Acceptance: ``attestlab inspect ios:UDID --mdm FILE ...`` on a fake usbmuxd, in-process.

The device side is a pretend iPhone behind the fake usbmuxd (pymobiledevice3 does the talking);
the MDM side is the files an admin exports. Each case checks the verdict, the exit code of the
contract, and that the output says where its facts came from.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from simulator.emm import Intune, WorkspaceOne
from simulator.emm.base import IOSAppSettings
from tests.helpers import Result, attestlab, needs_ios_extra
from tests.ios.exports import SECRET, graph_export, sso_profile, ws1_export
from tests.ios.inspect_cases import Case, iphone

pytestmark = needs_ios_extra


def _verdict(result: Result) -> dict[str, Any]:
    assert SECRET not in result.out + result.err
    data: dict[str, Any] = json.loads(result.out)
    return data


def test_managed_via_workspace_one(tmp_path: Path, serve: Callable[..., Any]) -> None:
    case = Case(tmp_path, serve, iphone(WorkspaceOne(configuration={"managementHint": SECRET})))
    result = case.inspect(*case.apple("apps", "profiles"), case.file("ws1.json", ws1_export()))
    assert result.code == 0, result.err
    data = _verdict(result)
    assert (data["verdict"]["managed"], data["verdict"]["reason"]) == (True, "managed")
    facts = data["device"]["facts_from"]
    assert facts["managed configuration"].endswith("ws1.json (Workspace ONE app configuration)")
    assert facts["app management state"].endswith("apps.plist (Apple MDM ManagedApplicationList answer)")
    assert facts["identity"] == f"the device (ios:{case.device.identity.udid}, named)"
    # ProfileList names the SSO extension's payload type, not its data: said, and not needed here
    assert data["device"]["unread"] == ["SSO extension data"]
    assert any("the SSO extension's profile (.mobileconfig" in note for note in data["notes"])


def test_managed_via_intune_graph_export(tmp_path: Path, serve: Callable[..., Any]) -> None:
    case = Case(tmp_path, serve, iphone(Intune(configuration={"managementHint": SECRET})))
    result = case.inspect(*case.apple("apps", "profiles"), case.file("graph.json", graph_export()))
    assert result.code == 0, result.err
    data = _verdict(result)
    assert data["verdict"]["reason"] == "managed"
    assert "Microsoft Graph iosMobileAppConfiguration" in data["device"]["facts_from"]["managed configuration"]


def test_user_installed_app_not_taken_over(tmp_path: Path, serve: Callable[..., Any]) -> None:
    ws1 = WorkspaceOne(
        configuration={"managementHint": SECRET}, ios=IOSAppSettings(make_managed_if_user_installed=False)
    )
    case = Case(tmp_path, serve, iphone(ws1, user_installed=True))
    result = case.inspect(*case.apple("apps", "config", "profiles"), case.sso_profile({}))
    assert result.code == 1, result.err
    data = _verdict(result)
    assert (data["verdict"]["managed"], data["verdict"]["reason"]) == (False, "app_not_managed")
    assert "Make App EMM Managed if User Installed" in data["verdict"]["fix"]


def test_hint_only_in_the_sso_extension_with_its_profile(tmp_path: Path, serve: Callable[..., Any]) -> None:
    case = Case(tmp_path, serve, iphone(WorkspaceOne(configuration={"OktaVerify.OrgUrl": "https://acme.okta.com"})))
    result = case.inspect(*case.apple("apps", "config", "profiles"), case.sso_profile({"managementHint": SECRET}))
    assert result.code == 0, result.err
    data = _verdict(result)
    assert data["verdict"]["reason"] == "managed"
    assert data["device"]["facts_from"]["SSO extension payload"].endswith(
        "okta-sso.mobileconfig (configuration profile)"
    )


def test_hint_maybe_in_the_sso_extension_without_its_profile_cannot_be_told(
    tmp_path: Path, serve: Callable[..., Any]
) -> None:
    case = Case(tmp_path, serve, iphone(WorkspaceOne(configuration={"OktaVerify.OrgUrl": "https://acme.okta.com"})))
    result = case.inspect(*case.apple("apps", "config", "profiles"))
    assert result.code == 2, result.err
    data = _verdict(result)
    assert data["verdict"]["managed"] is None
    assert "SSO extension data" in data["device"]["unread"]
    assert any("pass --mdm FILE with the SSO extension's profile" in note for note in data["notes"])


def test_declarative_management_cannot_be_told(tmp_path: Path, serve: Callable[..., Any]) -> None:
    ws1 = WorkspaceOne(configuration={"managementHint": SECRET}, ios=IOSAppSettings(declarative=True))
    case = Case(tmp_path, serve, iphone(ws1))
    result = case.inspect(*case.apple("apps", "config", "profiles"))
    assert result.code == 2, result.err
    data = _verdict(result)
    assert data["verdict"]["managed"] is None
    assert "declaratively managed apps" in data["device"]["unread"]


def test_user_enrollment(tmp_path: Path, serve: Callable[..., Any]) -> None:
    ws1 = WorkspaceOne(configuration={"managementHint": SECRET}, user_enrollment=True)
    case = Case(tmp_path, serve, iphone(ws1, user_installed=True))
    result = case.inspect(*case.apple("apps", "config", "profiles"), case.sso_profile({}))
    assert result.code == 1, result.err
    data = _verdict(result)
    assert data["verdict"]["reason"] == "app_not_managed"
    assert data["device"]["user_enrollment"] is True
    assert data["device"]["facts_from"]["User Enrollment"].endswith("(Apple MDM ProfileList answer)")
    assert "User Enrollment" in data["verdict"]["fix"]


def test_sso_profile_the_device_lacks_is_not_used(tmp_path: Path, serve: Callable[..., Any]) -> None:
    device = iphone(WorkspaceOne(configuration={"OktaVerify.OrgUrl": "https://acme.okta.com"}))
    case = Case(tmp_path, serve, device)
    profile = case.file("other.mobileconfig", sso_profile({"managementHint": SECRET}, identifier="com.other.sso"))
    result = case.inspect(*case.apple("apps", "config", "profiles"), profile)
    assert result.code != 0
    facts = _verdict(result)["device"]["facts_from"]
    assert facts["SSO extension payload"] == "not used: profile 'com.other.sso' is not installed on the device"


def test_sso_extension_missing_is_managed_with_the_fastpass_finding(tmp_path: Path, serve: Callable[..., Any]) -> None:
    ws1 = WorkspaceOne(configuration={"managementHint": SECRET}, ios=IOSAppSettings(sso_extension=False))
    case = Case(tmp_path, serve, iphone(ws1))
    result = case.inspect(*case.apple("apps", "profiles"), case.file("ws1.json", ws1_export()))
    assert result.code == 0, result.err
    data = _verdict(result)
    assert data["verdict"]["reason"] == "managed"
    assert "sso_extension_missing" in {f["code"] for f in data["findings"]}


def test_without_mdm_files_it_says_what_could_not_be_checked(tmp_path: Path, serve: Callable[..., Any]) -> None:
    case = Case(tmp_path, serve, iphone(WorkspaceOne(configuration={"managementHint": SECRET})))
    result = case.inspect(json_output=False)
    assert result.code == 2, result.err
    assert "COULD NOT TELL" in result.out
    assert "not checked: app management state — pass --mdm FILE" in result.out
    assert "from the device (ios:" in result.out


def test_okta_verify_absent(tmp_path: Path, serve: Callable[..., Any]) -> None:
    case = Case(tmp_path, serve, iphone())
    result = case.inspect()
    assert result.code == 1, result.err
    assert _verdict(result)["verdict"]["reason"] == "app_not_installed"


@pytest.mark.parametrize(
    ("fake", "message"),
    [
        ({"paired": False}, "pair first: `pymobiledevice3 lockdown pair`"),
        ({"locked": True}, "unlock the device and retry"),
    ],
)
def test_device_errors_exit_2_in_one_line(
    tmp_path: Path, serve: Callable[..., Any], fake: dict[str, bool], message: str
) -> None:
    case = Case(tmp_path, serve, iphone(WorkspaceOne(configuration={"managementHint": SECRET})), **fake)
    result = case.inspect(json_output=False)
    assert result.code == 2
    assert message in result.err and result.err.count("\n") == 1 and "Traceback" not in result.err


def test_unreachable_usbmuxd_exits_2(tmp_path: Path, mux_path: Path) -> None:
    result = attestlab("inspect", "ios:")
    assert result.code == 2
    assert "is usbmuxd running?" in result.err and str(mux_path) in result.err


def test_a_bad_mdm_file_is_reported_before_the_device_is_reached(tmp_path: Path, mux_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"hello": "world"}')
    result = attestlab("inspect", "ios:", "--mdm", bad)
    assert result.code == 2
    assert result.err.startswith(f"attestlab: error: {bad}: JSON that is neither")


def test_two_files_for_the_same_answer(tmp_path: Path, serve: Callable[..., Any]) -> None:
    case = Case(tmp_path, serve, iphone(WorkspaceOne(configuration={"managementHint": SECRET})))
    result = case.inspect(case.file("ws1.json", ws1_export()), case.file("graph.json", graph_export()))
    assert result.code == 2
    assert "gives the same answer (mdm.managed_application_configuration) as" in result.err


def test_mdm_files_on_an_android_source_are_refused(tmp_path: Path) -> None:
    capture = Path(__file__).resolve().parents[2] / "fixtures/captures/android/pixel6-android12-intune-abx"
    result = attestlab("inspect", f"capture:{capture}", "--mdm", tmp_path / "x.json")
    assert result.code == 2  # the file is missing: reported before the capture is opened
    (tmp_path / "x.json").write_bytes(ws1_export())
    result = attestlab("inspect", f"capture:{capture}", "--mdm", tmp_path / "x.json")
    assert result.code == 2 and "--mdm is for iOS sources" in result.err
