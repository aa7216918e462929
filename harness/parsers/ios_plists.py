"""Parsers for what an iPhone and its MDM report, and builders of the same answers from a device.

The iOS source (pymobiledevice3) and capture replay hand these functions the raw bytes of one
answer: a property list, XML or binary, as the device or the MDM produced it. Each parser returns
pieces of :mod:`simulator.device`; each builder (``*_answer``) goes the other way, from an
:class:`~simulator.device.IOSDevice` to the answer object, so that a test or a fixture maker can
go device -> answer -> plist bytes -> parser and get the same facts back.

What comes from where (DOMAIN.md §6), parser and builder:

* lockdown ``all_values``: :func:`parse_lockdown_values`, :func:`lockdown_answer`;
* installation_proxy ``Browse``: :func:`parse_installed_apps`, :func:`installed_apps_answer`;
* MCInstall ``GetProfileList``: :func:`parse_profile_list`, :func:`profile_list_answer`;
* MCInstall ``GetCloudConfiguration``: :func:`parse_cloud_configuration`,
  :func:`cloud_configuration_answer`;
* MDM ``ProfileList``: :func:`parse_mdm_profile_list`, :func:`mdm_profile_list_answer`;
* MDM ``ManagedApplicationList``: :func:`parse_managed_application_list`,
  :func:`managed_application_list_answer` (and :func:`app_origin` to read a status);
* MDM ``ManagedApplicationConfiguration``: :func:`parse_managed_application_configuration`,
  :func:`managed_application_configuration_answer`;
* an export an admin may hand us instead of the MDM's answer: an Intune iOS XML app
  configuration (:func:`parse_intune_ios_xml`; also what a scenario's ``config_xml`` holds);
* a configuration profile as the MDM holds it (the ``.mobileconfig`` content, unsigned):
  :func:`parse_configuration_profile`, the only answer that carries an SSO extension's payload
  (its extension data); :func:`load_plist` for callers that must look before they parse
  (:mod:`harness.parsers.mdm_exports` detects exports by content).

Everything read here is untrusted, so:

* every input is bounded (:data:`MAX_INPUT_BYTES`) before it is looked at;
* **XML** is first parsed with defusedxml, which refuses entity declarations (billion laughs)
  and external references; Apple's ``<!DOCTYPE plist PUBLIC ...>`` line is allowed, since it
  names the DTD without loading it, in one expat pass. Values are then read from that tree
  (not by ``plistlib.loads``, whose chunked expat feeding is quadratic in the longest token),
  refusing what plistlib would silently accept (duplicate keys, where the last one would win;
  stray elements, attributes). Errors name the line and column (from expat) or the key path;
* **binary** plists (``bplist00``) have their 32-byte trailer checked first (CoreFoundation
  ``CFBinaryPList.c``: offset size, reference size, object count, top object, offset-table
  offset), so that a broken or truncated file is reported at the trailer's offset; plistlib's
  own failures are reported with the byte offset its reader had reached;
* every decoded tree is walked once, counting objects (:data:`MAX_OBJECTS`) and depth
  (:data:`MAX_DEPTH`): a binary plist can point at one object from many places, or at itself,
  and plistlib returns the shared (or cyclic) Python objects, which later walks would follow
  without end. ``null`` and ``UID`` objects, which no answer contains, are refused there too.

Every failure is a :class:`harness.errors.ParseError` whose one-line message starts with the
``name`` passed in and names the key path and the expected type, never a value: configuration
values may be the ``managementHint`` secret. Library exceptions are not chained (``from None``)
because their text can quote the offending value (``int()`` does).
"""

from __future__ import annotations

import binascii
import datetime
import io
import plistlib
import re
import struct
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar
from xml.etree.ElementTree import Element
from xml.etree.ElementTree import ParseError as XMLSyntaxError

import defusedxml.ElementTree as safe_etree
from defusedxml import DefusedXmlException, EntitiesForbidden

from harness.errors import ParseError
from simulator.appconfig import AppConfig
from simulator.device import AppOrigin, Identity, IOSDevice, IOSProfile, SSOExtension
from simulator.ids import OKTA_SSO_EXTENSION_IOS, OKTA_VERIFY_IOS, PAYLOAD_EXTENSIBLE_SSO

__all__ = [
    "MAX_DEPTH",
    "MAX_INPUT_BYTES",
    "MAX_OBJECTS",
    "AppInfo",
    "ManagedAppStatus",
    "app_origin",
    "check_tree",
    "cloud_configuration_answer",
    "installed_apps_answer",
    "is_user_enrollment",
    "load_plist",
    "lockdown_answer",
    "managed_application_configuration_answer",
    "managed_application_list_answer",
    "mdm_profile_list_answer",
    "parse_cloud_configuration",
    "parse_configuration_profile",
    "parse_installed_apps",
    "parse_intune_ios_xml",
    "parse_lockdown_values",
    "parse_managed_application_configuration",
    "parse_managed_application_list",
    "parse_mdm_profile_list",
    "parse_profile_list",
    "profile_list_answer",
]

