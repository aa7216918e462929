"""The iOS answer parsers: real answer shapes in both plist encodings, round trips, hostile input.

The hand-written samples are written as the device (lockdown, installation_proxy, MCInstall) and
an MDM server print them: Apple's XML plist layout, the keys the real answers carry, including
the ones attestlab ignores. Binary variants are the same objects re-encoded as ``bplist00``.
"""

from __future__ import annotations

import datetime
import plistlib
import struct
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.errors import ParseError
from harness.parsers import ios_plists as ios
from simulator.appconfig import AppConfig
from simulator.device import AppOrigin, Identity, IOSApp, IOSDevice, IOSProfile, SSOExtension
from simulator.ids import (
    IOS_PREFERENCE_DOMAINS,
    OKTA_VERIFY_IOS,
    PAYLOAD_EXTENSIBLE_SSO,
    PAYLOAD_MDM,
)
from tests.helpers import dotted, examples, one_line, words

SECRET = "3zr7Q~vw4C16FS2bH8UfS1gJ5cL6sj~x_U9PQ"
NAME = "captures/ipad-7/mdm.answer.plist"

Parser = Callable[..., Any]

HEADER = b"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
"""

LOCKDOWN_XML = (
    HEADER
    + """<dict>
	<key>ActivationState</key>
	<string>Activated</string>
	<key>BasebandVersion</key>
	<string>3.60.02</string>
	<key>BluetoothAddress</key>
	<string>a4:c3:37:1e:52:9b</string>
	<key>BuildVersion</key>
	<string>21G93</string>
	<key>CPUArchitecture</key>
	<string>arm64e</string>
	<key>ChipID</key>
	<integer>33040</integer>
	<key>DeviceClass</key>
	<string>iPhone</string>
	<key>DeviceColor</key>
	<string>1</string>
	<key>DeviceName</key>
	<string>Ana’s iPhone</string>
	<key>HardwareModel</key>
	<string>D27AP</string>
	<key>NonVolatileRAM</key>
	<dict>
		<key>auto-boot</key>
		<data>dHJ1ZQ==</data>
	</dict>
	<key>PasswordProtected</key>
	<true/>
	<key>ProductName</key>
	<string>iPhone OS</string>
	<key>ProductType</key>
	<string>iPhone14,5</string>
	<key>ProductVersion</key>
	<string>17.6.1</string>
	<key>SerialNumber</key>
	<string>F2LXK0Q9N7</string>
	<key>TimeZone</key>
	<string>Europe/Berlin</string>
	<key>UniqueChipID</key>
	<integer>7424398129610782</integer>
	<key>UniqueDeviceID</key>
	<string>00008110-001A6C2E3C98801E</string>
	<key>WiFiAddress</key>
	<string>a4:c3:37:1e:52:9a</string>
</dict>
</plist>
""".encode()
)

BROWSE_XML = (
    HEADER
    + b"""<array>
	<dict>
		<key>ApplicationType</key>
		<string>System</string>
		<key>CFBundleDisplayName</key>
		<string>Safari</string>
		<key>CFBundleExecutable</key>
		<string>MobileSafari</string>
		<key>CFBundleIdentifier</key>
		<string>com.apple.mobilesafari</string>
		<key>CFBundleName</key>
		<string>Safari</string>
		<key>CFBundleShortVersionString</key>
		<string>17.6</string>
		<key>CFBundleVersion</key>
		<string>8619.3.2.10.3</string>
		<key>Path</key>
		<string>/Applications/MobileSafari.app</string>
	</dict>
	<dict>
		<key>ApplicationType</key>
		<string>System</string>
		<key>CFBundleIdentifier</key>
		<string>com.apple.webapp</string>
		<key>CFBundleName</key>
		<string>Web</string>
		<key>CFBundleVersion</key>
		<string>1.0</string>
	</dict>
	<dict>
		<key>ApplicationType</key>
		<string>User</string>
		<key>CFBundleDisplayName</key>
		<string>Okta Verify</string>
		<key>CFBundleExecutable</key>
		<string>OktaVerify</string>
		<key>CFBundleIdentifier</key>
		<string>com.okta.mobile</string>
		<key>CFBundleName</key>
		<string>OktaVerify</string>
		<key>CFBundleShortVersionString</key>
		<string>9.31.0</string>
		<key>CFBundleVersion</key>
		<string>2</string>
		<key>Container</key>
		<string>/private/var/mobile/Containers/Data/Application/6C1F2A4E-9D3B-4F1A-8E2B-7A5C0D9E1F34</string>
		<key>Entitlements</key>
		<dict>
			<key>application-identifier</key>
			<string>B7F62B65BN.com.okta.mobile</string>
			<key>com.apple.developer.team-identifier</key>
			<string>B7F62B65BN</string>
			<key>keychain-access-groups</key>
			<array>
				<string>B7F62B65BN.com.okta.mobile</string>
			</array>
		</dict>
		<key>Path</key>
		<string>/private/var/containers/Bundle/Application/0B7E4C1D-2F3A-4B5C-9D8E-1A2B3C4D5E6F/OktaVerify.app</string>
		<key>SignerIdentity</key>
		<string>Apple iPhone OS Application Signing</string>
		<key>iTunesMetadata</key>
		<data>
		YnBsaXN0MDDVAQIDBAUGBwgJClphcnRpc3ROYW1lXWJ1bmRsZVZlcnNpb25WaXRlbUlk
		WGl0ZW1OYW1lXxAXc29mdHdhcmVWZXJzaW9uQnVuZGxlSWRaT2t0YSwgSW5jLlU5LjEu
		MBIdN4tNW09rdGEgVmVyaWZ5XxAPY29tLm9rdGEubW9iaWxlCBMeLDM8VmFnbHgAAAAA
		AAABAQAAAAAAAAALAAAAAAAAAAAAAAAAAAAAig==
		</data>
	</dict>
