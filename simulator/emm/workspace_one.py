"""VMware (Omnissa) Workspace ONE UEM, with the settings the admin guide names (DOMAIN.md §7)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar

from simulator.device import AnyDevice
from simulator.emm.base import EMM, AndroidMode
from simulator.emm.lookups import WS1_LOOKUP, lookup_identity, substitute, ws1_values

#: (model) Intelligent Hub's admin receiver; what ``dumpsys device_policy`` names on WS1 devices.
INTELLIGENT_HUB = "com.airwatch.androidagent/com.airwatch.agent.DeviceAdministratorReceiver"


class Delivery(StrEnum):
    AUTOMATIC = "automatic"  # Android "Automatic", iOS "Auto"
    ON_DEMAND = "on_demand"


@dataclass(slots=True, repr=False)
class WorkspaceOne(EMM):
    """Okta Verify assigned in Workspace ONE UEM.

    ``send_configuration`` is the iOS switch for the app configuration. ``managed_access`` is
    kept as the console has it, but decides nothing here: Managed Access is about reaching the
    app through Workspace ONE (Hub, access policies), not about delivering its configuration
    (DOMAIN.md §7).
    """

    provider: ClassVar[str] = "Workspace ONE UEM"
    mdm_profile_name: ClassVar[str] = "Workspace ONE MDM Profile"
    enrollment_link: ClassVar[str] = "https://getwsone.com/"  # Intelligent Hub's download page

    delivery: Delivery = Delivery.AUTOMATIC
    managed_access: bool = True
    send_configuration: bool = True

    def android_controller(self, mode: AndroidMode) -> str:
        return INTELLIGENT_HUB  # the same DPC as profile owner and as device owner

    def delivers_app(self, device: AnyDevice) -> bool:
        return self.delivery is Delivery.AUTOMATIC

    def delivers_configuration(self, device: AnyDevice) -> bool:
        return device.platform.value != "ios" or self.send_configuration

    def resolve(self, value: str, device: AnyDevice) -> str:
        return substitute(value, WS1_LOOKUP, ws1_values(lookup_identity(device), self.custom_values))
