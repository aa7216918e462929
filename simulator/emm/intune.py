"""Microsoft Intune, with the settings the admin guide names (DOMAIN.md §7).

The configuration can be given as the configuration designer's key/value rows, as the Android
managed-configuration JSON, or as the iOS XML ``<dict>``; the last two are parsed here so that an
admin's real export can be replayed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, ClassVar

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from simulator.device import AnyDevice
from simulator.emm.base import EMM
from simulator.emm.lookups import INTUNE_TOKEN, intune_values, substitute
from simulator.errors import ConfigError

MAX_POLICY_BYTES = 1 << 20


class EnrollmentType(StrEnum):
    """App configuration policy "Device enrollment type"."""

    MANAGED_DEVICES = "managed_devices"  # delivered as managed app configuration: Okta Verify sees it
    MANAGED_APPS = "managed_apps"  # App SDK (MAM) channel: not a managed configuration


@dataclass(slots=True, repr=False)
class Intune(EMM):
    provider: ClassVar[str] = "Microsoft Intune"
    # Intune moved personally-owned work profiles to Android Device Policy (AMAPI) in 2026.
    android_dpc: ClassVar[str] = (
        "com.google.android.apps.work.clouddpc/"
        "com.google.android.apps.work.clouddpc.receivers.CloudDeviceAdminReceiver"
    )
    mdm_profile_name: ClassVar[str] = "Management Profile"

    enrollment_type: EnrollmentType = EnrollmentType.MANAGED_DEVICES
    #: Okta Verify is a required app (installed automatically) rather than available.
    required: bool = True

    def delivers_app(self, device: AnyDevice) -> bool:
        return self.required

    def delivers_configuration(self, device: AnyDevice) -> bool:
        return self.enrollment_type is EnrollmentType.MANAGED_DEVICES

    def resolve(self, value: str, device: AnyDevice) -> str:
        return substitute(value, INTUNE_TOKEN, intune_values(device.identity, self.custom_values))


def parse_android_json(text: str, *, name: str) -> dict[str, Any]:
    """Intune's Android "Enter JSON data" (``androidenterprise#managedConfiguration``)."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{name}: not JSON (line {exc.lineno}, column {exc.colno})") from None
    if not isinstance(doc, Mapping) or not isinstance(doc.get("managedProperty"), list):
        raise ConfigError(f"{name}: expected an object with a 'managedProperty' list")
    config: dict[str, Any] = {}
    for index, prop in enumerate(doc["managedProperty"]):
        if not isinstance(prop, Mapping) or not isinstance(prop.get("key"), str):
            raise ConfigError(f"{name}: managedProperty[{index}] has no string 'key'")
        values = [k for k in prop if k.startswith("value")]
        if len(values) != 1:
            raise ConfigError(f"{name}: managedProperty[{index}] ({prop['key']}) needs exactly one value* field")
        value = prop[values[0]]
        config[prop["key"]] = tuple(value) if values[0] == "valueStringArray" else value
    return config


_XML_SCALARS = {"string": str, "integer": int}


def parse_ios_xml(text: str, *, name: str) -> dict[str, Any]:
    """Intune's iOS "Enter XML data": a bare ``<dict>`` of plist keys and values."""
    if len(text.encode("utf-8")) > MAX_POLICY_BYTES:
        raise ConfigError(f"{name}: larger than {MAX_POLICY_BYTES} bytes")
    try:
        root = SafeET.fromstring(text, forbid_dtd=True)
    except (SafeET.ParseError, DefusedXmlException) as exc:
        raise ConfigError(f"{name}: not acceptable XML ({type(exc).__name__})") from None
    if root.tag != "dict":
        raise ConfigError(f"{name}: the root element must be <dict>, not <{root.tag}>")
    return _plist_dict(root, name)


def _plist_dict(element: Any, name: str) -> dict[str, Any]:
    children = list(element)
    if len(children) % 2:
        raise ConfigError(f"{name}: <dict> has a <key> without a value")
    result: dict[str, Any] = {}
    for key_el, value_el in zip(children[::2], children[1::2], strict=True):
        if key_el.tag != "key":
            raise ConfigError(f"{name}: expected <key>, found <{key_el.tag}>")
        key = key_el.text or ""
        if key in result:
            raise ConfigError(f"{name}: key {key!r} appears twice")
        result[key] = _plist_value(value_el, name, key)
    return result


def _plist_value(element: Any, name: str, key: str) -> Any:
    tag = element.tag
    if tag in _XML_SCALARS:
        try:
            return _XML_SCALARS[tag](element.text or "")
        except ValueError:
            raise ConfigError(f"{name}: key {key!r} has a malformed <{tag}>") from None
    if tag in ("true", "false"):
        return tag == "true"
    if tag == "dict":
        return _plist_dict(element, name)
    if tag == "array":
        items = [_plist_value(child, name, key) for child in element]
        return items if items and all(isinstance(i, dict) for i in items) else tuple(items)
    raise ConfigError(f"{name}: key {key!r} has an unsupported value type <{tag}>")