</array>
</plist>
"""
)

GET_PROFILE_LIST_XML = (
    HEADER
    + b"""<dict>
	<key>OrderedIdentifiers</key>
	<array>
		<string>com.air-watch.mdm.3F6C2B1E</string>
		<string>com.example.okta.sso</string>
	</array>
	<key>ProfileManifest</key>
	<dict>
		<key>com.air-watch.mdm.3F6C2B1E</key>
		<dict>
			<key>Description</key>
			<string>Workspace ONE MDM Profile</string>
			<key>IsActive</key>
			<true/>
		</dict>
		<key>com.example.okta.sso</key>
		<dict>
			<key>Description</key>
			<string>Okta Device Trust SSO</string>
			<key>IsActive</key>
			<true/>
		</dict>
	</dict>
	<key>ProfileMetadata</key>
	<dict>
		<key>com.air-watch.mdm.3F6C2B1E</key>
		<dict>
			<key>PayloadDescription</key>
			<string>Enrolls the device in Workspace ONE UEM</string>
			<key>PayloadDisplayName</key>
			<string>Workspace ONE MDM Profile</string>
			<key>PayloadOrganization</key>
			<string>Example Corp</string>
			<key>PayloadRemovalDisallowed</key>
			<false/>
			<key>PayloadUUID</key>
			<string>3F6C2B1E-8A4D-4E2F-9B7C-1D0E5A6F7B8C</string>
			<key>PayloadVersion</key>
			<integer>1</integer>
		</dict>
		<key>com.example.okta.sso</key>
		<dict>
			<key>PayloadDisplayName</key>
			<string>Okta Device Trust SSO</string>
			<key>PayloadRemovalDisallowed</key>
			<true/>
			<key>PayloadUUID</key>
			<string>9A8B7C6D-5E4F-4A3B-8C2D-1E0F9A8B7C6D</string>
			<key>PayloadVersion</key>
			<integer>1</integer>
		</dict>
	</dict>
	<key>Status</key>
	<string>Acknowledged</string>
</dict>
</plist>
"""
)

CLOUD_SUPERVISED_XML = (
    HEADER
    + b"""<dict>
	<key>AllowPairing</key>
	<true/>
	<key>CloudConfigurationUIComplete</key>
	<true/>
	<key>ConfigurationSource</key>
	<integer>2</integer>
	<key>ConfigurationWasApplied</key>
	<true/>
	<key>IsMDMUnremovable</key>
	<false/>
	<key>IsMandatory</key>
	<true/>
	<key>IsMultiUser</key>
	<false/>
	<key>IsSupervised</key>
	<true/>
	<key>OrganizationName</key>
	<string>Example Corp</string>
	<key>PostSetupProfileWasInstalled</key>
	<true/>
	<key>SkipSetup</key>
	<array>
		<string>Location</string>
		<string>Siri</string>
		<string>ScreenTime</string>
	</array>
</dict>
</plist>
"""
)

CLOUD_UNSUPERVISED_XML = (
    HEADER
    + b"""<dict>
	<key>AllowPairing</key>
	<true/>
	<key>CloudConfigurationUIComplete</key>
	<true/>
	<key>ConfigurationSource</key>
	<integer>0</integer>
	<key>IsSupervised</key>
	<false/>
	<key>PostSetupProfileWasInstalled</key>
	<false/>
</dict>
</plist>
"""
)

CLOUD_RAW_MCINSTALL_XML = (
    HEADER
    + b"""<dict>
	<key>CloudConfiguration</key>
	<dict>
		<key>AllowPairing</key>
		<true/>
		<key>IsSupervised</key>
		<true/>
	</dict>
	<key>Status</key>
	<string>Acknowledged</string>
</dict>
</plist>
"""
)

MDM_PROFILE_LIST_XML = (
    HEADER
    + b"""<dict>
	<key>CommandUUID</key>
	<string>0001_ProfileList_5E2A</string>
	<key>ProfileList</key>
	<array>
		<dict>
			<key>HasRemovalPasscode</key>
			<false/>
			<key>IsEncrypted</key>
			<false/>
			<key>IsManaged</key>
			<true/>
			<key>PayloadContent</key>
			<array>
				<dict>
					<key>PayloadDisplayName</key>
					<string>Mobile Device Management</string>
					<key>PayloadIdentifier</key>
					<string>com.air-watch.mdm.payload</string>
					<key>PayloadType</key>
					<string>com.apple.mdm</string>
					<key>PayloadUUID</key>
					<string>5C1D2E3F-4A5B-4C6D-8E7F-9A0B1C2D3E4F</string>
					<key>PayloadVersion</key>
					<integer>1</integer>
				</dict>
				<dict>
					<key>PayloadDisplayName</key>
					<string>SCEP Identity</string>
					<key>PayloadIdentifier</key>
					<string>com.air-watch.mdm.scep</string>
					<key>PayloadType</key>
					<string>com.apple.security.scep</string>
					<key>PayloadUUID</key>
					<string>6D2E3F4A-5B6C-4D7E-9F8A-0B1C2D3E4F5A</string>
					<key>PayloadVersion</key>
					<integer>1</integer>
				</dict>
			</array>
			<key>PayloadDescription</key>
			<string>Enrolls the device in Workspace ONE UEM</string>
			<key>PayloadDisplayName</key>
			<string>Workspace ONE MDM Profile</string>
			<key>PayloadIdentifier</key>
			<string>com.air-watch.mdm.3F6C2B1E</string>
			<key>PayloadOrganization</key>
			<string>Example Corp</string>
			<key>PayloadRemovalDisallowed</key>
			<false/>
			<key>PayloadUUID</key>
			<string>3F6C2B1E-8A4D-4E2F-9B7C-1D0E5A6F7B8C</string>
			<key>PayloadVersion</key>
			<integer>1</integer>
			<key>SignerCertificates</key>
			<array>
				<data>AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4v</data>
			</array>
		</dict>
		<dict>
			<key>IsManaged</key>
			<true/>
			<key>PayloadContent</key>
			<array>
				<dict>
					<key>PayloadDisplayName</key>
					<string>Single Sign-On Extensions</string>
					<key>PayloadIdentifier</key>
					<string>com.apple.extensiblesso.9A8B7C6D</string>
					<key>PayloadType</key>
					<string>com.apple.extensiblesso</string>
					<key>PayloadUUID</key>
					<string>7E3F4A5B-6C7D-4E8F-8A9B-1C2D3E4F5A6B</string>
					<key>PayloadVersion</key>
					<integer>1</integer>
				</dict>
			</array>
			<key>PayloadDisplayName</key>
			<string>Okta Device Trust SSO</string>
			<key>PayloadIdentifier</key>
			<string>com.example.okta.sso</string>
			<key>PayloadRemovalDisallowed</key>
			<true/>
			<key>PayloadUUID</key>
			<string>9A8B7C6D-5E4F-4A3B-8C2D-1E0F9A8B7C6D</string>
			<key>PayloadVersion</key>
			<integer>1</integer>
		</dict>
		<dict>
			<key>IsManaged</key>
			<false/>
			<key>PayloadContent</key>
			<array>
				<dict>
					<key>PayloadIdentifier</key>
					<string>com.apple.wifi.managed.2B3C4D5E</string>
					<key>PayloadType</key>
					<string>com.apple.wifi.managed</string>
					<key>PayloadUUID</key>
					<string>2B3C4D5E-6F7A-4B8C-9D0E-1F2A3B4C5D6E</string>
					<key>PayloadVersion</key>
					<integer>1</integer>
				</dict>
			</array>
			<key>PayloadDisplayName</key>
			<string>Home Wi-Fi</string>
			<key>PayloadIdentifier</key>
			<string>Anas-MacBook.2B3C4D5E</string>
			<key>PayloadUUID</key>
			<string>8F9A0B1C-2D3E-4F5A-8B6C-7D8E9F0A1B2C</string>
			<key>PayloadVersion</key>
			<integer>1</integer>
		</dict>
		<dict>
			<key>IsEncrypted</key>
			<true/>
			<key>IsManaged</key>
			<true/>
			<key>PayloadIdentifier</key>
			<string>com.air-watch.vpn.encrypted</string>
			<key>PayloadUUID</key>
			<string>4D5E6F7A-8B9C-4D0E-9F1A-2B3C4D5E6F7A</string>
			<key>PayloadVersion</key>
			<integer>1</integer>
		</dict>
	</array>
	<key>Status</key>
	<string>Acknowledged</string>
	<key>UDID</key>
	<string>00008110-001A6C2E3C98801E</string>
