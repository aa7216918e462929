"""What an MDM knows about an iPhone, from files an admin can get out of it (``--mdm FILE``).

A host reading an iPhone learns which apps and profiles are installed, never which apps the MDM
manages, their managed configuration or the payloads of its profiles (DOMAIN.md §6). Those come
from the MDM's side, and each file is recognised by its content, not its name:

=========================================  ======================================================
file                                       stands for the answer
=========================================  ======================================================
Apple MDM ``ManagedApplicationList``       ``mdm.managed_application_list`` (as is)
response (plist)
Apple MDM ``ManagedApplicationConfiguration``  ``mdm.managed_application_configuration`` (as is)
response (plist)
Apple MDM ``ProfileList`` response         ``mdm.profile_list`` (as is)
Microsoft Graph ``iosMobileAppConfiguration``  ``mdm.managed_application_configuration`` for Okta
(JSON: ``settings[]`` or ``encodedSettingXml``)  Verify, made from it
Intune iOS XML (the bare ``<dict>`` of         the same
"Enter XML data", or a plist document)
Workspace ONE app configuration (JSON of the   the same
MAM v2 assignment rules, one assignment, or
its ``application_configuration`` list)
a configuration profile (``.mobileconfig``,    ``mdm.sso_extension_profile``: its content, the
signed or not) with a ``com.apple.extensiblesso`` only answer with the SSO extension's data
payload
=========================================  ======================================================

Apple's answers are kept byte for byte; an EMM export becomes the Apple answer it amounts to (an
XML plist), so that a capture written from ``--mdm`` files replays through the same parsers. A
signed profile's signature is not checked: the file is the admin's own, and only its content
matters here.

Everything is bounded like the device's answers (:data:`~harness.parsers.ios_plists.MAX_INPUT_BYTES`,
depth, object count); errors are one line naming the file and where in it, never a value (a
configuration value may be the ``managementHint`` secret).
"""

from __future__ import annotations

import base64
import binascii
import json
import plistlib
from dataclasses import dataclass
from typing import Any

from harness.errors import InputError, ParseError
from harness.parsers.ios_plists import (
    MAX_DEPTH,
    MAX_INPUT_BYTES,
    MAX_OBJECTS,
    check_tree,
    load_plist,
    parse_configuration_profile,
    parse_intune_ios_xml,
    parse_managed_application_configuration,
    parse_managed_application_list,
    parse_mdm_profile_list,
)
from harness.sources.ios_requests import MDM_APPS, MDM_CONFIG, MDM_PROFILES, MDM_SSO_PROFILE
from simulator.appconfig import AppConfig
from simulator.ids import OKTA_VERIFY_IOS, PAYLOAD_EXTENSIBLE_SSO

__all__ = ["MdmExport", "read_mdm_export", "signed_content"]


@dataclass(frozen=True, slots=True)
class MdmExport:
    """One ``--mdm`` file, as the MDM answer it stands for."""

    name: str
    #: What the file was recognised as, for "where each fact came from".
    kind: str
    #: The ``mdm.*`` request it answers.
    request: str
    #: The answer: an Apple MDM response, or a profile's content (XML or binary plist).
    answer: bytes

    def __repr__(self) -> str:  # the answer may hold the secret
        return f"MdmExport({self.name!r}, {self.kind!r}, {self.request!r}, <{len(self.answer)} bytes>)"


def read_mdm_export(data: bytes, *, name: str) -> MdmExport:
    """Recognise one export by its content and turn it into the MDM answer it stands for."""
    if len(data) > MAX_INPUT_BYTES:
        raise InputError(f"{name}: {len(data)} bytes is over the {MAX_INPUT_BYTES}-byte limit")
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if head in (b"{", b"["):
        return _from_json(data, name)
    if head == b"\x30":  # a DER SEQUENCE: a CMS (PKCS #7) signed profile
        content = signed_content(data, name=name)
        export = _from_plist(content, name, signed=True)
        if export.request != MDM_SSO_PROFILE:
            raise InputError(f"{name}: a signed file must be a configuration profile (.mobileconfig)")
        return export
    if data.startswith(b"bplist") or head == b"<":
        return _from_plist(data, name, signed=False)
    raise InputError(
        f"{name}: not an MDM export attestlab knows (an Apple MDM answer plist, a Microsoft Graph or "
        "Workspace ONE JSON export, an Intune XML dict, or a .mobileconfig)"
    )


# ---------------------------------------------------------------------------------------------
# Property lists: Apple MDM answers, profiles, the Intune XML dict
# ---------------------------------------------------------------------------------------------

_APPLE_ANSWERS = (
    ("ManagedApplicationList", MDM_APPS, parse_managed_application_list),
    ("ApplicationConfigurations", MDM_CONFIG, parse_managed_application_configuration),
    ("ProfileList", MDM_PROFILES, parse_mdm_profile_list),
)


