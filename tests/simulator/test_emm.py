"""The EMMs' configuration formats and placeholder substitution.

Intune accepts an Android managed-configuration JSON and an iOS XML ``<dict>`` (DOMAIN.md §5, §7);
both are parsed from the bytes an admin pastes and then delivered through the chain. The iOS XML
parser itself is tested with the other plist readers (tests/sources/test_ios_plists.py).
"""

from __future__ import annotations

import json
import plistlib
from typing import Any

import pytest

from harness.parsers.ios_plists import (
    managed_application_list_answer,
    mdm_profile_list_answer,
    parse_intune_ios_xml,
    parse_mdm_profile_list,
)
from simulator.appconfig import AppConfig
from simulator.device import FLAG_QUIET_MODE, AppOrigin, Identity, Platform
from simulator.emm import AndroidMode, Intune, IOSAppSettings, WorkspaceOne
from simulator.emm.intune import ANDROID_DEVICE_POLICY, COMPANY_PORTAL, parse_android_json
from simulator.emm.lookups import (
    INTUNE_TOKEN,
    WS1_LOOKUP,
    find_unresolved,
    intune_values,
    substitute,
    ws1_values,
)
from simulator.errors import ConfigError
from simulator.factory import Factory
from simulator.ids import MANAGEMENT_HINT, OKTA_VERIFY_ANDROID, OKTA_VERIFY_IOS
from simulator.verdict import Outcome, Reason

SECRET = "3zr7Q~vw4C16FS2bH8UfS1gJ5cL6sj~x_U9PQ"

IDENTITY = Identity(
    model="Pixel 8",
    manufacturer="Google",
    os_version="14",
    serial="38121FDJH00B4K",
    udid="9774d56d682e549c",
    device_name="Ada's Pixel 8",
    user_name="ada.lovelace",
    user_email="ada.lovelace@example.com",
    sdk=34,
)

# -- Intune Android JSON ----------------------------------------------------------------------

ANDROID_JSON = json.dumps(
    {
        "kind": "androidenterprise#managedConfiguration",
        "productId": "app:com.okta.android.auth",
        "managedProperty": [
            {"key": "managementHint", "valueString": SECRET},
            {"key": "domainName", "valueString": "example.okta.com"},
            {"key": "allowScreenshots", "valueBool": False},
            {"key": "retries", "valueInteger": 3},
            {"key": "hosts", "valueStringArray": ["a.example.com", "b.example.com"]},
        ],
    },
    indent=2,
)