</dict>
</plist>
"""
)

MANAGED_APP_LIST_XML = (
    HEADER
    + b"""<dict>
	<key>CommandUUID</key>
	<string>0002_ManagedApplicationList_77C1</string>
	<key>ManagedApplicationList</key>
	<dict>
		<key>com.okta.mobile</key>
		<dict>
			<key>ExternalVersionIdentifier</key>
			<integer>867812345</integer>
			<key>HasConfiguration</key>
			<true/>
			<key>HasFeedback</key>
			<false/>
			<key>IsValidated</key>
			<true/>
			<key>ManagementFlags</key>
			<integer>1</integer>
			<key>Status</key>
			<string>Managed</string>
		</dict>
		<key>com.microsoft.Office.Outlook</key>
		<dict>
			<key>HasConfiguration</key>
			<false/>
			<key>HasFeedback</key>
			<false/>
			<key>IsValidated</key>
			<true/>
			<key>ManagementFlags</key>
			<integer>0</integer>
			<key>Status</key>
			<string>UserInstalledApp</string>
		</dict>
		<key>com.example.expenses</key>
		<dict>
			<key>ManagementFlags</key>
			<integer>0</integer>
			<key>Status</key>
			<string>ManagementRejected</string>
		</dict>
		<key>com.airwatch.vmworkspace</key>
		<dict>
			<key>ManagementFlags</key>
			<integer>5</integer>
			<key>Status</key>
			<string>NeedsRedemption</string>
			<key>UnusedRedemptionCode</key>
			<string></string>
		</dict>
	</dict>
	<key>Status</key>
	<string>Acknowledged</string>
	<key>UDID</key>
	<string>00008110-001A6C2E3C98801E</string>
</dict>
</plist>
"""
)

MANAGED_APP_CONFIG_XML = (
    HEADER
    + f"""<dict>
	<key>ApplicationConfigurations</key>
	<array>
		<dict>
			<key>Configuration</key>
			<dict>
				<key>OktaVerify.OrgUrl</key>
				<string>https://example.okta.com</string>
				<key>allowedHosts</key>
				<array>
					<string>example.okta.com</string>
					<string>login.example.com</string>
				</array>
				<key>enrolledAt</key>
				<date>2026-01-05T10:00:00Z</date>
				<key>managementHint</key>
				<string>{SECRET}</string>
				<key>profiles</key>
				<array>
					<dict>
						<key>name</key>
						<string>default</string>
						<key>retries</key>
						<integer>3</integer>
					</dict>
				</array>
				<key>ratio</key>
				<real>0.75</real>
				<key>strict</key>
				<true/>
				<key>token</key>
				<data>AAECAwQF</data>
			</dict>
			<key>Identifier</key>
			<string>com.okta.mobile</string>
		</dict>
		<dict>
			<key>Identifier</key>
			<string>com.okta.mobile.auth-service-extension</string>
		</dict>
	</array>
	<key>CommandUUID</key>
	<string>0003_ManagedApplicationConfiguration_1A2B</string>
	<key>Status</key>
	<string>Acknowledged</string>
	<key>UDID</key>
	<string>00008110-001A6C2E3C98801E</string>
</dict>
</plist>
""".encode()
)

INTUNE_XML = f"""<dict>
  <key>managementHint</key>
  <string>{SECRET}</string>
  <key>OktaVerify.OrgUrl</key>
  <string>https://example.okta.com</string>
  <key>userPrincipalName</key>
  <string>{{{{userprincipalname}}}}</string>
  <key>serial</key>
  <string>{{{{serialnumber}}}}</string>
  <key>retries</key>
  <integer>3</integer>
  <key>ratio</key>
  <real>1.5</real>
  <key>strict</key>
  <true />
  <key>legacy</key>
  <false />
  <key>since</key>
  <date>2026-01-05T10:00:00Z</date>
  <key>hosts</key>
  <array>
    <string>example.okta.com</string>
  </array>