#: Largest answer or export read (bytes). A Browse answer of a phone with 300 apps is ~1 MiB.
MAX_INPUT_BYTES = 8 * 1024 * 1024
#: Most objects (dictionaries, arrays and leaves, shared ones counted at every use) in one answer.
MAX_OBJECTS = 1_000_000
#: Deepest nesting of dictionaries and arrays accepted.
MAX_DEPTH = 64

_T = TypeVar("_T")
_D = TypeVar("_D")


# ---------------------------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AppInfo:
    """One installed app as installation_proxy ``Browse`` lists it.

    The device side does not say whether an app is managed: only the MDM's
    ``ManagedApplicationList`` does (:func:`parse_managed_application_list`).
    """

    bundle_id: str
    version: str
    display_name: str


@dataclass(frozen=True, slots=True)
class ManagedAppStatus:
    """One entry of the MDM ``ManagedApplicationList`` answer (Apple ``ManagedApplicationItem``).

    Absent flags read as ``False`` and an absent ``ManagementFlags`` as 0, Apple's defaults.
    """

    status: str
    management_flags: int = 0
    has_configuration: bool = False
    has_feedback: bool = False
    is_validated: bool = False
    external_version_identifier: int | None = None


# Apple device-management ``mdm/commands/application.managed.list.yaml``, ``Status`` rangelist.
# Statuses in which the app is installed and managed (being updated is still managed):
_MANAGED_STATUSES = frozenset(
    {"Managed", "PromptingForUpdate", "PromptingForUpdateLogin", "ValidatingUpdate", "Updating", "UpdateRejected"}
)
# Statuses in which the user's own copy is installed, unmanaged; the value is "user declined".
_UNMANAGED_STATUSES = {"UserInstalledApp": False, "PromptingForManagement": False, "ManagementRejected": True}


def app_origin(status: str) -> tuple[AppOrigin, bool] | None:
    """Map a ``ManagedApplicationList`` ``Status`` to ``(origin, management_rejected)``.

    ``Managed`` (and the update statuses of a managed app) give :attr:`AppOrigin.EMM`: the answer
    cannot tell an app the MDM installed from one the user installed and the MDM then took over
    (``ChangeManagementState: Managed``), both report ``Managed``. ``UserInstalledApp`` and
    ``PromptingForManagement`` give :attr:`AppOrigin.USER`; ``ManagementRejected`` gives
    :attr:`AppOrigin.USER` with ``management_rejected``. Every other status (``Queued``,
    ``NeedsRedemption``, ``Installing``, ``ManagedButUninstalled``, ``UserRejected``, ``Failed``,
    ``Unknown``, and any status newer than this table) says the app is not installed, or not
    known to be: ``None``.
    """
    if status in _MANAGED_STATUSES:
        return AppOrigin.EMM, False
    if status in _UNMANAGED_STATUSES:
        return AppOrigin.USER, _UNMANAGED_STATUSES[status]
    return None


# ---------------------------------------------------------------------------------------------
# Error locations and typed access
# ---------------------------------------------------------------------------------------------

_TYPE_NAMES: dict[type, str] = {
    bool: "boolean",
    int: "integer",
    float: "real",
    str: "string",
    bytes: "data",
    datetime.datetime: "date",
    dict: "dictionary",
    list: "array",
}


def _type_name(value: object) -> str:
    if value is None:
        return "null"
    for kind, kind_name in _TYPE_NAMES.items():  # bool before int: bool is an int
        if isinstance(value, kind):
            return kind_name
    return type(value).__name__


def _show(key: str) -> str:
    """A key as it may appear in a one-line message: escaped and shortened."""
    shown = key.encode("unicode_escape").decode("ascii")
    return shown if len(shown) <= 80 else shown[:79] + "…"


class _At:
    """Where a value sits in an answer, for messages: ``name: what at ProfileList[2].Payload``.

    A link to the parent and one key, rendered only when an error is raised: building every
    value's path string up front costs memory in the depth times the key lengths, per value.
    """

    __slots__ = ("key", "name", "parent")

    def __init__(self, name: str, parent: _At | None = None, key: str | int | None = None) -> None:
        self.name = name
        self.parent = parent
        self.key = key

    def __truediv__(self, key: str | int) -> _At:
        return _At(self.name, self, key)

    @property
    def path(self) -> str:
        parts: list[str] = []
        at: _At | None = self
        while at is not None and at.key is not None:
            parts.append(f"[{at.key}]" if isinstance(at.key, int) else f".{_show(at.key)}")
            at = at.parent
        return "".join(reversed(parts)).removeprefix(".")

    def error(self, what: str) -> ParseError:
        return ParseError(f"{self.name}: {what} at {self.path or 'top level'}")


def _expect(value: object, kind: type[_T], at: _At) -> _T:
    if isinstance(value, kind) and not (kind is int and isinstance(value, bool)):
        return value
    raise at.error(f"expected {_TYPE_NAMES[kind]}, got {_type_name(value)}")


def _required(mapping: Mapping[str, Any], key: str, kind: type[_T], at: _At) -> _T:
    if key not in mapping:
        raise at.error(f"missing key {_show(key)}")
    return _expect(mapping[key], kind, at / key)


