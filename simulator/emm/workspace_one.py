"""VMware (Omnissa) Workspace ONE UEM, with the settings the admin guide names (DOMAIN.md §7)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar

from simulator.device import AnyDevice
from simulator.emm.base import EMM
from simulator.emm.lookups import WS1_LOOKUP, substitute, ws1_values


class Delivery(StrEnum):
    AUTOMATIC = "automatic"  # Android "Automatic", iOS "Auto"
    ON_DEMAND = "on_demand"


@dataclass(slots=True, repr=False)
class WorkspaceOne(EMM):
    """Okta Verify assigned in Workspace ONE UEM.

    ``managed_access`` must be enabled for the app configuration to be sent (model: the guide
    lists it with the configuration settings); ``send_configuration`` is the iOS switch.
    """

    provider: ClassVar[str] = "Workspace ONE UEM"
    # (model) Intelligent Hub's admin receiver; what `dumpsys device_policy` names on WS1 devices.
    android_dpc: ClassVar[str] = "com.airwatch.androidagent/com.airwatch.agent.DeviceAdministratorReceiver"
    mdm_profile_name: ClassVar[str] = "Workspace ONE MDM Profile"

    delivery: Delivery = Delivery.AUTOMATIC
    managed_access: bool = True
    send_configuration: bool = True

    def delivers_app(self, device: AnyDevice) -> bool:
        return self.delivery is Delivery.AUTOMATIC

    def delivers_configuration(self, device: AnyDevice) -> bool:
        if device.platform.value == "ios":
            return self.managed_access and self.send_configuration
        return self.managed_access

    def resolve(self, value: str, device: AnyDevice) -> str:
        return substitute(value, WS1_LOOKUP, ws1_values(device.identity, self.custom_values))