</dict>
""".encode()


def binary(xml: bytes) -> bytes:
    """The same answer as a device that speaks binary plists sends it."""
    return plistlib.dumps(plistlib.loads(xml), fmt=plistlib.FMT_BINARY)


def xml_of(value: Any) -> bytes:
    return plistlib.dumps(value, fmt=plistlib.FMT_XML)


ENCODINGS = pytest.mark.parametrize("encode", [lambda x: x, binary], ids=["xml", "binary"])


def fail(parser: Parser, data: bytes, *, name: str = NAME) -> str:
    """Parse, expect a ParseError, check the message rules, return the message."""
    message = one_line(ParseError, lambda: parser(data, name=name))
    assert message.startswith(f"{name}: ")
    assert SECRET[:10] not in message
    assert "SECRET" not in message
    return message


# ---------------------------------------------------------------------------------------------
# Real answers
# ---------------------------------------------------------------------------------------------


@ENCODINGS
def test_lockdown_values(encode: Callable[[bytes], bytes]) -> None:
    identity = ios.parse_lockdown_values(encode(LOCKDOWN_XML), name=NAME)
    assert identity == Identity(
        model="iPhone14,5",
        manufacturer="Apple",
        os_version="17.6.1",
        serial="F2LXK0Q9N7",
        udid="00008110-001A6C2E3C98801E",
        device_name="Ana’s iPhone",
    )


@ENCODINGS
def test_installed_apps(encode: Callable[[bytes], bytes]) -> None:
    apps = ios.parse_installed_apps(encode(BROWSE_XML), name=NAME)
    assert apps == {
        "com.apple.mobilesafari": ios.AppInfo("com.apple.mobilesafari", "17.6", "Safari"),
        "com.apple.webapp": ios.AppInfo("com.apple.webapp", "1.0", "Web"),
        OKTA_VERIFY_IOS: ios.AppInfo(OKTA_VERIFY_IOS, "9.31.0", "Okta Verify"),
    }


@ENCODINGS
def test_get_profile_list_gives_metadata_only(encode: Callable[[bytes], bytes]) -> None:
    profiles = ios.parse_profile_list(encode(GET_PROFILE_LIST_XML), name=NAME)
    assert profiles == [
        IOSProfile("com.air-watch.mdm.3F6C2B1E", "Workspace ONE MDM Profile", (), managed=False),
        IOSProfile("com.example.okta.sso", "Okta Device Trust SSO", (), managed=False),
    ]


@ENCODINGS
@pytest.mark.parametrize(
    ("sample", "supervised"),
    [
        (CLOUD_SUPERVISED_XML, True),
        (CLOUD_UNSUPERVISED_XML, False),
        (CLOUD_RAW_MCINSTALL_XML, True),
        (HEADER + b"<dict/></plist>", False),
    ],
    ids=["supervised", "unsupervised", "raw-mcinstall", "no-cloud-configuration"],
)
def test_cloud_configuration(encode: Callable[[bytes], bytes], sample: bytes, supervised: bool) -> None:
    assert ios.parse_cloud_configuration(encode(sample), name=NAME) is supervised


@ENCODINGS
def test_mdm_profile_list(encode: Callable[[bytes], bytes]) -> None:
    profiles = ios.parse_mdm_profile_list(encode(MDM_PROFILE_LIST_XML), name=NAME)
    assert [(p.identifier, p.display_name, p.payload_types, p.managed) for p in profiles] == [
        ("com.air-watch.mdm.3F6C2B1E", "Workspace ONE MDM Profile", (PAYLOAD_MDM, "com.apple.security.scep"), True),
        ("com.example.okta.sso", "Okta Device Trust SSO", (PAYLOAD_EXTENSIBLE_SSO,), True),
        ("Anas-MacBook.2B3C4D5E", "Home Wi-Fi", ("com.apple.wifi.managed",), False),
        ("com.air-watch.vpn.encrypted", "", (), True),
    ]
    # ProfileList names payload types only: what the extension is stays the model's default.
    assert [p.sso_extension for p in profiles] == [None, SSOExtension(data_known=False), None, None]
    device = IOSDevice(Identity("iPhone14,5", "Apple", "17.6.1", "S", "U", "D"), profiles=profiles)
    assert device.mdm_enrolled
    assert device.sso_extension() is not None


@ENCODINGS
def test_managed_application_list(encode: Callable[[bytes], bytes]) -> None:
    statuses = ios.parse_managed_application_list(encode(MANAGED_APP_LIST_XML), name=NAME)
    assert statuses == {
        OKTA_VERIFY_IOS: ios.ManagedAppStatus("Managed", 1, True, False, True, 867812345),
        "com.microsoft.Office.Outlook": ios.ManagedAppStatus("UserInstalledApp", 0, False, False, True),
        "com.example.expenses": ios.ManagedAppStatus("ManagementRejected"),
        "com.airwatch.vmworkspace": ios.ManagedAppStatus("NeedsRedemption", 5),
    }
    assert {bundle: ios.app_origin(s.status) for bundle, s in statuses.items()} == {
        OKTA_VERIFY_IOS: (AppOrigin.EMM, False),
        "com.microsoft.Office.Outlook": (AppOrigin.USER, False),
        "com.example.expenses": (AppOrigin.USER, True),
        "com.airwatch.vmworkspace": None,
    }


@ENCODINGS
def test_managed_application_configuration(encode: Callable[[bytes], bytes]) -> None:
    configs = ios.parse_managed_application_configuration(encode(MANAGED_APP_CONFIG_XML), name=NAME)
    assert list(configs) == [OKTA_VERIFY_IOS]  # the extension domain has no Configuration key
    config = configs[OKTA_VERIFY_IOS]
    assert config == AppConfig(
        {
            "OktaVerify.OrgUrl": "https://example.okta.com",
            "allowedHosts": ("example.okta.com", "login.example.com"),
            "enrolledAt": datetime.datetime(2026, 1, 5, 10, 0, 0),
            "managementHint": SECRET,
            "profiles": [AppConfig({"name": "default", "retries": 3})],
            "ratio": 0.75,
            "strict": True,
            "token": b"\x00\x01\x02\x03\x04\x05",
        }
    )
    assert isinstance(config["profiles"][0], AppConfig)
    assert SECRET not in repr(config)


def test_intune_ios_xml_bare_dict() -> None:
    config = ios.parse_intune_ios_xml(INTUNE_XML, name="intune.xml")
    assert config == AppConfig(
        {
            "managementHint": SECRET,
            "OktaVerify.OrgUrl": "https://example.okta.com",
            "userPrincipalName": "{{userprincipalname}}",
            "serial": "{{serialnumber}}",
            "retries": 3,
            "ratio": 1.5,
            "strict": True,
            "legacy": False,
            "since": datetime.datetime(2026, 1, 5, 10, 0, 0),
            "hosts": ("example.okta.com",),
        }
    )


def test_intune_ios_xml_inside_a_plist_document() -> None:
    body = f"<dict><key>managementHint</key><string>{SECRET}</string></dict>".encode()
    config = ios.parse_intune_ios_xml(HEADER + body + b"</plist>", name="intune.xml")
    assert config == AppConfig({"managementHint": SECRET})


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("Managed", (AppOrigin.EMM, False)),
        ("Updating", (AppOrigin.EMM, False)),
        ("UpdateRejected", (AppOrigin.EMM, False)),
        ("UserInstalledApp", (AppOrigin.USER, False)),
        ("PromptingForManagement", (AppOrigin.USER, False)),
        ("ManagementRejected", (AppOrigin.USER, True)),
        ("Queued", None),
        ("Installing", None),
        ("NeedsRedemption", None),
        ("ManagedButUninstalled", None),
        ("UserRejected", None),
        ("Failed", None),
        ("Unknown", None),
        ("SomethingFromiOS27", None),
    ],
)
def test_app_origin(status: str, expected: tuple[AppOrigin, bool] | None) -> None:
    assert ios.app_origin(status) == expected


# ---------------------------------------------------------------------------------------------
# Round trips: device -> answer -> plist bytes -> parser
# ---------------------------------------------------------------------------------------------

# XML 1.0 cannot carry control characters (plistlib refuses them) and turns "\r" into "\n".
TEXT = st.text(
    st.characters(blacklist_categories=("Cs", "Cc", "Cn"), whitelist_characters="\t\n"),
    max_size=12,
)
_LOWER = "abcdefghijklmnopqrstuvwxyz"
# [a-z]{2,6}(\.[a-z0-9-]{1,8}){1,3}
BUNDLE_IDS = dotted(
    words(_LOWER, _LOWER, min_rest=1, max_rest=5),
    words(_LOWER + "0123456789-", _LOWER + "0123456789-", max_rest=7),
    1,
    3,
)
LEAVES = st.one_of(
    TEXT,
    st.booleans(),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=False),
    st.binary(max_size=16),
    st.datetimes(datetime.datetime(1900, 1, 1), datetime.datetime(2100, 1, 1)).map(lambda d: d.replace(microsecond=0)),
)


def unique_dicts(
    keys: st.SearchStrategy[Any], values: st.SearchStrategy[Any], max_size: int
) -> st.SearchStrategy[dict[Any, Any]]:
    """Dicts from lists of pairs: keys unique by construction (``st.dictionaries`` redraws a key
    already taken, and that retrying was much of these tests' time)."""
    return st.lists(st.tuples(keys, values), max_size=max_size).map(dict)


def config_values(depth: int = 3) -> st.SearchStrategy[Any]:
    """Plist values up to ``depth`` containers deep, built level by level (``st.recursive``
    retries every draw past its leaf limit)."""
    values: st.SearchStrategy[Any] = LEAVES
    for _ in range(depth):
        inner = unique_dicts(TEXT, values, max_size=3)
        values = st.one_of(LEAVES, st.lists(TEXT, max_size=3), st.lists(inner, min_size=1, max_size=3), inner)
    return values


CONFIGS = unique_dicts(TEXT, config_values(), max_size=4).map(AppConfig)
PROFILES = st.builds(
    IOSProfile,
    identifier=BUNDLE_IDS,
    display_name=TEXT,
    payload_types=st.lists(
        st.sampled_from([PAYLOAD_MDM, PAYLOAD_EXTENSIBLE_SSO, "com.apple.security.scep", "com.apple.wifi.managed"]),
        max_size=3,
    ).map(tuple),
    managed=st.booleans(),
)


MANAGED_CONFIGS = unique_dicts(st.sampled_from(IOS_PREFERENCE_DOMAINS) | BUNDLE_IDS, CONFIGS, max_size=6)
NO_CONFIG: st.SearchStrategy[dict[str, AppConfig]] = st.just({})


@st.composite
def devices(draw: st.DrawFn, managed_config: st.SearchStrategy[dict[str, AppConfig]] = NO_CONFIG) -> IOSDevice:
    identity = Identity(
        model=draw(st.sampled_from(["iPhone14,5", "iPhone15,2", "iPhone16,1"])),
        manufacturer="Apple",
        os_version=draw(st.sampled_from(["16.7.10", "17.6.1", "18.5"])),
        serial=draw(TEXT),
        udid=draw(TEXT),
        device_name=draw(TEXT),
    )
    apps = draw(unique_dicts(BUNDLE_IDS, st.tuples(TEXT, st.sampled_from(AppOrigin), st.booleans()), max_size=6))
    device = IOSDevice(
        identity,
        apps={b: IOSApp(b, version, origin, rejected) for b, (version, origin, rejected) in apps.items()},
        managed_config=draw(managed_config),
        supervised=draw(st.booleans()),
    )
    # One profile per identifier, the last drawn winning (unique by construction, no redraws).
    for profile in draw(st.lists(PROFILES, max_size=4).map(lambda drawn: {p.identifier: p for p in drawn}.values())):
        device.install_profile(profile)
    return device


FORMATS = st.sampled_from([plistlib.FMT_XML, plistlib.FMT_BINARY])


@settings(max_examples=examples(40))
@given(devices(), FORMATS)
def test_round_trip_device_facts(device: IOSDevice, fmt: plistlib.PlistFormat) -> None:
    def through(answer: Any) -> bytes:
        return plistlib.dumps(answer, fmt=fmt)

    assert ios.parse_lockdown_values(through(ios.lockdown_answer(device)), name=NAME) == device.identity
    apps = ios.parse_installed_apps(through(ios.installed_apps_answer(device)), name=NAME)
    assert {b: a.version for b, a in apps.items()} == {b: a.version for b, a in device.apps.items()}
    assert (
        ios.parse_cloud_configuration(through(ios.cloud_configuration_answer(device)), name=NAME) is device.supervised
    )
    listed = ios.parse_profile_list(through(ios.profile_list_answer(device)), name=NAME)
    assert [(p.identifier, p.display_name) for p in listed] == [(p.identifier, p.display_name) for p in device.profiles]


@pytest.mark.slow
@settings(max_examples=examples(40))
@given(devices(MANAGED_CONFIGS), FORMATS)
def test_round_trip_mdm_facts(device: IOSDevice, fmt: plistlib.PlistFormat) -> None:
    def through(answer: Any) -> bytes:
        return plistlib.dumps(answer, fmt=fmt)

    profiles = ios.parse_mdm_profile_list(through(ios.mdm_profile_list_answer(device)), name=NAME)
    assert [(p.identifier, p.display_name, p.payload_types, p.managed) for p in profiles] == [
        (p.identifier, p.display_name, p.payload_types, p.managed) for p in device.profiles
    ]
    assert [p.sso_extension is not None for p in profiles] == [
        PAYLOAD_EXTENSIBLE_SSO in p.payload_types for p in device.profiles
    ]

    statuses = ios.parse_managed_application_list(through(ios.managed_application_list_answer(device)), name=NAME)
    # Apps that declarative device management manages are left out of ManagedApplicationList.
    listed = {b: a for b, a in device.apps.items() if a.origin is not AppOrigin.DECLARATIVE}
    assert set(statuses) == set(listed)
    for bundle_id, app in listed.items():
        expected = (AppOrigin.EMM, False) if app.managed else (AppOrigin.USER, app.management_rejected)
        assert ios.app_origin(statuses[bundle_id].status) == expected
        assert statuses[bundle_id].has_configuration == (app.managed and bundle_id in device.managed_config)

    asked = list(dict.fromkeys([*IOS_PREFERENCE_DOMAINS, *device.managed_config]))
    configs = ios.parse_managed_application_configuration(
        through(ios.managed_application_configuration_answer(device, asked)), name=NAME
    )
    assert {k: v.to_plain() for k, v in configs.items()} == {k: v.to_plain() for k, v in device.managed_config.items()}


def test_builders_are_deterministic() -> None:
    device = IOSDevice(Identity("iPhone15,2", "Apple", "18.1", "F2LXK0Q9N7", "00008120-AB", "D"))
    device.install_profile(IOSProfile("com.example.mdm", "MDM", (PAYLOAD_MDM,)))
    assert ios.mdm_profile_list_answer(device) == ios.mdm_profile_list_answer(device)
    assert ios.profile_list_answer(device)["ProfileMetadata"]["com.example.mdm"]["PayloadUUID"].isupper()


# ---------------------------------------------------------------------------------------------
# Wrong shapes
# ---------------------------------------------------------------------------------------------


def mutated(sample: bytes, change: Callable[[Any], None]) -> bytes:
    answer = plistlib.loads(sample)
    change(answer)
    return xml_of(answer)


def _set(path: tuple[Any, ...], value: Any) -> Callable[[Any], None]:
    def change(answer: Any) -> None:
        for step in path[:-1]:
            answer = answer[step]
        answer[path[-1]] = value

    return change


def _delete(*path: Any) -> Callable[[Any], None]:
    def change(answer: Any) -> None:
        for step in path[:-1]:
            answer = answer[step]
        del answer[path[-1]]

    return change


WRONG_SHAPES = [
    (ios.parse_lockdown_values, LOCKDOWN_XML, _delete("ProductType"), "missing key ProductType at top level"),
    (
        ios.parse_lockdown_values,
        LOCKDOWN_XML,
        _set(("ProductVersion",), 17),
        "expected string, got integer at ProductVersion",
    ),
    (ios.parse_installed_apps, BROWSE_XML, _delete(2, "CFBundleIdentifier"), "missing key CFBundleIdentifier at [2]"),
    (
        ios.parse_installed_apps,
        BROWSE_XML,
        _set((1, "CFBundleIdentifier"), "com.apple.mobilesafari"),
        "duplicate CFBundleIdentifier com.apple.mobilesafari at [1]",
    ),
    (
        ios.parse_installed_apps,
        BROWSE_XML,
        _set((0, "CFBundleShortVersionString"), 17.6),
        "expected string, got real at [0].CFBundleShortVersionString",
    ),
    (
        ios.parse_profile_list,
        GET_PROFILE_LIST_XML,
        _delete("ProfileMetadata", "com.example.okta.sso"),
        "missing key com.example.okta.sso at ProfileMetadata",
    ),
    (
        ios.parse_profile_list,
        GET_PROFILE_LIST_XML,
        _set(("OrderedIdentifiers",), "x"),
        "expected array, got string at OrderedIdentifiers",
    ),
    (
        ios.parse_profile_list,
        GET_PROFILE_LIST_XML,
        _set(("OrderedIdentifiers", 1), 7),
        "expected string, got integer at OrderedIdentifiers[1]",
    ),
    (
        ios.parse_cloud_configuration,
        CLOUD_SUPERVISED_XML,
        _set(("IsSupervised",), "true"),
        "expected boolean, got string at IsSupervised",
    ),
    (
        ios.parse_cloud_configuration,
        CLOUD_RAW_MCINSTALL_XML,
        _set(("CloudConfiguration",), []),
        "expected dictionary, got array at CloudConfiguration",
    ),
    (
        ios.parse_mdm_profile_list,
        MDM_PROFILE_LIST_XML,
        _delete("ProfileList", 1, "PayloadContent", 0, "PayloadType"),
        "missing key PayloadType at ProfileList[1].PayloadContent[0]",
    ),
    (
        ios.parse_mdm_profile_list,
        MDM_PROFILE_LIST_XML,
        _set(("ProfileList", 0, "IsManaged"), 1),
        "expected boolean, got integer at ProfileList[0].IsManaged",
    ),
    (ios.parse_mdm_profile_list, MDM_PROFILE_LIST_XML, _delete("ProfileList"), "missing key ProfileList at top level"),
    (
        ios.parse_managed_application_list,
        MANAGED_APP_LIST_XML,
        _delete("ManagedApplicationList", "com.okta.mobile", "Status"),
        "missing key Status at ManagedApplicationList.com.okta.mobile",
    ),
    (
        ios.parse_managed_application_list,
        MANAGED_APP_LIST_XML,
        _set(("ManagedApplicationList", "com.okta.mobile", "ManagementFlags"), True),
        "expected integer, got boolean at ManagedApplicationList.com.okta.mobile.ManagementFlags",
    ),
    (
        ios.parse_managed_application_list,
        MANAGED_APP_LIST_XML,
        _set(("ManagedApplicationList",), []),
        "expected dictionary, got array at ManagedApplicationList",
    ),
    (
        ios.parse_managed_application_configuration,
        MANAGED_APP_CONFIG_XML,
        _set(("ApplicationConfigurations", 0, "Configuration"), SECRET),
        "expected dictionary, got string at ApplicationConfigurations[0].Configuration",
    ),
    (
        ios.parse_managed_application_configuration,
        MANAGED_APP_CONFIG_XML,
        _delete("ApplicationConfigurations", 1, "Identifier"),
        "missing key Identifier at ApplicationConfigurations[1]",
    ),
    (
        ios.parse_managed_application_configuration,
        MANAGED_APP_CONFIG_XML,
        _set(("ApplicationConfigurations", 1, "Identifier"), OKTA_VERIFY_IOS),
        "duplicate Identifier com.okta.mobile at ApplicationConfigurations[1]",
    ),
    (
        ios.parse_managed_application_configuration,
        MANAGED_APP_CONFIG_XML,
        _set(("ApplicationConfigurations", 0, "Configuration", "profiles"), [{"a": 1}, SECRET]),
        "array mixes dictionaries and other values at ApplicationConfigurations[0].Configuration.profiles",
    ),
    (
        ios.parse_managed_application_configuration,
        MANAGED_APP_CONFIG_XML,
        _set(("Status",), "Error"),
        "the command failed (Status Error) at top level",
    ),
    (
        ios.parse_managed_application_configuration,
        MANAGED_APP_CONFIG_XML,
        _set(("Status",), SECRET),
        "the command was not acknowledged (unexpected Status) at top level",
    ),
]


@pytest.mark.parametrize(
    ("parser", "sample", "change", "expected"),
    WRONG_SHAPES,
    ids=[f"{parser.__name__}-{i}" for i, (parser, *_) in enumerate(WRONG_SHAPES)],
)
def test_wrong_shape(parser: Parser, sample: bytes, change: Callable[[Any], None], expected: str) -> None:
    data = mutated(sample, change)
    assert fail(parser, data) == f"{NAME}: {expected}"
    assert fail(parser, binary(data)) == f"{NAME}: {expected}"


PLIST_PARSERS = [
    (ios.parse_lockdown_values, "dictionary"),
    (ios.parse_installed_apps, "array"),
    (ios.parse_profile_list, "dictionary"),
    (ios.parse_cloud_configuration, "dictionary"),
    (ios.parse_mdm_profile_list, "dictionary"),
    (ios.parse_managed_application_list, "dictionary"),
    (ios.parse_managed_application_configuration, "dictionary"),
]
ALL_PARSERS = [p for p, _ in PLIST_PARSERS] + [ios.parse_intune_ios_xml]


TOP_VALUES: dict[str, Any] = {"string": SECRET, "array": [SECRET], "dictionary": {"k": SECRET}, "integer": 7}


@pytest.mark.parametrize(
    ("parser", "kind", "top"),
    [(parser, kind, top) for parser, kind in PLIST_PARSERS for top in TOP_VALUES if top != kind],
)
def test_wrong_top_level_type(parser: Parser, kind: str, top: str) -> None:
    for data in (xml_of(TOP_VALUES[top]), plistlib.dumps(TOP_VALUES[top], fmt=plistlib.FMT_BINARY)):
        assert fail(parser, data) == f"{NAME}: expected {kind}, got {top} at top level"


def test_intune_refuses_a_root_that_is_not_a_dict() -> None:
    data = f"<array><string>{SECRET}</string></array>".encode()
    assert fail(ios.parse_intune_ios_xml, data) == f"{NAME}: expected dictionary, got array at top level"


# ---------------------------------------------------------------------------------------------
# Hostile and broken bytes
# ---------------------------------------------------------------------------------------------

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE plist [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<plist version="1.0"><dict><key>managementHint</key><string>&lol9;</string></dict></plist>
"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE plist [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<plist version="1.0"><dict><key>managementHint</key><string>&xxe;</string></dict></plist>
"""
PARAMETER_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE plist [<!ENTITY % remote SYSTEM "http://127.0.0.1:9/evil.dtd"> %remote;]>
<plist version="1.0"><dict/></plist>
"""
BARE_BILLION_LAUGHS = BILLION_LAUGHS.replace(b'<plist version="1.0">', b"").replace(b"</plist>", b"")


@pytest.mark.parametrize("parser", ALL_PARSERS)
@pytest.mark.parametrize(
    "data",
    [BILLION_LAUGHS, EXTERNAL_ENTITY, PARAMETER_ENTITY, BARE_BILLION_LAUGHS],
    ids=["billion-laughs", "external-entity", "parameter-entity", "bare-billion-laughs"],
)
def test_entities_are_refused(parser: Parser, data: bytes) -> None:
    assert fail(parser, data) == f"{NAME}: XML entity declarations are refused"


@pytest.mark.parametrize("parser", ALL_PARSERS)
@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"   \n",
        b"\x00\x01\x02garbage\xff\xfe",
        b'{"json": true}',
        b"bplist",
        b"bplist15\x00\x00\x00\x00\x00\x00\x00\x00",
        b"\xef\xbb\xbf<plist><dict>",
    ],
    ids=["empty", "blank", "garbage", "json", "magic-only", "bplist15", "unclosed"],
)
def test_garbage(parser: Parser, data: bytes) -> None:
    fail(parser, data)