def _optional(mapping: Mapping[str, Any], key: str, kind: type[_T], at: _At, default: _D) -> _T | _D:
    return _expect(mapping[key], kind, at / key) if key in mapping else default


# ---------------------------------------------------------------------------------------------
# Loading plists
# ---------------------------------------------------------------------------------------------

_BPLIST_MAGIC = b"bplist00"
_TRAILER = struct.Struct(">6xBBQQQ")  # CFBinaryPList trailer: sizes, count, top, table offset
_LEAF_TYPES = (str, bool, int, float, bytes, datetime.datetime)
_XML_VALUE_TAGS = frozenset({"dict", "array", "string", "integer", "real", "true", "false", "date", "data"})


def _check_size(data: bytes, name: str) -> None:
    if len(data) > MAX_INPUT_BYTES:
        raise ParseError(f"{name}: {len(data)} bytes is over the {MAX_INPUT_BYTES}-byte limit")
    if not data.strip():
        raise ParseError(f"{name}: empty")


def _load(data: bytes, name: str) -> Any:
    """Bytes of an XML or binary plist -> the checked object tree."""
    _check_size(data, name)
    tree = _load_binary(data, name) if data.startswith(b"bplist") else _load_xml(data, name)
    check_tree(tree, name)
    return tree


def _load_binary(data: bytes, name: str) -> Any:
    if not data.startswith(_BPLIST_MAGIC):
        raise ParseError(f"{name}: unsupported binary plist version at offset 6")
    end = len(data) - _TRAILER.size
    if end <= len(_BPLIST_MAGIC):
        raise ParseError(f"{name}: binary plist truncated at offset {len(data)}")
    offset_size, ref_size, count, top, table = _TRAILER.unpack_from(data, end)
    if not (
        1 <= offset_size <= 8
        and 1 <= ref_size <= 8
        and top < count
        and len(_BPLIST_MAGIC) < table
        and table + count * offset_size <= end
    ):
        raise ParseError(f"{name}: invalid binary plist trailer at offset {end}")
    stream = io.BytesIO(data)
    try:
        return plistlib.load(stream, fmt=plistlib.FMT_BINARY)
    except Exception:  # plistlib raises InvalidFileException, RecursionError, TypeError...
        raise ParseError(f"{name}: malformed binary plist near offset {stream.tell()}") from None


def _parse_xml(data: bytes, name: str) -> Element:
    """defusedxml's parse: entity declarations and external references refused."""
    try:
        root: Element = safe_etree.fromstring(data)
    except XMLSyntaxError as exc:
        line, column = exc.position
        raise ParseError(f"{name}: malformed XML at line {line}, column {column}") from None
    except EntitiesForbidden:
        raise ParseError(f"{name}: XML entity declarations are refused") from None
    except DefusedXmlException:  # external references, DTDs where refused
        raise ParseError(f"{name}: unsafe XML is refused") from None
    except (ValueError, LookupError):  # expat: an encoding it cannot read (utf-7, unknown names)
        raise ParseError(f"{name}: XML in an unsupported encoding (plists are UTF-8)") from None
    except Exception:  # expat's other odd corners
        raise ParseError(f"{name}: unreadable XML") from None
    return root


def _load_xml(data: bytes, name: str) -> Any:
    root = _parse_xml(data, name)
    at = _At(name)
    if root.tag == "plist":
        if set(root.attrib) - {"version"} or len(root.get("version", "")) > 8:
            raise at.error("<plist> has attributes other than a version")
        if len(root) != 1:
            raise at.error("<plist> must hold exactly one value")
        root = root[0]
    return _xml_value(root, at, 0)


def _xml_value(element: Element, at: _At, depth: int) -> Any:
    """The value of one plist element, checked: what plistlib would accept silently is refused.

    The values are read from the tree defusedxml built in one expat pass, not by
    ``plistlib.loads``: plistlib feeds expat in 2 KiB chunks, and expat rescans a token that
    spans chunks from its start each time, so one 4 MB attribute or comment costs seconds to
    minutes. Refused: duplicate keys (plistlib keeps the last, so a hint could be overridden
    without anyone seeing it in the file), stray or misplaced elements, attributes, and numbers
    beyond 64 bits. Values follow plistlib's rules otherwise (``0x`` integers, base64 data,
    ``YYYY-MM-DDTHH:MM:SSZ`` dates).
    """
    tag = element.tag
    if tag not in _XML_VALUE_TAGS:
        raise at.error(f"unexpected element <{_show(str(tag))}>")
    if element.attrib:
        raise at.error(f"<{tag}> has attributes (plist values have none)")
    children = list(element)
    if tag in ("dict", "array"):
        if depth >= MAX_DEPTH:
            raise at.error(f"nesting deeper than {MAX_DEPTH} levels")
        if tag == "array":
            return [_xml_value(child, at / i, depth + 1) for i, child in enumerate(children)]
        keys, values = children[::2], children[1::2]
        if len(keys) != len(values) or any(k.tag != "key" or len(k) or k.attrib for k in keys):
            raise at.error("dictionary content is not <key> then value pairs")
        result: dict[str, Any] = {}
        for key_element, value in zip(keys, values, strict=True):
            key = key_element.text or ""
            if key in result:
                raise at.error(f"duplicate key {_show(key)}")
            result[key] = _xml_value(value, at / key, depth + 1)
        return result
    if children:
        raise at.error(f"<{tag}> holds elements")
    text = element.text or ""
    if tag == "string":
        return text
    if tag in ("true", "false"):
        if text.strip():
            raise at.error(f"<{tag}/> holds text")
        return tag == "true"
    try:
        return _XML_LEAVES[tag](text.strip())
    except (ValueError, TypeError, binascii.Error):
        raise at.error(f"<{tag}> text is not a valid {_TYPE_NAMES_BY_TAG[tag]}") from None


