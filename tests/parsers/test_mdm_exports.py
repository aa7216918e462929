"""``--mdm`` exports recognised by content: Apple MDM answers, Graph and Workspace ONE JSON, Intune
XML, configuration profiles signed or not. Each becomes the MDM answer the reader parses."""

from __future__ import annotations

import base64
import json
import plistlib
from typing import Any

import pytest

from harness.errors import InputError, ParseError
from harness.parsers.ios_plists import parse_configuration_profile, parse_managed_application_configuration
from harness.parsers.mdm_exports import read_mdm_export, signed_content
from harness.sources.ios_requests import MDM_APPS, MDM_CONFIG, MDM_PROFILES, MDM_SSO_PROFILE
from simulator.ids import OKTA_VERIFY_IOS
from tests.ios.exports import INTUNE_XML, SECRET, graph_export, sign, sso_profile, ws1_export


def _config(export_answer: bytes) -> dict[str, Any]:
    return dict(parse_managed_application_configuration(export_answer, name="answer")[OKTA_VERIFY_IOS])


def test_graph_settings_become_the_configuration_answer() -> None:
    export = read_mdm_export(graph_export(), name="graph.json")
    assert (export.request, export.kind) == (MDM_CONFIG, "Microsoft Graph iosMobileAppConfiguration")
    assert _config(export.answer) == {
        "managementHint": SECRET,
        "deviceSerial": "{{serialnumber}}",  # a token: Intune substitutes it per device
        "retries": 3,
        "strict": True,
    }
    assert SECRET not in repr(export)


def test_graph_encoded_setting_xml() -> None:
    data = graph_export(settings=[], encodedSettingXml=base64.b64encode(INTUNE_XML.encode()).decode())
    assert _config(read_mdm_export(data, name="graph.json").answer)["managementHint"] == SECRET


def test_graph_collection_with_one_ios_policy() -> None:
    one = json.loads(graph_export())
    android = {"@odata.type": "#microsoft.graph.androidManagedStoreAppConfiguration", "id": "x"}
    data = json.dumps({"value": [android, one]}).encode()
    assert read_mdm_export(data, name="all.json").request == MDM_CONFIG
    with pytest.raises(InputError, match="holds 2 iosMobileAppConfiguration policies"):
        read_mdm_export(json.dumps({"value": [one, one]}).encode(), name="all.json")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"settings": [{"appConfigKey": "retries", "appConfigKeyType": "integerType", "appConfigKeyValue": "x"}]},
            r"settings\[0\] \(retries\): the value is not an integer",
        ),
        (
            {"settings": [{"appConfigKey": "k", "appConfigKeyType": "dateType", "appConfigKeyValue": "1"}]},
            "unknown value type 'dateType'",
        ),
        ({"settings": [], "encodedSettingXml": "not base64!"}, "encodedSettingXml is not valid base64"),
        ({"encodedSettingXml": base64.b64encode(b"<dict/>").decode()}, "both settings and encodedSettingXml"),
        ({"@odata.type": "#microsoft.graph.androidManagedStoreAppConfiguration"}, "is not an iOS app configuration"),
    ],
)
def test_graph_mistakes_are_one_line_without_values(change: dict[str, Any], message: str) -> None:
    with pytest.raises(InputError, match=message) as info:
        read_mdm_export(graph_export(**change), name="graph.json")
    assert SECRET not in str(info.value) and "\n" not in str(info.value)


def test_graph_duplicate_key() -> None:
    item = {"appConfigKey": "managementHint", "appConfigKeyType": "stringType", "appConfigKeyValue": SECRET}
    with pytest.raises(InputError, match="set twice"):
        read_mdm_export(graph_export(settings=[item, item]), name="graph.json")


def test_workspace_one_assignment_rules() -> None:
    export = read_mdm_export(ws1_export(), name="ws1.json")
    assert (export.request, export.kind) == (MDM_CONFIG, "Workspace ONE app configuration")
    assert _config(export.answer) == {"managementHint": SECRET, "OktaVerify.OrgUrl": "https://acme.okta.com"}


def test_workspace_one_bare_list_and_types() -> None:
    items = [
        {"key": "managementHint", "value": SECRET, "type": "String"},
        {"key": "n", "value": "7", "type": "INTEGER"},
        {"key": "b", "value": False, "type": "BOOLEAN"},
    ]
    assert _config(read_mdm_export(json.dumps(items).encode(), name="kv.json").answer) == {
        "managementHint": SECRET,
        "n": 7,
        "b": False,
    }


def test_workspace_one_several_configured_assignments_are_refused() -> None:
    doc = json.loads(ws1_export())
    doc["assignments"][1]["application_configuration"] = [{"key": "x", "value": "y", "type": "STRING"}]
    with pytest.raises(InputError, match="2 assignments carry an application configuration"):
        read_mdm_export(json.dumps(doc).encode(), name="ws1.json")