@pytest.mark.parametrize("parser", ALL_PARSERS)
def test_oversize_input_is_refused_before_parsing(parser: Parser) -> None:
    data = b"<plist><string>" + b"a" * ios.MAX_INPUT_BYTES + b"</string></plist>"
    message = fail(parser, data)
    assert f"over the {ios.MAX_INPUT_BYTES}-byte limit" in message


def secret_answers() -> list[tuple[Parser, Any]]:
    device = IOSDevice(Identity("iPhone16,1", "Apple", "18.5", "F2LXK0Q9N7", "00008130-0012", "D"))
    device.install(OKTA_VERIFY_IOS, AppOrigin.TAKEN_OVER, "9.31.0")
    device.managed_config[OKTA_VERIFY_IOS] = AppConfig({"managementHint": SECRET, "n": [{"x": 1.5}]})
    device.install_profile(IOSProfile("com.example.sso", "SSO", (PAYLOAD_EXTENSIBLE_SSO,)))
    return [
        (ios.parse_lockdown_values, ios.lockdown_answer(device)),
        (ios.parse_installed_apps, ios.installed_apps_answer(device)),
        (ios.parse_profile_list, ios.profile_list_answer(device)),
        (ios.parse_cloud_configuration, ios.cloud_configuration_answer(device)),
        (ios.parse_mdm_profile_list, ios.mdm_profile_list_answer(device)),
        (ios.parse_managed_application_list, ios.managed_application_list_answer(device)),
        (
            ios.parse_managed_application_configuration,
            ios.managed_application_configuration_answer(device, IOS_PREFERENCE_DOMAINS),
        ),
    ]


