"""What every EMM does to a phone, whatever its console calls the settings.

Android, in the device mode the enrollment chose (:class:`AndroidMode`): on a personally owned
device the EMM's device policy controller becomes the profile owner of a new managed work
profile, installs Okta Verify *into that profile* and sets its application restrictions there
(configuration for a copy in another profile is never seen); on a fully managed (company-owned)
device it is the device owner and manages user 0 itself; COPE is both (Android 8-10: a device
owner and a work profile; from Android 11 a work profile whose owner is marked organization-owned,
with no device owner: AOSP ``OwnersData`` ``isPoOrganizationOwnedDevice``).

iOS: the device enrolls with an MDM profile; the MDM installs Okta Verify (``InstallApplication``)
or takes over a copy the user installed (``ChangeManagementState: Managed``) when told to, sends
the managed configuration to the app (Apple MDM app configuration targets a managed app's bundle
id, so only ``com.okta.mobile`` can receive it: the SSO extension is not a managed app), and
installs the Credential SSO extension profile, optionally with the hint in its extension data. An
unmanaged app receives no configuration. On a User Enrollment (BYOD) the MDM cannot take over an
app the user installed.
"""

from __future__ import annotations

import logging
import re
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar

from simulator.appconfig import AppConfig
from simulator.device import (
    AndroidDevice,
    AnyDevice,
    AppOrigin,
    IOSDevice,
    IOSProfile,
    SSOExtension,
)
from simulator.ids import (
    MANAGEMENT_HINT,
    OKTA_SSO_REALM,
    OKTA_TEAM_ID,
    OKTA_VERIFY_ANDROID,
    OKTA_VERIFY_IOS,
    PAYLOAD_EXTENSIBLE_SSO,
    PAYLOAD_MDM,
)

log = logging.getLogger("simulator.emm")


class AndroidMode(StrEnum):
    """How the device was enrolled (Android Enterprise solution sets)."""

    WORK_PROFILE = "work_profile"  # personally owned: a work profile, the DPC its profile owner
    FULLY_MANAGED = "fully_managed"  # company owned: the DPC is the device owner, in user 0
    COPE = "cope"  # company owned with a work profile


#: First API level where a company-owned work profile has no device owner (Android 11).
_COPE_WITHOUT_DEVICE_OWNER_SDK = 30


@dataclass(slots=True)
class IOSAppSettings:
    """iOS app assignment settings both EMMs have, under their own names."""

    #: Take over a copy the user installed (WS1 "Make App EMM Managed if User Installed").
    make_managed_if_user_installed: bool = True
    #: Deploy the Credential SSO extension profile (FastPass on iOS needs it).
    sso_extension: bool = True
    #: Also put ``managementHint`` in the SSO extension's extension data (WS1 custom XML).
    hint_in_sso_extension: bool = False
    #: Manage Okta Verify and the SSO extension profile through declarative device management
    #: (an app declaration, iOS 17.2+; a legacy-profile declaration): managed, but left out of
    #: the MDM's ManagedApplicationList and ManagedApplicationConfiguration answers.
    declarative: bool = False