def test_parse_android_json() -> None:
    config = parse_android_json(ANDROID_JSON, name="okta.json")

    assert config == {
        "managementHint": SECRET,
        "domainName": "example.okta.com",
        "allowScreenshots": False,
        "retries": 3,
        "hosts": ("a.example.com", "b.example.com"),
    }


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('{"managedProperty": [', "not JSON (line 1, column 22)"),
        ("[]", "'managedProperty' list"),
        ('{"managedProperty": {}}', "'managedProperty' list"),
        ('{"managedProperty": [{"valueString": "x"}]}', "managedProperty[0] has no string 'key'"),
        ('{"managedProperty": ["managementHint"]}', "managedProperty[0] has no string 'key'"),
        (
            '{"managedProperty": [{"key": "managementHint"}]}',
            "managedProperty[0] ('managementHint') needs exactly one value* field",
        ),
        (
            json.dumps({"managedProperty": [{"key": "managementHint", "valueString": SECRET, "valueBool": True}]}),
            "managedProperty[0] ('managementHint') needs exactly one value* field",
        ),
    ],
    ids=["truncated", "array", "object", "no-key", "string-item", "no-value", "two-values"],
)
def test_parse_android_json_errors(text: str, words: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_android_json(text, name="okta.json")

    assert str(caught.value).startswith("okta.json: ")
    assert words in str(caught.value)
    assert SECRET not in str(caught.value)


def test_android_json_delivered_through_the_chain(attestlab_factory: Factory) -> None:
    s = attestlab_factory.provision(
        Platform.ANDROID,
        Intune,
        configuration=lambda secret: parse_android_json(ANDROID_JSON.replace(SECRET, secret), name="okta.json"),
    )

    assert s.device.restrictions_for(s.device.work_profile.id, "com.okta.android.auth")["retries"] == 3
    assert s.chain.sign_in().outcome is Outcome.MANAGED


# -- Intune iOS XML ---------------------------------------------------------------------------

IOS_XML = f"""<dict>
  <key>managementHint</key>
  <string>{SECRET}</string>
  <key>OktaVerify.OrgUrl</key>
  <string>https://example.okta.com</string>
  <key>userPrincipalName</key>
  <string>{{{{userprincipalname}}}}</string>
  <key>enabled</key>
  <true/>
  <key>disabled</key>
  <false/>
  <key>retries</key>
  <integer>3</integer>
  <key>hosts</key>
  <array><string>a.example.com</string><string>b.example.com</string></array>
  <key>nested</key>
  <dict><key>level</key><integer>2</integer></dict>
  <key>bundles</key>
  <array><dict><key>n</key><integer>1</integer></dict></array>
</dict>"""


def test_ios_xml_delivered_with_tokens_resolved(attestlab_factory: Factory) -> None:
    s = attestlab_factory.provision(
        Platform.IOS,
        Intune,
        configuration=lambda secret: parse_intune_ios_xml(IOS_XML.replace(SECRET, secret).encode(), name="okta.xml"),
    )
    delivered = s.device.config_for("com.okta.mobile")

    assert delivered["userPrincipalName"] == s.device.identity.user_email
    assert delivered["nested"] == AppConfig({"level": 2})
    assert delivered["hosts"] == ("a.example.com", "b.example.com")
    assert delivered["bundles"] == [AppConfig({"n": 1})]
    assert s.chain.sign_in().outcome is Outcome.MANAGED


# -- lookups and tokens -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{EnrollmentUser}", "ada.lovelace"),
        ("{EmailAddress}", "ada.lovelace@example.com"),
        ("{UserPrincipalName}", "ada.lovelace@example.com"),
        ("{DeviceSerialNumber}", "38121FDJH00B4K"),
        ("{DeviceUid}", "9774d56d682e549c"),
        ("{CustomAttribute1}", "finance"),
        ("{CustomAttribute3}", "{CustomAttribute3}"),  # unknown: arrives as literal text
        ("{enrollmentuser}", "{enrollmentuser}"),  # lookup names are case-sensitive
        ("{{EnrollmentUser}}", "{{EnrollmentUser}}"),  # Intune syntax means nothing to WS1
        ("pre-{DeviceUid}-{EnrollmentUser}-post", "pre-9774d56d682e549c-ada.lovelace-post"),
        ("no placeholders", "no placeholders"),
    ],
)
def test_ws1_lookups(template: str, expected: str) -> None:
    values = ws1_values(IDENTITY, {"CustomAttribute1": "finance"})

    assert substitute(template, WS1_LOOKUP, values) == expected


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{{userprincipalname}}", "ada.lovelace@example.com"),
        ("{{mail}}", "ada.lovelace@example.com"),
        ("{{partialupn}}", "ada.lovelace"),
        ("{{username}}", "ada.lovelace"),
        ("{{deviceid}}", "9774d56d682e549c"),
        ("{{serialnumber}}", "38121FDJH00B4K"),
        ("{{devicename}}", "Ada's Pixel 8"),
        ("{{costcenter}}", "4711"),  # an extra token, given in any case
        ("{{unknowntoken}}", "{{unknowntoken}}"),
        ("{DeviceUid}", "{DeviceUid}"),  # WS1 syntax means nothing to Intune
        ("{{mail}}/{{deviceid}}", "ada.lovelace@example.com/9774d56d682e549c"),
    ],
)
def test_intune_tokens(template: str, expected: str) -> None:
    values = intune_values(IDENTITY, {"CostCenter": "4711"})

    assert substitute(template, INTUNE_TOKEN, values) == expected


def test_empty_identity_fields_stay_unresolved() -> None:
    anonymous = Identity("iPhone15,2", "Apple", "18.1", "F2LXK0ZZHG7F", "00008110-0001", "iPhone")

    assert substitute("{EnrollmentUser}", WS1_LOOKUP, ws1_values(anonymous)) == "{EnrollmentUser}"
    assert substitute("{{mail}}", INTUNE_TOKEN, intune_values(anonymous)) == "{{mail}}"