@pytest.mark.parametrize(("parser", "answer"), secret_answers(), ids=lambda v: getattr(v, "__name__", ""))
def test_binary_truncated_at_every_offset(parser: Parser, answer: Any) -> None:
    data = plistlib.dumps(answer, fmt=plistlib.FMT_BINARY)
    parser(data, name=NAME)  # whole: fine
    for end in range(len(data)):
        fail(parser, data[:end])


def test_binary_errors_name_the_offset() -> None:
    data = bytearray(plistlib.dumps({"ProfileList": []}, fmt=plistlib.FMT_BINARY))
    end = len(data) - 32
    data[-1] = 0xFF  # offset table beyond the end of the file
    assert fail(ios.parse_mdm_profile_list, bytes(data)) == (f"{NAME}: invalid binary plist trailer at offset {end}")
    bad_object = bytearray(plistlib.dumps({"ProfileList": []}, fmt=plistlib.FMT_BINARY))
    bad_object[8] = 0x7F  # the top object's marker: no such object type
    assert "malformed binary plist near offset" in fail(ios.parse_mdm_profile_list, bytes(bad_object))


def test_binary_self_reference_is_refused() -> None:
    # One array (at offset 8) whose only element is itself; offset table at 10.
    cyclic = b"bplist00" + b"\xa1\x00" + b"\x08" + struct.pack(">6xBBQQQ", 1, 1, 1, 0, 10)
    assert fail(ios.parse_installed_apps, cyclic) == f"{NAME}: plist nested deeper than 64 levels"