def _xml_integer(text: str) -> int:
    if not _XML_INTEGER.fullmatch(text):
        raise ValueError
    value = int(text, 16 if text[:2] in ("0x", "0X") else 10)
    if not -(2**63) <= value < 2**64:
        raise ValueError
    return value


def _xml_real(text: str) -> float:
    if len(text) > 64:
        raise ValueError
    return float(text)


def _xml_date(text: str) -> datetime.datetime:
    match = _XML_DATE.fullmatch(text)
    if match is None:
        raise ValueError
    parts = [int(part) for part in match.groups() if part is not None]
    if len(parts) < 3:
        raise ValueError  # plistlib fails on a date without a day too
    year, month, day, hour, minute, second = parts + [0] * (6 - len(parts))
    return datetime.datetime(year, month, day, hour, minute, second)  # naive UTC, as plistlib gives


_XML_INTEGER = re.compile(r"[+-]?[0-9]{1,20}|0[xX][0-9a-fA-F]{1,16}")
# plistlib's _dateParser: a year, then optionally month, day, hour, minute, second; always Z.
_XML_DATE = re.compile(r"(\d{4})(?:-(\d\d)(?:-(\d\d)(?:T(\d\d)(?::(\d\d)(?::(\d\d))?)?)?)?)?Z", re.ASCII)
_XML_LEAVES: dict[str, Any] = {
    "integer": _xml_integer,
    "real": _xml_real,
    "date": _xml_date,
    "data": lambda text: binascii.a2b_base64(text.encode("ascii")),
}
_TYPE_NAMES_BY_TAG = {"integer": "integer", "real": "real number", "date": "date", "data": "base64 data"}


def check_tree(root: object, name: str, *, what: str = "plist", leaves: tuple[type, ...] = _LEAF_TYPES) -> None:
    """Count every object once per use and bound the depth, before anything else walks the tree.

    A binary plist may reference one array from two places at each of 40 levels (2**40 leaves
    from a few hundred bytes) or reference itself; plistlib returns the shared or cyclic Python
    objects. Counting children before pushing them keeps this walk itself bounded. ``what`` names
    the format in messages; ``leaves`` are the scalar types allowed (JSON adds ``null``).
    """
    stack: list[tuple[object, int]] = [(root, 0)]
    count = 1
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            if depth >= MAX_DEPTH:
                raise ParseError(f"{name}: {what} nested deeper than {MAX_DEPTH} levels")
            count += len(value)
            if count > MAX_OBJECTS:
                raise ParseError(f"{name}: {what} holds more than {MAX_OBJECTS} objects")
            if isinstance(value, dict):
                if not all(isinstance(key, str) for key in value):
                    raise ParseError(f"{name}: {what} dictionary key is not a string")
                stack.extend((child, depth + 1) for child in value.values())
            else:
                stack.extend((child, depth + 1) for child in value)
        elif not isinstance(value, leaves):
            raise ParseError(f"{name}: unsupported {what} object ({_type_name(value)})")


_FAILED_STATUSES = frozenset({"Error", "CommandFormatError", "Idle", "NotNow"})


def _answer(data: bytes, name: str, kind: type[_T]) -> _T:
    """Load one answer and check its top-level type and, for commands, that it was acknowledged."""
    at = _At(name)
    answer = _expect(_load(data, name), kind, at)
    if isinstance(answer, dict) and answer.get("Status", "Acknowledged") != "Acknowledged":
        status = answer["Status"]
        if status in _FAILED_STATUSES:
            raise at.error(f"the command failed (Status {status})")
        raise at.error("the command was not acknowledged (unexpected Status)")
    return answer


def _config(tree: dict[str, Any], at: _At) -> AppConfig:
    """A plist dictionary as :class:`AppConfig` (types per :mod:`simulator.appconfig`)."""
    _check_arrays(tree, at)
    return AppConfig(tree)


def _check_arrays(value: object, at: _At) -> None:
    """AppConfig holds arrays of dictionaries or arrays of values, not a mix of both."""
    if isinstance(value, dict):
        for key, child in value.items():
            _check_arrays(child, at / key)
    elif isinstance(value, list):
        dicts = sum(isinstance(child, dict) for child in value)
        if 0 < dicts < len(value):
            raise at.error("array mixes dictionaries and other values")
        for index, child in enumerate(value):
            _check_arrays(child, at / index)


