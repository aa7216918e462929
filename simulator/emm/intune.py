"""Microsoft Intune, with the settings the admin guide names (DOMAIN.md §7).

The configuration can be given as the configuration designer's key/value rows, as the Android
managed-configuration JSON, or as the iOS XML ``<dict>``. The Android JSON is parsed here
(:func:`parse_android_json`) so that an admin's real export can be replayed; the iOS XML is a
property list, read by the one hardened plist reader,
:func:`harness.parsers.ios_plists.parse_intune_ios_xml`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, ClassVar

from simulator.device import AnyDevice
from simulator.emm.base import EMM, AndroidMode
from simulator.emm.lookups import INTUNE_TOKEN, intune_values, lookup_identity, substitute
from simulator.errors import ConfigError
from simulator.jsonfile import load_json
from simulator.secret import shown


class EnrollmentType(StrEnum):
    """App configuration policy "Device enrollment type"."""

    MANAGED_DEVICES = "managed_devices"  # delivered as managed app configuration: Okta Verify sees it
    MANAGED_APPS = "managed_apps"  # App SDK (MAM) channel: not a managed configuration


COMPANY_PORTAL = "com.microsoft.windowsintune.companyportal/com.microsoft.omadm.client.PolicyManagerReceiver"
ANDROID_DEVICE_POLICY = (
    "com.google.android.apps.work.clouddpc/com.google.android.apps.work.clouddpc.receivers.CloudDeviceAdminReceiver"
)


@dataclass(slots=True, repr=False)
class Intune(EMM):
    """Microsoft Intune: Company Portal enrollments, Okta Verify as a required app."""

    provider: ClassVar[str] = "Microsoft Intune"
    mdm_profile_name: ClassVar[str] = "Management Profile"
    enrollment_link: ClassVar[str] = "https://portal.manage.microsoft.com/"  # the Company Portal website

    enrollment_type: EnrollmentType = EnrollmentType.MANAGED_DEVICES
    #: Okta Verify is a required app (installed automatically) rather than available.
    required: bool = True

    def android_controller(self, mode: AndroidMode) -> str:
        """Company Portal runs personally owned work profiles (Microsoft Learn, "Enroll device
        and create Android work profile"; its admin receiver as the Zebra StageNow enrollment
        guide names it); corporate-owned modes are Android Management API enrollments, run by
        Android Device Policy, the controller of every AMAPI EMM (DOMAIN.md §5)."""
        return COMPANY_PORTAL if mode is AndroidMode.WORK_PROFILE else ANDROID_DEVICE_POLICY

    def delivers_app(self, device: AnyDevice) -> bool:
        return self.required

    def delivers_configuration(self, device: AnyDevice) -> bool:
        return self.enrollment_type is EnrollmentType.MANAGED_DEVICES

    def resolve(self, value: str, device: AnyDevice) -> str:
        return substitute(value, INTUNE_TOKEN, intune_values(lookup_identity(device), self.custom_values))


def parse_android_json(text: str, *, name: str) -> dict[str, Any]:
    """Intune's Android "Enter JSON data" (``androidenterprise#managedConfiguration``)."""
    doc = load_json(text, name=name, error=ConfigError)
    if not isinstance(doc, Mapping) or not isinstance(doc.get("managedProperty"), list):
        raise ConfigError(f"{name}: expected an object with a 'managedProperty' list")
    config: dict[str, Any] = {}
    for index, prop in enumerate(doc["managedProperty"]):
        if not isinstance(prop, Mapping) or not isinstance(prop.get("key"), str):
            raise ConfigError(f"{name}: managedProperty[{index}] has no string 'key'")
        values = [k for k in prop if k.startswith("value")]
        if len(values) != 1:
            raise ConfigError(f"{name}: managedProperty[{index}] ({shown(prop['key'])}) needs exactly one value* field")
        value = prop[values[0]]
        config[prop["key"]] = tuple(value) if values[0] == "valueStringArray" else value
    return config