@dataclass(slots=True, repr=False)
class EMM(ABC):
    """An EMM with Okta Verify assigned, holding the configuration the admin typed in.

    ``configuration`` is the key/value tree as entered (placeholders unresolved); ``push``
    resolves them for each device. Subclasses map their console's settings onto the shared
    behaviour and say how placeholders are written.
    """

    provider: ClassVar[str]
    mdm_profile_name: ClassVar[str]
    #: Where this EMM's users enroll: what an admin gives as the org's "Enrollment link".
    enrollment_link: ClassVar[str]

    configuration: Mapping[str, Any] = field(default_factory=dict)
    android_mode: AndroidMode = AndroidMode.WORK_PROFILE
    #: iOS User Enrollment (BYOD, a Managed Apple Account) instead of a device enrollment.
    user_enrollment: bool = False
    ios: IOSAppSettings = field(default_factory=IOSAppSettings)
    #: Values for custom lookups (WS1 custom attributes, Intune extra tokens).
    custom_values: dict[str, str] = field(default_factory=dict)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(keys={sorted(self.configuration)})"

    # -- what differs per EMM -----------------------------------------------------------------

    @abstractmethod
    def android_controller(self, mode: AndroidMode) -> str:
        """``package/receiver`` of the device policy controller this EMM enrolls ``mode`` with."""

    @property
    def android_dpc(self) -> str:
        return self.android_controller(self.android_mode)

    @abstractmethod
    def delivers_app(self, device: AnyDevice) -> bool:
        """Whether the assignment installs Okta Verify without the user asking."""

    @abstractmethod
    def delivers_configuration(self, device: AnyDevice) -> bool:
        """Whether the configuration is sent at all with these settings."""

    @abstractmethod
    def resolve(self, value: str, device: AnyDevice) -> str:
        """Substitute this EMM's placeholders in one value."""

    # -- the shared behaviour -------------------------------------------------------------------

    def apply(self, device: AnyDevice) -> None:
        """Enroll the device, deploy Okta Verify and push its configuration."""
        self.enroll(device)
        self.deploy(device)
        self.push(device)

    def enroll(self, device: AnyDevice) -> None:
        if isinstance(device, AndroidDevice):
            mode, controller = self.android_mode, self.android_dpc
            if mode is AndroidMode.FULLY_MANAGED or (
                mode is AndroidMode.COPE and (device.identity.sdk or 0) < _COPE_WITHOUT_DEVICE_OWNER_SDK
            ):
                device.set_device_owner(controller)
            if mode is not AndroidMode.FULLY_MANAGED:
                device.add_work_profile(controller)
        else:
            device.user_enrollment = self.user_enrollment
            device.install_profile(IOSProfile(f"com.{self._slug}.mdm", self.mdm_profile_name, (PAYLOAD_MDM,)))
        log.info("%s enrolled %s", self.provider, device.label)

    def deploy(self, device: AnyDevice) -> None:
        """Install Okta Verify where this EMM would, or take over the user's copy on iOS."""
        if isinstance(device, AndroidDevice):
            user = self._android_user(device)
            if user is not None and self.delivers_app(device):
                device.install(OKTA_VERIFY_ANDROID, user)
            return
        self.take_over(device, automatic=True)
        if self.ios.sso_extension:
            self.install_sso_extension(device)

    def take_over(self, device: IOSDevice, *, automatic: bool = False) -> None:
        """Install Okta Verify as managed, or manage the user's copy when the settings allow."""
        app = device.app(OKTA_VERIFY_IOS)
        origin = AppOrigin.DECLARATIVE if self.ios.declarative else AppOrigin.EMM
        if app is None:
            if not automatic or self.delivers_app(device):
                device.install(OKTA_VERIFY_IOS, origin)
        elif app.origin is AppOrigin.USER and self.ios.make_managed_if_user_installed and not device.user_enrollment:
            app.origin = AppOrigin.TAKEN_OVER
            app.management_rejected = False

    def install_sso_extension(self, device: IOSDevice, hosts: tuple[str, ...] = ()) -> None:
        data = AppConfig()
        if self.ios.hint_in_sso_extension and MANAGEMENT_HINT in self.configuration:
            data = AppConfig({MANAGEMENT_HINT: self._resolved(device)[MANAGEMENT_HINT]})
        extension = SSOExtension(team_identifier=OKTA_TEAM_ID, realm=OKTA_SSO_REALM, hosts=hosts, extension_data=data)
        device.install_profile(
            IOSProfile(
                f"com.{self._slug}.okta.sso",
                "Okta Device SSO",
                (PAYLOAD_EXTENSIBLE_SSO,),
                extension,
                declarative=self.ios.declarative,
            )
        )

    def push(self, device: AnyDevice) -> None:
        """(Re-)send the managed app configuration, resolving placeholders for this device."""
        if not self.delivers_configuration(device):
            log.info("%s: configuration not sent to %s (settings)", self.provider, device.label)
            return
        config = self._resolved(device)
        if isinstance(device, AndroidDevice):
            for user in device.users_with(OKTA_VERIFY_ANDROID):
                if device.is_managed_user(user.id):
                    device.set_restrictions(user.id, OKTA_VERIFY_ANDROID, config)
            return
        app = device.app(OKTA_VERIFY_IOS)
        if app is None or not app.managed:
            return  # the MDM cannot configure an app it does not manage
        device.managed_config[OKTA_VERIFY_IOS] = config
        if self.ios.sso_extension and self.ios.hint_in_sso_extension:
            self.install_sso_extension(device)

    def _android_user(self, device: AndroidDevice) -> int | None:
        """Where this EMM installs its apps: the work profile, or user 0 when it has no profile."""
        profile = device.work_profile
        if profile is not None:
            return profile.id
        return 0 if device.device_owner is not None else None

    def _resolved(self, device: AnyDevice) -> AppConfig:
        def walk(value: Any) -> Any:
            if isinstance(value, str):
                return self.resolve(value, device)
            if isinstance(value, Mapping):
                return {k: walk(v) for k, v in value.items()}
            if isinstance(value, list | tuple):
                return type(value)(walk(v) for v in value)
            return value

        return AppConfig({k: walk(v) for k, v in self.configuration.items()})

    @property
    def _slug(self) -> str:
        return re.sub(r"[^a-z0-9]+", "", self.provider.lower())