# ---------------------------------------------------------------------------------------------
# What the device tells (lockdown, installation_proxy, MCInstall)
# ---------------------------------------------------------------------------------------------


def parse_lockdown_values(data: bytes, *, name: str) -> Identity:
    """Lockdown ``all_values``: model (``ProductType``), OS version, UDID, serial, device name.

    The EMM user is not part of what lockdown knows, so ``user_name``/``user_email`` stay empty.
    """
    values = _answer(data, name, dict)
    at = _At(name)
    return Identity(
        model=_required(values, "ProductType", str, at),
        manufacturer="Apple",
        os_version=_required(values, "ProductVersion", str, at),
        serial=_required(values, "SerialNumber", str, at),
        udid=_required(values, "UniqueDeviceID", str, at),
        device_name=_required(values, "DeviceName", str, at),
    )


def parse_installed_apps(data: bytes, *, name: str) -> dict[str, AppInfo]:
    """installation_proxy ``Browse`` (an array of app dictionaries) -> apps by bundle id.

    The version is ``CFBundleShortVersionString`` (what the App Store shows), else
    ``CFBundleVersion``; the name ``CFBundleDisplayName``, else ``CFBundleName``; either may be
    missing for some system apps and then reads as ``""``.
    """
    apps: dict[str, AppInfo] = {}
    at = _At(name)
    for index, item in enumerate(_answer(data, name, list)):
        where = at / index
        entry = _expect(item, dict, where)
        bundle_id = _required(entry, "CFBundleIdentifier", str, where)
        if bundle_id in apps:
            raise where.error(f"duplicate CFBundleIdentifier {_show(bundle_id)}")
        version = _optional(entry, "CFBundleVersion", str, where, "")
        display_name = _optional(entry, "CFBundleName", str, where, "")
        apps[bundle_id] = AppInfo(
            bundle_id,
            _optional(entry, "CFBundleShortVersionString", str, where, version),
            _optional(entry, "CFBundleDisplayName", str, where, display_name),
        )
    return apps


def parse_profile_list(data: bytes, *, name: str) -> list[IOSProfile]:
    """MCInstall ``GetProfileList`` -> the installed profiles, in ``OrderedIdentifiers`` order.

    The answer (pymobiledevice3 ``MobileConfigService.get_profile_list``; field names as go-ios
    ``mcinstall.ProfileMetadata`` reads them) is ``{OrderedIdentifiers: [id],
    ProfileManifest: {id: {Description, IsActive}}, ProfileMetadata: {id: {PayloadDisplayName,
    PayloadUUID, PayloadVersion, PayloadRemovalDisallowed, PayloadDescription?}}, Status}``. It is
    metadata only: it names no payload types and does not say who installed a profile, so the
    profiles have empty ``payload_types``, no ``sso_extension`` and ``managed=False`` ("not known
    to be managed"); the MDM's ``ProfileList`` (:func:`parse_mdm_profile_list`) tells those.
    ``ProfileManifest`` (whether a profile is active) is not modelled.
    """
    answer = _answer(data, name, dict)
    at = _At(name)
    identifiers = _required(answer, "OrderedIdentifiers", list, at)
    metadata = _required(answer, "ProfileMetadata", dict, at)
    profiles = []
    for index, item in enumerate(identifiers):
        identifier = _expect(item, str, at / "OrderedIdentifiers" / index)
        entry = _required(metadata, identifier, dict, at / "ProfileMetadata")
        where = at / "ProfileMetadata" / identifier
        display_name = _optional(entry, "PayloadDisplayName", str, where, "")
        profiles.append(IOSProfile(identifier, display_name, (), managed=False))
    return profiles


def parse_cloud_configuration(data: bytes, *, name: str) -> bool:
    """MCInstall ``GetCloudConfiguration`` -> whether the device is supervised (``IsSupervised``).

    Accepts the cloud configuration dictionary pymobiledevice3 returns, or the raw MCInstall
    answer around it (``{CloudConfiguration: {...}, Status}``). A device never set up through
    Apple Configurator or Automated Device Enrollment has no ``IsSupervised`` key: not supervised.
    """
    answer = _answer(data, name, dict)
    at = _At(name)
    if "CloudConfiguration" in answer:
        at = at / "CloudConfiguration"
        answer = _expect(answer["CloudConfiguration"], dict, at)
    return _optional(answer, "IsSupervised", bool, at, False)


# ---------------------------------------------------------------------------------------------
# What only the MDM knows (Apple MDM command responses)
# ---------------------------------------------------------------------------------------------


#: ``ProfileList`` item ``Source`` of a profile that declarative device management installed.
DECLARATIVE_SOURCE = "Declarative Device Management"