def test_intune_xml_dict() -> None:
    export = read_mdm_export(INTUNE_XML.encode(), name="intune.xml")
    assert export.kind == "Intune iOS XML app configuration"
    assert _config(export.answer)["managementHint"] == SECRET


def test_apple_answers_are_kept_byte_for_byte() -> None:
    answers = {
        MDM_APPS: {"ManagedApplicationList": {OKTA_VERIFY_IOS: {"Status": "Managed"}}, "Status": "Acknowledged"},
        MDM_CONFIG: {"ApplicationConfigurations": [{"Identifier": OKTA_VERIFY_IOS}], "Status": "Acknowledged"},
        MDM_PROFILES: {"ProfileList": [], "Status": "Acknowledged"},
    }
    for request, answer in answers.items():
        for fmt in (plistlib.FMT_XML, plistlib.FMT_BINARY):
            data = plistlib.dumps(answer, fmt=fmt)
            export = read_mdm_export(data, name="answer.plist")
            assert (export.request, export.answer) == (request, data)


def test_a_failed_mdm_command_is_refused() -> None:
    data = plistlib.dumps({"ManagedApplicationList": {}, "Status": "Error"})
    with pytest.raises(ParseError, match="the command failed"):
        read_mdm_export(data, name="answer.plist")


def test_sso_profile_unsigned_and_signed_give_the_same_content() -> None:
    content = sso_profile({"managementHint": SECRET})
    plain = read_mdm_export(content, name="sso.mobileconfig")
    signed = read_mdm_export(sign(content), name="sso-signed.mobileconfig")
    assert plain.request == signed.request == MDM_SSO_PROFILE
    assert plain.answer == signed.answer == content
    assert signed.kind == "configuration profile (signed; signature not checked)"
    profile = parse_configuration_profile(content, name="sso")
    assert profile.sso_extension is not None
    assert profile.sso_extension.extension_data["managementHint"] == SECRET
    assert profile.sso_extension.hosts == ("acme.okta.com",)


def test_signed_content_reads_ber_indefinite_lengths() -> None:
    """``openssl smime -sign -stream`` writes BER with indefinite lengths and chunked content."""
    content = sso_profile({"managementHint": SECRET})
    chunks = b"".join(
        b"\x04" + bytes([len(content[i : i + 100])]) + content[i : i + 100] for i in range(0, len(content), 100)
    )

    def indefinite(tag: int, body: bytes) -> bytes:
        return bytes([tag, 0x80]) + body + b"\0\0"

    oid = lambda hex_: b"\x06" + bytes([len(bytes.fromhex(hex_))]) + bytes.fromhex(hex_)  # noqa: E731
    encap = indefinite(0x30, oid("2a864886f70d010701") + indefinite(0xA0, indefinite(0x24, chunks)))
    signed_data = indefinite(0x30, b"\x02\x01\x01" + b"\x31\x00" + encap + b"\x31\x00")
    cms = indefinite(0x30, oid("2a864886f70d010702") + indefinite(0xA0, signed_data))
    assert signed_content(cms, name="streamed.mobileconfig") == content


@pytest.mark.parametrize("cut", [1, 10, 200, -3])
def test_truncated_signed_profile_names_the_offset(cut: int) -> None:
    signed = sign(sso_profile({"managementHint": SECRET}))
    with pytest.raises((ParseError, InputError), match=r"sso\.mobileconfig"):
        read_mdm_export(signed[:cut], name="sso.mobileconfig")


def test_a_profile_without_sso_payload_is_refused() -> None:
    wifi = plistlib.dumps(
        {
            "PayloadType": "Configuration",
            "PayloadIdentifier": "com.acme.wifi",
            "PayloadUUID": "1",
            "PayloadVersion": 1,
            "PayloadContent": [{"PayloadType": "com.apple.wifi.managed", "PayloadIdentifier": "w", "PayloadUUID": "2"}],
        }
    )
    with pytest.raises(InputError, match=r"has no com\.apple\.extensiblesso payload"):
        read_mdm_export(wifi, name="wifi.mobileconfig")


@pytest.mark.parametrize(
    "data",
    [b"", b"hello", b"\x00\x01", b'{"unrelated": 1}', b"[1, 2]", b"{not json"],
)
def test_unknown_files_are_one_line(data: bytes) -> None:
    with pytest.raises((InputError, ParseError), match=r"^x\.bin: ") as info:
        read_mdm_export(data, name="x.bin")
    assert "\n" not in str(info.value)


def test_deep_json_is_bounded() -> None:
    with pytest.raises((InputError, ParseError), match="nested deeper"):
        read_mdm_export(b"[" * 100_000 + b"]" * 100_000, name="deep.json")


def test_oversized_file_is_refused() -> None:
    with pytest.raises(InputError, match="over the"):
        read_mdm_export(b" " * (8 * 1024 * 1024 + 1), name="big.json")