def test_binary_shared_references_cannot_explode() -> None:
    bomb: list[Any] = [SECRET]
    for _ in range(40):
        bomb = [bomb, bomb]  # plistlib writes each level once: 2**40 leaves in ~500 bytes
    data = plistlib.dumps({"ApplicationConfigurations": bomb}, fmt=plistlib.FMT_BINARY)
    assert len(data) < 1000
    assert fail(ios.parse_managed_application_configuration, data) == (
        f"{NAME}: plist holds more than {ios.MAX_OBJECTS} objects"
    )


@pytest.mark.parametrize(("value", "kind"), [(plistlib.UID(3), "UID"), (None, "null")], ids=["uid", "null"])
def test_binary_objects_no_answer_holds(value: Any, kind: str) -> None:
    if value is None:  # plistlib cannot write null: patch the marker of a written `false`
        data = bytearray(plistlib.dumps([False], fmt=plistlib.FMT_BINARY))
        data[data.index(b"\x08", 9)] = 0x00
    else:
        data = bytearray(plistlib.dumps([value], fmt=plistlib.FMT_BINARY))
    assert fail(ios.parse_installed_apps, bytes(data)) == f"{NAME}: unsupported plist object ({kind})"


def test_deep_xml_nesting_is_refused() -> None:
    data = b"<plist>" + b"<array>" * 200 + b"</array>" * 200 + b"</plist>"
    assert "nesting deeper than 64 levels" in fail(ios.parse_installed_apps, data)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            f"<key>managementHint</key><string>{SECRET}</string><key>managementHint</key><string>x</string>",
            "duplicate key managementHint at top level",
        ),
        ("<key>a</key>", "dictionary content is not <key> then value pairs at top level"),
        (f"<string>{SECRET}</string><key>a</key>", "dictionary content is not <key> then value pairs at top level"),
        ("<key>a</key><dict><key>b</key><foo/></dict>", "unexpected element <foo> at a.b"),
        (f"<key>a</key><string>{SECRET}<b/></string>", "<string> holds elements at a"),
        (f"<key>a</key><integer>{SECRET}</integer>", "<integer> text is not a valid integer at a"),
        (f"<key>a</key><date>{SECRET}</date>", "<date> text is not a valid date at a"),
        (f"<key>a</key><real>{SECRET}</real>", "<real> text is not a valid real number at a"),
    ],
    ids=[
        "duplicate-key",
        "key-without-value",
        "value-without-key",
        "stray-element",
        "nested-in-leaf",
        "bad-integer",
        "bad-date",
        "bad-real",
    ],
)
@pytest.mark.parametrize(
    ("parser", "document"),
    [(ios.parse_intune_ios_xml, False), (ios.parse_intune_ios_xml, True), (ios.parse_cloud_configuration, True)],
    ids=["intune-bare-dict", "intune-plist", "plist"],
)
def test_xml_plist_structure(parser: Parser, document: bool, body: str, expected: str) -> None:
    data = f"<dict>{body}</dict>".encode()
    if document:  # a full plist document, as devices send; Intune's editor takes the bare <dict>
        data = HEADER + data + b"</plist>"
    assert fail(parser, data) == f"{NAME}: {expected}"