def parse_mdm_profile_list(data: bytes, *, name: str) -> list[IOSProfile]:
    """The MDM ``ProfileList`` command response -> profiles with their payload types.

    Apple ``mdm/commands/profile.list.yaml``: ``ProfileList`` is an array of
    ``{PayloadIdentifier, PayloadUUID, PayloadDisplayName?, IsManaged?, PayloadContent?:
    [{PayloadType, PayloadIdentifier, PayloadUUID, ...}]}`` (``PayloadContent`` is absent for an
    encrypted profile). ``IsManaged`` defaults to false, as Apple documents; note that Apple
    also says the device omits it on supervised devices.

    A profile with a ``com.apple.extensiblesso`` payload gets an :class:`SSOExtension`, but
    ``ProfileList`` reports payload types, not payload contents: the extension identifier,
    team, realm, hosts and extension data are not in the answer, so the extension keeps the
    model's defaults (Okta's Credential extension, no hosts) and says that its extension data
    is unknown (``data_known=False``). ``Source`` = ``Declarative Device Management`` (iOS 18+)
    marks a profile installed through declarative device management.
    """
    answer = _answer(data, name, dict)
    at = _At(name)
    profiles = []
    for index, item in enumerate(_required(answer, "ProfileList", list, at)):
        where = at / "ProfileList" / index
        entry = _expect(item, dict, where)
        payload_types = _payload_types(entry, where)
        profiles.append(
            IOSProfile(
                identifier=_required(entry, "PayloadIdentifier", str, where),
                display_name=_optional(entry, "PayloadDisplayName", str, where, ""),
                payload_types=payload_types,
                sso_extension=SSOExtension(data_known=False) if PAYLOAD_EXTENSIBLE_SSO in payload_types else None,
                managed=_optional(entry, "IsManaged", bool, where, False),
                declarative=_optional(entry, "Source", str, where, "") == DECLARATIVE_SOURCE,
            )
        )
    return profiles


def _payload_types(profile: dict[str, Any], at: _At) -> tuple[str, ...]:
    types = []
    for index, item in enumerate(_optional(profile, "PayloadContent", list, at, [])):
        where = at / "PayloadContent" / index
        types.append(_required(_expect(item, dict, where), "PayloadType", str, where))
    return tuple(types)


def is_user_enrollment(data: bytes, *, name: str) -> bool:
    """Whether an MDM command response comes from a User Enrollment.

    Apple's command responses carry ``UDID``, or on a User Enrollment ``EnrollmentID`` ("a
    per-enrollment device identifier for user enrollment") and ``EnrollmentUserID`` instead: the
    MDM of a User Enrollment never learns the UDID. An answer made from an EMM export has neither.
    """
    answer = _answer(data, name, dict)
    return "EnrollmentID" in answer and "UDID" not in answer


def parse_managed_application_list(data: bytes, *, name: str) -> dict[str, ManagedAppStatus]:
    """The MDM ``ManagedApplicationList`` command response -> status per bundle id.

    Apple ``mdm/commands/application.managed.list.yaml``: ``ManagedApplicationList`` is a
    dictionary from bundle id to ``{Status, ManagementFlags, HasConfiguration, HasFeedback,
    IsValidated, ExternalVersionIdentifier, UnusedRedemptionCode}``; only ``Status`` is required
    here. Statuses are kept as reported (new ones included); :func:`app_origin` interprets them.
    """
    at = _At(name)
    apps = _required(_answer(data, name, dict), "ManagedApplicationList", dict, at)
    statuses = {}
    for bundle_id, item in apps.items():
        where = at / "ManagedApplicationList" / bundle_id
        entry = _expect(item, dict, where)
        statuses[bundle_id] = ManagedAppStatus(
            status=_required(entry, "Status", str, where),
            management_flags=_optional(entry, "ManagementFlags", int, where, 0),
            has_configuration=_optional(entry, "HasConfiguration", bool, where, False),
            has_feedback=_optional(entry, "HasFeedback", bool, where, False),
            is_validated=_optional(entry, "IsValidated", bool, where, False),
            external_version_identifier=_optional(entry, "ExternalVersionIdentifier", int, where, None),
        )
    return statuses


def parse_managed_application_configuration(data: bytes, *, name: str) -> dict[str, AppConfig]:
    """The MDM ``ManagedApplicationConfiguration`` response -> configuration per identifier.

    Apple ``mdm/commands/managed.application.configuration.yaml``: ``ApplicationConfigurations``
    is an array of ``{Identifier, Configuration?}``; an app without configuration has no
    ``Configuration`` key and is left out of the result, so the result reads like
    :attr:`IOSDevice.managed_config` (an identifier absent = nothing configured). The identifier
    is the preference domain the app (``com.okta.mobile``) or its extension reads.
    """
    answer = _answer(data, name, dict)
    at = _At(name)
    configs: dict[str, AppConfig] = {}
    seen: set[str] = set()
    for index, item in enumerate(_required(answer, "ApplicationConfigurations", list, at)):
        where = at / "ApplicationConfigurations" / index
        entry = _expect(item, dict, where)
        identifier = _required(entry, "Identifier", str, where)
        if identifier in seen:
            raise where.error(f"duplicate Identifier {_show(identifier)}")
        seen.add(identifier)
        if "Configuration" in entry:
            configs[identifier] = _config(_required(entry, "Configuration", dict, where), where / "Configuration")
    return configs


# ---------------------------------------------------------------------------------------------
# A configuration export an admin may hand us
# ---------------------------------------------------------------------------------------------