@pytest.mark.parametrize(
    ("value", "found"),
    [
        ("{CustomAttribute3}", ["{CustomAttribute3}"]),
        ("{{unknowntoken}}", ["{{unknowntoken}}"]),
        ("a{{x}}b{Y}c", ["{{x}}", "{Y}"]),
        (SECRET, []),
        ("{}", []),
        ("{1abc}", []),
        ("{{{x}}}", ["{{x}}"]),
    ],
)
def test_find_unresolved(value: str, found: list[str]) -> None:
    assert find_unresolved(value) == found


def test_custom_values_resolve_per_emm(attestlab_factory: Factory, platform: Platform) -> None:
    s = attestlab_factory.provision(
        platform,
        WorkspaceOne,
        configuration=lambda _: {MANAGEMENT_HINT: "{CustomAttribute3}"},
        custom_values={"CustomAttribute3": "attr-value-3"},
    )

    assert s.chain.agents[0].management_hint() == "attr-value-3"


# -- EMM settings -----------------------------------------------------------------------------


def test_repush_replaces_the_whole_bundle(attestlab_factory: Factory, platform: Platform) -> None:
    """``setApplicationRestrictions`` / a new ``Settings`` command replace, they do not merge."""
    s = attestlab_factory.provision(
        platform, Intune, configuration=lambda secret: {MANAGEMENT_HINT: secret, "extra": "x"}
    )

    s.emm.configuration = {"other": "y"}
    s.emm.push(s.device)

    assert dict(s.chain.agents[0].managed_config()) == {"other": "y"}


def test_ws1_ios_send_configuration_off(attestlab_factory: Factory) -> None:
    s = attestlab_factory.provision(Platform.IOS, WorkspaceOne, send_configuration=False)

    assert s.device.managed_config == {}
    assert s.chain.sign_in().reason is Reason.NO_HINT


def test_ws1_android_ignores_the_ios_send_configuration_switch(attestlab_factory: Factory) -> None:
    s = attestlab_factory.provision(Platform.ANDROID, WorkspaceOne, send_configuration=False)

    assert s.chain.sign_in().outcome is Outcome.MANAGED


def test_emm_enrollment_marks_the_device(attestlab_factory: Factory, platform: Platform, emm_cls: Any) -> None:
    s = attestlab_factory.provision(platform, emm_cls)

    if platform is Platform.ANDROID:
        work = s.device.work_profile
        assert work is not None and work.profile_owner == s.emm.android_dpc
        assert work.id == 10 and work.is_managed_profile
    else:
        assert s.device.mdm_enrolled
        assert s.device.sso_extension() is not None


# -- Android device modes, controllers, paused profiles (issue 8) -----------------------------


def test_intune_personally_owned_work_profile_is_run_by_company_portal(attestlab_factory: Factory) -> None:
    s = attestlab_factory.provision(Platform.ANDROID, Intune)

    work = s.device.work_profile
    assert work is not None and work.profile_owner == COMPANY_PORTAL
    assert s.device.device_owner is None


@pytest.mark.parametrize("emm_cls", [Intune, WorkspaceOne])
def test_fully_managed_device_manages_okta_verify_in_user_0(attestlab_factory: Factory, emm_cls: Any) -> None:
    s = attestlab_factory.provision(Platform.ANDROID, emm_cls, android_mode=AndroidMode.FULLY_MANAGED)

    assert s.device.work_profile is None
    assert s.device.device_owner == s.emm.android_controller(AndroidMode.FULLY_MANAGED)
    assert [u.id for u in s.device.users_with(OKTA_VERIFY_ANDROID)] == [0]
    assert s.device.restrictions_for(0, OKTA_VERIFY_ANDROID)[MANAGEMENT_HINT] == s.secret.reveal()
    decision = s.chain.sign_in()
    assert decision.outcome is Outcome.MANAGED
    if emm_cls is Intune:
        assert s.device.device_owner == ANDROID_DEVICE_POLICY


def test_fully_managed_without_hint_is_no_hint_not_wrong_profile(attestlab_factory: Factory) -> None:
    s = attestlab_factory.provision(
        Platform.ANDROID, Intune, android_mode=AndroidMode.FULLY_MANAGED, configuration=lambda _: {}
    )

    assert s.chain.sign_in().reason is Reason.NO_HINT