def test_xml_errors_name_line_and_column() -> None:
    data = HEADER + f"<dict>\n<key>managementHint</key>\n<string>{SECRET} & more</string></dict></plist>".encode()
    assert fail(ios.parse_intune_ios_xml, data) == f"{NAME}: malformed XML at line 6, column 47"


def test_plist_with_two_values_is_refused() -> None:
    data = b"<plist><dict/><dict/></plist>"
    assert fail(ios.parse_cloud_configuration, data) == f"{NAME}: <plist> must hold exactly one value at top level"


# Serialised once: building the device and dumping its answers was most of each example's time.
SERIALISED_SECRET_ANSWERS = [
    (parser, plistlib.dumps(answer, fmt=fmt))
    for parser, answer in secret_answers()
    for fmt in (plistlib.FMT_XML, plistlib.FMT_BINARY)
]


# 150 examples, not 300: branch coverage of the parsers differs more between two runs of 300
# (507 and 541 arcs) than between runs of 300 and of 150 (519 and 553); truncation at every offset,
# nesting, sizes and shared references have their own tests above.
@settings(max_examples=examples(150))
@given(st.data())
def test_mutated_answers_give_a_result_or_a_parse_error(data: st.DataObject) -> None:
    parser, serialised = data.draw(st.sampled_from(SERIALISED_SECRET_ANSWERS))
    raw = bytearray(serialised)
    for _ in range(data.draw(st.integers(1, 4))):
        raw[data.draw(st.integers(0, len(raw) - 1))] = data.draw(st.integers(0, 255))
    try:
        parser(bytes(raw), name=NAME)
    except ParseError as exc:
        assert str(exc).startswith(f"{NAME}: ")
        assert SECRET not in str(exc)