def parse_intune_ios_xml(data: bytes, *, name: str) -> AppConfig:
    """An Intune iOS app configuration policy in XML format -> its configuration.

    Intune's "Enter XML data" editor takes the dictionary alone, with no plist header:
    ``<dict><key>managementHint</key><string>...</string></dict>`` (DOMAIN.md §7), with the
    value elements of a property list (``<string>``, ``<integer>``, ``<real>``, ``<true/>``,
    ``<false/>``, ``<date>``, ``<array>``, nested ``<dict>``; Microsoft Learn, "Add app
    configuration policies for managed iOS/iPadOS devices"). A full plist document around the
    dictionary is accepted too. Tokens such as ``{{serialnumber}}`` are kept as literal text,
    as the file holds them. Duplicate keys are refused (Intune would keep only one).
    """
    _check_size(data, name)
    tree = _load_xml(data, name)
    check_tree(tree, name)
    return _config(_expect(tree, dict, _At(name)), _At(name))


def load_plist(data: bytes, *, name: str) -> Any:
    """Any plist (XML, a bare Intune ``<dict>``, or binary), bounded and checked like an answer."""
    return _load(data, name)


def parse_configuration_profile(data: bytes, *, name: str) -> IOSProfile:
    """A configuration profile (``.mobileconfig`` content) -> the profile with its payload types.

    Apple ``profiles/TopLevel.yaml``: ``{PayloadType: Configuration, PayloadIdentifier,
    PayloadUUID, PayloadDisplayName?, PayloadContent: [{PayloadType, PayloadIdentifier, ...}]}``.
    A ``com.apple.extensiblesso`` payload (Apple ``profiles/com.apple.extensiblesso.yaml``) gives
    the :class:`SSOExtension` with what ``ProfileList`` cannot tell: ``ExtensionIdentifier``,
    ``TeamIdentifier``, ``Type``, ``Realm``, ``Hosts`` and the ``ExtensionData`` dictionary the
    extension (and, through it, Okta Verify) reads. With several SSO payloads, the one for Okta's
    extension wins, else the first. Whether the MDM installed it (``managed``) is not in the
    file: it reads as managed, since the MDM holds it.
    """
    profile = _answer(data, name, dict)
    at = _At(name)
    if _required(profile, "PayloadType", str, at) != "Configuration":
        raise (at / "PayloadType").error("expected a profile (PayloadType Configuration)")
    payloads = _optional(profile, "PayloadContent", list, at, [])
    types: list[str] = []
    extensions: list[SSOExtension] = []
    for index, item in enumerate(payloads):
        where = at / "PayloadContent" / index
        payload = _expect(item, dict, where)
        payload_type = _required(payload, "PayloadType", str, where)
        types.append(payload_type)
        if payload_type == PAYLOAD_EXTENSIBLE_SSO:
            extensions.append(_sso_extension(payload, where))
    okta = [e for e in extensions if e.extension_identifier == OKTA_SSO_EXTENSION_IOS]
    chosen = (okta or extensions)[0] if extensions else None
    return IOSProfile(
        identifier=_required(profile, "PayloadIdentifier", str, at),
        display_name=_optional(profile, "PayloadDisplayName", str, at, ""),
        payload_types=tuple(types),
        sso_extension=chosen,
        managed=True,
    )


def _sso_extension(payload: dict[str, Any], at: _At) -> SSOExtension:
    hosts = _optional(payload, "Hosts", list, at, [])
    data = _optional(payload, "ExtensionData", dict, at, {})
    return SSOExtension(
        extension_identifier=_required(payload, "ExtensionIdentifier", str, at),
        team_identifier=_optional(payload, "TeamIdentifier", str, at, ""),
        type=_required(payload, "Type", str, at),
        realm=_optional(payload, "Realm", str, at, ""),
        hosts=tuple(_expect(host, str, at / "Hosts" / i) for i, host in enumerate(hosts)),
        extension_data=_config(data, at / "ExtensionData"),
    )


# ---------------------------------------------------------------------------------------------
# Builders: the answers a device (and its MDM) would give, for tests and fixture makers
# ---------------------------------------------------------------------------------------------

_UUID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_DNS, "attestlab.invalid")
_DISPLAY_NAMES = {OKTA_VERIFY_IOS: "Okta Verify"}


def _uuid(*parts: str) -> str:
    """A stable upper-case UUID, as Apple prints them, so that builders are deterministic."""
    return str(uuid.uuid5(_UUID_NAMESPACE, "\0".join(parts))).upper()


def _command_response(device: IOSDevice, request_type: str, body: dict[str, Any]) -> dict[str, Any]:
    """An MDM command response: the answer keys plus ``CommandUUID``, ``Status`` and ``UDID``, or
    on a User Enrollment ``EnrollmentID``/``EnrollmentUserID`` instead (the MDM never sees a UDID)."""
    udid = device.identity.udid
    if device.user_enrollment:
        who = {"EnrollmentID": _uuid(udid, "enrollment"), "EnrollmentUserID": _uuid(udid, "enrollment-user")}
    else:
        who = {"UDID": udid}
    return {"CommandUUID": _uuid(udid, request_type), "Status": "Acknowledged"} | who | body