@pytest.mark.parametrize(("release", "device_owner"), [("10", True), ("14", False)])
def test_cope_has_a_device_owner_only_before_android_11(
    attestlab_factory: Factory, release: str, device_owner: bool
) -> None:
    """Android 8-10 COPE: device owner plus work profile; from 11, an organization-owned work
    profile without a device owner (AOSP OwnersData ``isPoOrganizationOwnedDevice``)."""

    def set_release(device: Any) -> None:
        device.identity.os_version, device.identity.sdk = release, {"10": 29, "14": 34}[release]

    s = attestlab_factory.provision(Platform.ANDROID, WorkspaceOne, android_mode=AndroidMode.COPE, prepare=set_release)

    assert s.device.work_profile is not None
    assert (s.device.device_owner is not None) is device_owner
    assert [u.id for u in s.device.users_with(OKTA_VERIFY_ANDROID)] == [s.device.work_profile.id]
    assert s.chain.sign_in().outcome is Outcome.MANAGED


def test_paused_work_profile_cannot_answer_until_work_apps_are_on(attestlab_factory: Factory) -> None:
    s = attestlab_factory.provision(Platform.ANDROID, Intune)
    assert s.chain.sign_in().outcome is Outcome.MANAGED

    profile = s.device.pause_work_profile()
    assert profile.paused and not profile.running and profile.flags & FLAG_QUIET_MODE
    paused = s.chain.sign_in()
    assert paused.outcome is Outcome.NOT_MANAGED
    assert paused.reason is Reason.APP_NOT_INSTALLED  # the personal browser finds no Okta Verify

    s.device.pause_work_profile(False)
    assert s.chain.sign_in().outcome is Outcome.MANAGED


def test_ws1_managed_access_does_not_gate_the_configuration(attestlab_factory: Factory) -> None:
    s = attestlab_factory.provision(Platform.ANDROID, WorkspaceOne, managed_access=False)

    assert s.device.restrictions_for(10, OKTA_VERIFY_ANDROID)[MANAGEMENT_HINT] == s.secret.reveal()


# -- iOS User Enrollment ------------------------------------------------------------------------


@pytest.mark.parametrize("emm_cls", [Intune, WorkspaceOne])
def test_user_enrollment_never_takes_over_a_user_installed_app(attestlab_factory: Factory, emm_cls: Any) -> None:
    s = attestlab_factory.provision(
        Platform.IOS,
        emm_cls,
        user_enrollment=True,
        prepare=lambda device: device.install(OKTA_VERIFY_IOS, AppOrigin.USER),
    )

    assert s.device.user_enrollment
    app = s.device.app(OKTA_VERIFY_IOS)
    assert app is not None and app.origin is AppOrigin.USER
    assert s.device.config_for(OKTA_VERIFY_IOS) == {}
    assert s.chain.sign_in().reason is Reason.APP_NOT_MANAGED


@pytest.mark.parametrize(("emm_cls", "lookup"), [(WorkspaceOne, "{DeviceSerialNumber}"), (Intune, "{{deviceid}}")])
def test_user_enrollment_leaves_serial_and_udid_lookups_unresolved(
    attestlab_factory: Factory, emm_cls: Any, lookup: str
) -> None:
    s = attestlab_factory.provision(
        Platform.IOS, emm_cls, user_enrollment=True, configuration=lambda _: {MANAGEMENT_HINT: lookup}
    )

    assert s.device.config_for(OKTA_VERIFY_IOS)[MANAGEMENT_HINT] == lookup
    assert find_unresolved(lookup) == [lookup]


def test_declaratively_managed_app_is_managed_but_absent_from_the_mdm_app_list(attestlab_factory: Factory) -> None:
    s = attestlab_factory.provision(Platform.IOS, WorkspaceOne, ios=IOSAppSettings(declarative=True))

    app = s.device.app(OKTA_VERIFY_IOS)
    assert app is not None and app.origin is AppOrigin.DECLARATIVE and app.managed
    assert s.chain.sign_in().outcome is Outcome.MANAGED
    assert OKTA_VERIFY_IOS not in managed_application_list_answer(s.device)["ManagedApplicationList"]
    profiles = parse_mdm_profile_list(plistlib.dumps(mdm_profile_list_answer(s.device)), name="ProfileList")
    assert any(p.declarative for p in profiles)