def _from_plist(data: bytes, name: str, *, signed: bool) -> MdmExport:
    tree = load_plist(data, name=name)
    if isinstance(tree, dict):
        for key, request, parse in _APPLE_ANSWERS:
            if key in tree:
                parse(data, name=name)  # checked now, so that a bad file fails here, naming itself
                command = key if key != "ApplicationConfigurations" else "ManagedApplicationConfiguration"
                return MdmExport(name, f"Apple MDM {command} answer", request, data)
        if tree.get("PayloadType") == "Configuration":
            profile = parse_configuration_profile(data, name=name)
            if PAYLOAD_EXTENSIBLE_SSO not in profile.payload_types:
                raise InputError(
                    f"{name}: profile {profile.identifier!r} has no {PAYLOAD_EXTENSIBLE_SSO} payload "
                    "(only an SSO extension profile is read from a .mobileconfig)"
                )
            kind = "configuration profile" + (" (signed; signature not checked)" if signed else "")
            return MdmExport(name, kind, MDM_SSO_PROFILE, data)
    config = parse_intune_ios_xml(data, name=name)
    return _config_export(name, "Intune iOS XML app configuration", config)


def _config_export(name: str, kind: str, config: AppConfig) -> MdmExport:
    """An EMM's configuration for Okta Verify, as the ManagedApplicationConfiguration answer."""
    answer = {"ApplicationConfigurations": [{"Identifier": OKTA_VERIFY_IOS, "Configuration": config.to_plain()}]}
    return MdmExport(name, kind, MDM_CONFIG, plistlib.dumps(answer, fmt=plistlib.FMT_XML))


# ---------------------------------------------------------------------------------------------
# JSON: Microsoft Graph and Workspace ONE
# ---------------------------------------------------------------------------------------------

_GRAPH_IOS = "#microsoft.graph.iosMobileAppConfiguration"
_JSON_LEAVES = (str, bool, int, float, type(None))


def _from_json(data: bytes, name: str) -> MdmExport:
    try:
        doc = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        where = f" at line {exc.lineno}, column {exc.colno}" if isinstance(exc, json.JSONDecodeError) else ""
        raise InputError(f"{name}: not valid JSON{where}") from None
    except RecursionError:
        raise InputError(f"{name}: JSON nested deeper than {MAX_DEPTH} levels") from None
    check_tree(doc, name, what="JSON", leaves=_JSON_LEAVES)
    # a Graph collection (GET .../mobileAppConfigurations)
    if isinstance(doc, dict) and isinstance(doc.get("value"), list):
        ios = [item for item in doc["value"] if isinstance(item, dict) and item.get("@odata.type") == _GRAPH_IOS]
        if len(ios) != 1:
            raise InputError(
                f"{name}: holds {len(ios)} iosMobileAppConfiguration policies; export the one assigned to "
                "Okta Verify (GET /deviceAppManagement/mobileAppConfigurations/{id})"
            )
        doc = ios[0]
    if isinstance(doc, dict) and "@odata.type" in doc and doc["@odata.type"] != _GRAPH_IOS:
        raise InputError(
            f"{name}: {doc['@odata.type']!s:.80} is not an iOS app configuration (iosMobileAppConfiguration)"
        )
    if isinstance(doc, dict) and ("@odata.type" in doc or "encodedSettingXml" in doc or "settings" in doc):
        return _config_export(name, "Microsoft Graph iosMobileAppConfiguration", _graph_config(doc, name))
    items = _ws1_items(doc, name)
    if items is not None:
        return _config_export(name, "Workspace ONE app configuration", _ws1_config(items, name))
    raise InputError(
        f"{name}: JSON that is neither a Microsoft Graph iosMobileAppConfiguration nor a Workspace ONE "
        "app configuration (application_configuration)"
    )


def _graph_config(doc: dict[str, Any], name: str) -> AppConfig:
    """Graph ``iosMobileAppConfiguration``: ``settings`` (configuration designer) or
    ``encodedSettingXml`` (the XML editor, base64): Intune uses one or the other."""
    settings = doc.get("settings") or []
    encoded = doc.get("encodedSettingXml")
    if not isinstance(settings, list):
        raise InputError(f"{name}: settings must be an array")
    if encoded:
        if settings:
            raise InputError(f"{name}: has both settings and encodedSettingXml; Intune applies only one")
        if not isinstance(encoded, str):
            raise InputError(f"{name}: encodedSettingXml must be a base64 string")
        try:
            xml = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise InputError(f"{name}: encodedSettingXml is not valid base64") from None
        return parse_intune_ios_xml(xml, name=f"{name}: encodedSettingXml")
    config: dict[str, Any] = {}
    for index, item in enumerate(settings):
        where = f"{name}: settings[{index}]"
        if not isinstance(item, dict):
            raise InputError(f"{where}: expected an object")
        key, kind, value = item.get("appConfigKey"), item.get("appConfigKeyType"), item.get("appConfigKeyValue")
        if not isinstance(key, str) or not key:
            raise InputError(f"{where}: appConfigKey must be a non-empty string")
        if key in config:
            raise InputError(f"{where}: appConfigKey {key!r} is set twice (Intune would keep only one)")
        if not isinstance(value, str):
            raise InputError(f"{where}: appConfigKeyValue must be a string (Graph sends every value as text)")
        config[key] = _typed(value, _GRAPH_TYPES.get(str(kind)), f"{where} ({key})", str(kind))
    return AppConfig(config)