def lockdown_answer(device: IOSDevice) -> dict[str, Any]:
    """Lockdown ``all_values``, with the keys attestlab reads and a few that always come along."""
    identity = device.identity
    return {
        "ActivationState": "Activated",
        "DeviceClass": "iPhone",
        "DeviceName": identity.device_name,
        "ProductName": "iPhone OS",
        "ProductType": identity.model,
        "ProductVersion": identity.os_version,
        "SerialNumber": identity.serial,
        "UniqueDeviceID": identity.udid,
    }


def installed_apps_answer(device: IOSDevice) -> list[dict[str, Any]]:
    """installation_proxy ``Browse``: one dictionary per app; nothing in it says "managed"."""
    return [
        {
            "ApplicationType": "User",
            "CFBundleDisplayName": _DISPLAY_NAMES.get(app.bundle_id, app.bundle_id.split(".")[-1]),
            "CFBundleIdentifier": app.bundle_id,
            "CFBundleShortVersionString": app.version,
            "CFBundleVersion": app.version,
        }
        for app in device.apps.values()
    ]


def profile_list_answer(device: IOSDevice) -> dict[str, Any]:
    """MCInstall ``GetProfileList``: identifiers, manifest and metadata; no payload types."""
    profiles = device.profiles
    return {
        "OrderedIdentifiers": [p.identifier for p in profiles],
        "ProfileManifest": {p.identifier: {"Description": p.display_name, "IsActive": True} for p in profiles},
        "ProfileMetadata": {
            p.identifier: {
                "PayloadDisplayName": p.display_name,
                "PayloadRemovalDisallowed": False,
                "PayloadUUID": _uuid(p.identifier),
                "PayloadVersion": 1,
            }
            for p in profiles
        },
        "Status": "Acknowledged",
    }


def cloud_configuration_answer(device: IOSDevice) -> dict[str, Any]:
    """MCInstall ``GetCloudConfiguration`` as pymobiledevice3 returns it (the inner dictionary)."""
    return {
        "AllowPairing": True,
        "CloudConfigurationUIComplete": True,
        "IsSupervised": device.supervised,
    }


def mdm_profile_list_answer(device: IOSDevice) -> dict[str, Any]:
    """The MDM ``ProfileList`` response: each profile with one payload per payload type.

    ``IsManaged`` is always reported, as on an unsupervised device.
    """
    return _command_response(
        device,
        "ProfileList",
        {
            "ProfileList": [
                {
                    "HasRemovalPasscode": False,
                    "IsEncrypted": False,
                    "IsManaged": profile.managed,
                    "PayloadContent": [
                        {
                            "PayloadIdentifier": f"{payload_type}.{_uuid(profile.identifier, str(i))}",
                            "PayloadType": payload_type,
                            "PayloadUUID": _uuid(profile.identifier, str(i)),
                            "PayloadVersion": 1,
                        }
                        for i, payload_type in enumerate(profile.payload_types)
                    ],
                    "PayloadDisplayName": profile.display_name,
                    "PayloadIdentifier": profile.identifier,
                    "PayloadRemovalDisallowed": False,
                    "PayloadUUID": _uuid(profile.identifier),
                    "PayloadVersion": 1,
                    **({"Source": DECLARATIVE_SOURCE} if profile.declarative else {}),
                }
                for profile in device.profiles
            ]
        },
    )


def managed_application_list_answer(device: IOSDevice) -> dict[str, Any]:
    """The MDM ``ManagedApplicationList`` response for every app of the device.

    The model's apps are the ones the MDM knows of: its own, and the user's copies it tried to
    install or take over (``UserInstalledApp``, ``ManagementRejected``). A taken-over app
    reports ``Managed``, like one the MDM installed. ``ManagementFlags`` 1 = remove the app with
    the MDM profile, the usual choice for managed apps.
    """
    return _command_response(
        device,
        "ManagedApplicationList",
        {
            "ManagedApplicationList": {
                app.bundle_id: {
                    "HasConfiguration": app.managed and app.bundle_id in device.managed_config,
                    "HasFeedback": False,
                    "IsValidated": True,
                    "ManagementFlags": 1 if app.managed else 0,
                    "Status": app.mdm_status,
                }
                for app in device.apps.values()
                if app.origin is not AppOrigin.DECLARATIVE  # "doesn't include apps that DDM manages"
            }
        },
    )


def managed_application_configuration_answer(device: IOSDevice, identifiers: Iterable[str]) -> dict[str, Any]:
    """The MDM ``ManagedApplicationConfiguration`` response for the requested identifiers.

    An identifier without managed configuration is listed without a ``Configuration`` key.
    """
    items: list[dict[str, Any]] = []
    for identifier in identifiers:
        item: dict[str, Any] = {"Identifier": identifier}
        if identifier in device.managed_config:
            item["Configuration"] = device.managed_config[identifier].to_plain()
        items.append(item)
    return _command_response(device, "ManagedApplicationConfiguration", {"ApplicationConfigurations": items})
