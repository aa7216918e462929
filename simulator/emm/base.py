"""What every EMM does to a phone, whatever its console calls the settings.

Android (Android Enterprise work profile): the EMM's device policy controller becomes the profile
owner of a new managed profile, installs Okta Verify *into that profile* and sets its application
restrictions there; configuration for a copy in another profile is never seen.

iOS: the device enrolls with an MDM profile; the MDM installs Okta Verify (``InstallApplication``)
or takes over a copy the user installed (``ChangeManagementState: Managed``) when told to, sends
the managed configuration to the preference domains it is configured for, and installs the
Credential SSO extension profile. An unmanaged app receives no configuration.
"""

from __future__ import annotations

import logging
import re
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
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
    IOS_PREFERENCE_DOMAINS,
    MANAGEMENT_HINT,
    OKTA_SSO_REALM,
    OKTA_TEAM_ID,
    OKTA_VERIFY_ANDROID,
    OKTA_VERIFY_IOS,
    PAYLOAD_EXTENSIBLE_SSO,
    PAYLOAD_MDM,
)

log = logging.getLogger("simulator.emm")


@dataclass(slots=True)
class IOSAppSettings:
    """iOS app assignment settings both EMMs have, under their own names."""

    #: Take over a copy the user installed (WS1 "Make App EMM Managed if User Installed").
    make_managed_if_user_installed: bool = True
    #: Preference domains the configuration is sent to (DOMAIN.md §2: both are needed).
    config_domains: tuple[str, ...] = IOS_PREFERENCE_DOMAINS
    #: Deploy the Credential SSO extension profile (FastPass on iOS needs it).
    sso_extension: bool = True
    #: Also put ``managementHint`` in the SSO extension's extension data (WS1 custom XML).
    hint_in_sso_extension: bool = False


@dataclass(slots=True)
class EMM(ABC):
    """An EMM with Okta Verify assigned, holding the configuration the admin typed in.

    ``configuration`` is the key/value tree as entered (placeholders unresolved); ``push``
    resolves them for each device. Subclasses map their console's settings onto the shared
    behaviour and say how placeholders are written.
    """

    provider: ClassVar[str]
    #: ``package/receiver`` of the EMM's device policy controller on Android.
    android_dpc: ClassVar[str]
    mdm_profile_name: ClassVar[str]

    configuration: Mapping[str, Any] = field(default_factory=dict)
    ios: IOSAppSettings = field(default_factory=IOSAppSettings)
    #: Values for custom lookups (WS1 custom attributes, Intune extra tokens).
    custom_values: dict[str, str] = field(default_factory=dict)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(keys={sorted(self.configuration)})"

    # -- what differs per EMM -----------------------------------------------------------------

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
            device.add_work_profile(self.android_dpc)
        else:
            device.install_profile(IOSProfile(f"com.{self._slug}.mdm", self.mdm_profile_name, (PAYLOAD_MDM,)))
        log.info("%s enrolled %s", self.provider, device.label)

    def deploy(self, device: AnyDevice) -> None:
        """Install Okta Verify where this EMM would, or take over the user's copy on iOS."""
        if isinstance(device, AndroidDevice):
            profile = device.work_profile
            if profile is not None and self.delivers_app(device):
                device.install(OKTA_VERIFY_ANDROID, profile.id)
            return
        self.take_over(device, automatic=True)
        if self.ios.sso_extension:
            self.install_sso_extension(device)

    def take_over(self, device: IOSDevice, *, automatic: bool = False) -> None:
        """Install Okta Verify as managed, or manage the user's copy when the settings allow."""
        app = device.app(OKTA_VERIFY_IOS)
        if app is None:
            if not automatic or self.delivers_app(device):
                device.install(OKTA_VERIFY_IOS, AppOrigin.EMM)
        elif app.origin is AppOrigin.USER and self.ios.make_managed_if_user_installed:
            app.origin = AppOrigin.TAKEN_OVER
            app.management_rejected = False

    def install_sso_extension(self, device: IOSDevice, hosts: tuple[str, ...] = ()) -> None:
        data = AppConfig()
        if self.ios.hint_in_sso_extension and MANAGEMENT_HINT in self.configuration:
            data = AppConfig({MANAGEMENT_HINT: self._resolved(device)[MANAGEMENT_HINT]})
        extension = SSOExtension(team_identifier=OKTA_TEAM_ID, realm=OKTA_SSO_REALM, hosts=hosts, extension_data=data)
        device.install_profile(
            IOSProfile(f"com.{self._slug}.okta.sso", "Okta Device SSO", (PAYLOAD_EXTENSIBLE_SSO,), extension)
        )

    def push(self, device: AnyDevice) -> None:
        """(Re-)send the managed app configuration, resolving placeholders for this device."""
        if not self.delivers_configuration(device):
            log.info("%s: configuration not sent to %s (settings)", self.provider, device.label)
            return
        config = self._resolved(device)
        if isinstance(device, AndroidDevice):
            profile = device.work_profile
            if profile is not None and OKTA_VERIFY_ANDROID in profile.packages:
                device.set_restrictions(profile.id, OKTA_VERIFY_ANDROID, config)
            return
        app = device.app(OKTA_VERIFY_IOS)
        if app is None or not app.managed:
            return  # the MDM cannot configure an app it does not manage
        for domain in self.ios.config_domains:
            device.managed_config[domain] = config
        if self.ios.sso_extension and self.ios.hint_in_sso_extension:
            self.install_sso_extension(device)

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