#: Graph ``mdmAppConfigKeyType``; a ``tokenType`` value is a token such as ``{{serialnumber}}``,
#: which Intune substitutes per device: the export holds it literally.
_GRAPH_TYPES = {
    "stringType": "string",
    "tokenType": "string",
    "integerType": "integer",
    "realType": "real",
    "booleanType": "boolean",
}
#: Workspace ONE value types (MAM v2 ``application_configuration[].type``).
_WS1_TYPES = {"STRING": "string", "INTEGER": "integer", "BOOLEAN": "boolean", "REAL": "real"}


def _typed(value: str, kind: str | None, where: str, named: str) -> object:
    """A value sent as text, as the type the key was given (the value itself is never shown)."""
    if kind == "string":
        return value
    if kind == "integer":
        try:
            return int(value.strip())
        except ValueError:
            raise InputError(f"{where}: the value is not an integer") from None
    if kind == "real":
        try:
            return float(value.strip())
        except ValueError:
            raise InputError(f"{where}: the value is not a number") from None
    if kind == "boolean":
        if value.strip().lower() not in ("true", "false"):
            raise InputError(f"{where}: the value is not true or false")
        return value.strip().lower() == "true"
    raise InputError(f"{where}: unknown value type {named!r}")


def _ws1_items(doc: object, name: str) -> list[Any] | None:
    """The ``application_configuration`` list of a Workspace ONE export, or None if it is not one.

    Accepted: the MAM v2 assignment rules (``{"assignments": [{..., "application_configuration":
    [...]}]}``, as the API's ``GET/PUT .../assignment-rules`` carry them), one assignment, or the
    list itself. Several assignments with a configuration are refused: which one reaches a device
    depends on its smart groups, which the export does not say.
    """
    if isinstance(doc, list):
        return doc if all(isinstance(i, dict) and "key" in i for i in doc) else None
    if not isinstance(doc, dict):
        return None
    if "application_configuration" in doc:
        items = doc["application_configuration"]
        if not isinstance(items, list):
            raise InputError(f"{name}: application_configuration must be an array")
        return items
    assignments = doc.get("assignments")
    if not isinstance(assignments, list):
        return None
    configured = [a for a in assignments if isinstance(a, dict) and a.get("application_configuration")]
    if len(configured) > 1:
        raise InputError(
            f"{name}: {len(configured)} assignments carry an application configuration; pass the one whose "
            "smart group holds the device"
        )
    if not configured:
        raise InputError(f"{name}: no assignment carries an application configuration")
    items = configured[0]["application_configuration"]
    if not isinstance(items, list):
        raise InputError(f"{name}: application_configuration must be an array")
    return items


def _ws1_config(items: list[Any], name: str) -> AppConfig:
    config: dict[str, Any] = {}
    for index, item in enumerate(items):
        where = f"{name}: application_configuration[{index}]"
        if not isinstance(item, dict):
            raise InputError(f"{where}: expected an object")
        key, kind, value = item.get("key"), item.get("type", "STRING"), item.get("value")
        if not isinstance(key, str) or not key:
            raise InputError(f"{where}: key must be a non-empty string")
        if key in config:
            raise InputError(f"{where}: key {key!r} is set twice")
        if isinstance(value, bool | int | float):  # the API sends text; a hand-made file may not
            value = str(value).lower() if isinstance(value, bool) else str(value)
        if not isinstance(value, str):
            raise InputError(f"{where} ({key}): value must be a string, number or boolean")
        config[key] = _typed(value, _WS1_TYPES.get(str(kind).upper()), f"{where} ({key})", str(kind))
    return AppConfig(config)


# ---------------------------------------------------------------------------------------------
# CMS (PKCS #7) signed data: the content of a signed .mobileconfig
# ---------------------------------------------------------------------------------------------

_OID = 0x06
_SEQUENCE = 0x30
_OCTET_STRING = 0x04
_EXPLICIT_0 = 0xA0
_SIGNED_DATA = bytes.fromhex("2a864886f70d010702")  # 1.2.840.113549.1.7.2
_DATA = bytes.fromhex("2a864886f70d010701")  # 1.2.840.113549.1.7.1
_MAX_BER_DEPTH = 32


