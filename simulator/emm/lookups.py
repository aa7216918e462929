"""Lookup values (Workspace ONE) and tokens (Intune) in configuration values.

Both EMMs replace placeholders with facts about the enrolled device or user before delivery.
A placeholder the EMM cannot resolve arrives on the device as its literal text (DOMAIN.md §7),
which is why :func:`find_unresolved` exists: such a value must be treated as not configured.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping

from simulator.device import AnyDevice, Identity, IOSDevice

#: Workspace ONE UEM lookup values: ``{EnrollmentUser}``, ``{CustomAttribute3}``...
WS1_LOOKUP = re.compile(r"(?<!\{)\{([A-Za-z][A-Za-z0-9]*)\}(?!\})")
#: Intune tokens: ``{{userprincipalname}}``, ``{{deviceid}}``...
INTUNE_TOKEN = re.compile(r"\{\{([A-Za-z][A-Za-z0-9_]*)\}\}")


def lookup_identity(device: AnyDevice) -> Identity:
    """What the EMM knows of the device: on an iOS User Enrollment no serial number and no UDID
    (the enrollment gets an anonymous enrollment id instead), so lookups of them stay unresolved."""
    if isinstance(device, IOSDevice) and device.user_enrollment:
        return dataclasses.replace(device.identity, serial="", udid="")
    return device.identity


def ws1_values(identity: Identity, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The lookup values Workspace ONE knows for a device (custom attributes come from ``extra``)."""
    values = {
        "EnrollmentUser": identity.user_name,
        "EmailAddress": identity.user_email,
        "UserPrincipalName": identity.user_principal_name,
        "DeviceSerialNumber": identity.serial,
        "DeviceUid": identity.udid,
    }
    values.update(extra or {})
    return {k: v for k, v in values.items() if v}


def intune_values(identity: Identity, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The tokens Intune knows for a device (lower-case names, as Intune spells them)."""
    values = {
        "userprincipalname": identity.user_principal_name,
        "mail": identity.user_email,
        "partialupn": identity.user_principal_name.split("@", 1)[0],
        "username": identity.user_name,
        "deviceid": identity.udid,
        "serialnumber": identity.serial,
        "devicename": identity.device_name,
    }
    values.update({k.lower(): v for k, v in (extra or {}).items()})
    return {k: v for k, v in values.items() if v}


def substitute(value: str, pattern: re.Pattern[str], values: Mapping[str, str]) -> str:
    """Replace every known placeholder; leave unknown ones as their literal text."""
    return pattern.sub(lambda m: values.get(m.group(1), m.group(0)), value)


def find_unresolved(value: str) -> list[str]:
    """Placeholders of either EMM still present in a delivered value, as literal text."""
    return [m.group(0) for m in INTUNE_TOKEN.finditer(value)] + [m.group(0) for m in WS1_LOOKUP.finditer(value)]