@dataclass(frozen=True, slots=True)
class _Tlv:
    tag: int
    start: int  # first content byte
    end: int  # one past the last content byte
    next: int  # first byte after the element (after the end-of-contents octets when indefinite)


class _Ber:
    """A bounded reader of the BER (and so DER) that CMS uses: definite and indefinite lengths."""

    def __init__(self, data: bytes, name: str) -> None:
        self.data = data
        self.name = name

    def error(self, what: str, offset: int) -> ParseError:
        return ParseError(f"{self.name}: not a readable signed profile: {what} at byte offset {offset}")

    def read(self, pos: int, limit: int, depth: int = 0) -> _Tlv:
        data = self.data
        if depth > _MAX_BER_DEPTH:
            raise self.error("nesting too deep", pos)
        if pos + 2 > limit:
            raise self.error("truncated element", pos)
        tag, first = data[pos], data[pos + 1]
        if tag & 0x1F == 0x1F:
            raise self.error("unsupported high tag number", pos)
        if first < 0x80:
            start, end = pos + 2, pos + 2 + first
        elif first == 0x80:
            if not tag & 0x20:
                raise self.error("indefinite length on a primitive element", pos)
            start = pos + 2
            cursor = start
            while True:
                if cursor + 2 > limit:
                    raise self.error("missing end-of-contents", cursor)
                if data[cursor : cursor + 2] == b"\0\0":
                    break
                cursor = self.read(cursor, limit, depth + 1).next
            return _Tlv(tag, start, cursor, cursor + 2)
        else:
            size = first & 0x7F
            if size > 4 or pos + 2 + size > limit:
                raise self.error("bad length", pos)
            start = pos + 2 + size
            end = start + int.from_bytes(data[pos + 2 : start], "big")
        if end > limit:
            raise self.error("element longer than its container", pos)
        return _Tlv(tag, start, end, end)

    def children(self, parent: _Tlv, depth: int) -> list[_Tlv]:
        items, cursor = [], parent.start
        while cursor < parent.end:
            item = self.read(cursor, parent.end, depth + 1)
            items.append(item)
            cursor = item.next
            if len(items) > MAX_OBJECTS:
                raise self.error("too many elements", cursor)
        return items

    def octets(self, element: _Tlv, depth: int) -> bytes:
        """An OCTET STRING's bytes, primitive or constructed (BER chunks, possibly nested)."""
        if element.tag == _OCTET_STRING:
            return self.data[element.start : element.end]
        if element.tag == _OCTET_STRING | 0x20:
            return b"".join(self.octets(chunk, depth + 1) for chunk in self.children(element, depth))
        raise self.error("expected an OCTET STRING", element.start)


def signed_content(data: bytes, *, name: str) -> bytes:
    """The content of a CMS ``SignedData`` (RFC 5652 §5): what a signed ``.mobileconfig`` holds.

    ``ContentInfo ::= SEQUENCE { contentType (signedData), [0] EXPLICIT SignedData }``,
    ``SignedData ::= SEQUENCE { version, digestAlgorithms SET, encapContentInfo SEQUENCE {
    eContentType (data), [0] EXPLICIT eContent OCTET STRING OPTIONAL }, ... }``. A detached
    signature (no ``eContent``) has no profile in it and is refused.
    """
    ber = _Ber(data, name)
    info = ber.read(0, len(data))
    if info.tag != _SEQUENCE:
        raise ber.error("expected a SEQUENCE", 0)
    parts = ber.children(info, 0)
    if len(parts) < 2 or parts[0].tag != _OID or data[parts[0].start : parts[0].end] != _SIGNED_DATA:
        raise InputError(f"{name}: a CMS file that is not signed data (PKCS #7 signedData)")
    if parts[1].tag != _EXPLICIT_0:
        raise ber.error("expected [0] content", parts[1].start)
    signed = ber.children(parts[1], 1)
    if not signed or signed[0].tag != _SEQUENCE:
        raise ber.error("expected SignedData", parts[1].start)
    fields = ber.children(signed[0], 2)
    if len(fields) < 3 or fields[2].tag != _SEQUENCE:
        raise ber.error("expected encapContentInfo", signed[0].start)
    encap = ber.children(fields[2], 3)
    if not encap or encap[0].tag != _OID or data[encap[0].start : encap[0].end] != _DATA:
        raise InputError(f"{name}: the signed content is not data (not a signed profile)")
    if len(encap) < 2:
        raise InputError(f"{name}: a detached signature holds no profile; export the signed profile itself")
    if encap[1].tag != _EXPLICIT_0:
        raise ber.error("expected [0] eContent", encap[1].start)
    content = ber.children(encap[1], 4)
    if len(content) != 1:
        raise ber.error("expected one eContent", encap[1].start)
    return ber.octets(content[0], 5)
