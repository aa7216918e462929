"""Read an iPhone into the model from service answers: the device's own, and the MDM's.

What the device tells a host (pymobiledevice3: lockdown, installation_proxy, MCInstall) says
which apps and profiles are installed and whether it is supervised; only the MDM knows which apps
it manages, their managed configuration and its profiles' payloads (DOMAIN.md §6). Those MDM
answers are optional (``--mdm FILE`` or a capture): when one is missing the device records what it
could not read (``Device.unread``) and the verdict says so instead of guessing. Every fact read
records where it came from (``Device.facts_from``), so the output can say it.

The SSO extension's configuration profile (``mdm.sso_extension_profile``) is the only answer with
the extension's data; it counts only when the device has that profile installed (its identifier
in the MCInstall list): a profile the MDM holds but the device lacks cannot deliver anything.

Two more things the MDM's answers cannot show are recorded as unread: the extension data of an
installed Credential SSO extension profile when no profile payload was given (``ProfileList``
names payload types, not contents, and the hint may live there), and, on a device with
declaratively installed profiles (``ProfileList`` ``Source``), whether an Okta Verify missing from
``ManagedApplicationList`` is managed through declarative device management (those apps are left
out of that answer and of ``ManagedApplicationConfiguration``: apple/device-management
``application.managed.list.yaml``). Only the app's own identifier is read from
``ManagedApplicationConfiguration``: MDM app configuration targets managed apps, and the SSO
extension is not one.
"""

from __future__ import annotations

from collections.abc import Callable

from harness.errors import SourceError
from harness.parsers.ios_plists import (
    app_origin,
    is_user_enrollment,
    parse_cloud_configuration,
    parse_configuration_profile,
    parse_installed_apps,
    parse_lockdown_values,
    parse_managed_application_configuration,
    parse_managed_application_list,
    parse_mdm_profile_list,
    parse_profile_list,
)
from harness.sources.ios_requests import (
    APPS,
    CLOUD,
    LOCKDOWN,
    MDM_APPS,
    MDM_CONFIG,
    MDM_PROFILES,
    MDM_SSO_PROFILE,
    PROFILES,
)
from harness.sources.transport import Ask
from simulator.device import (
    UNREAD_APP_STATE,
    UNREAD_CONFIG,
    UNREAD_DECLARATIVE_APPS,
    UNREAD_PROFILE_TYPES,
    UNREAD_SSO_EXTENSION_DATA,
    AppOrigin,
    IOSDevice,
    IOSProfile,
)
from simulator.ids import OKTA_VERIFY_IOS

Origin = Callable[[str], str]

#: Facts of the device's own answers, by request (the MDM's are the ``UNREAD_*`` names).
FACT_IDENTITY = "identity"
FACT_APPS = "installed apps"
FACT_PROFILES = "installed profiles"
FACT_SUPERVISION = "supervision"
FACT_SSO_PAYLOAD = "SSO extension payload"
FACT_ENROLLMENT = "User Enrollment"


def _data(ask: Ask, request: str, source: str) -> bytes | None:
    answer = ask(request)
    if answer is None:
        return None
    if answer.status != 0:
        raise SourceError(f"{source}: {request!r} failed (status {answer.status})")
    return answer.data


def _required(ask: Ask, request: str, source: str) -> bytes:
    data = _data(ask, request, source)
    if data is None:
        raise SourceError(f"{source}: no answer to {request!r}")
    return data


def read_ios(ask: Ask, *, source: str, origin: Origin | None = None) -> IOSDevice:
    """The device behind ``ask``; ``origin(request)`` names where an answer came from."""
    where = origin or (lambda request: source)
    identity = parse_lockdown_values(_required(ask, LOCKDOWN, source), name=f"{source}: {LOCKDOWN}")
    apps = parse_installed_apps(_required(ask, APPS, source), name=f"{source}: {APPS}")
    installed = parse_profile_list(_required(ask, PROFILES, source), name=f"{source}: {PROFILES}")
    supervised = parse_cloud_configuration(_required(ask, CLOUD, source), name=f"{source}: {CLOUD}")
    device = IOSDevice(identity, supervised=supervised)
    for fact, request in (
        (FACT_IDENTITY, LOCKDOWN),
        (FACT_APPS, APPS),
        (FACT_PROFILES, PROFILES),
        (FACT_SUPERVISION, CLOUD),
    ):
        device.facts_from[fact] = where(request)

    mdm_profiles = _data(ask, MDM_PROFILES, source)
    if mdm_profiles is not None:
        device.profiles = parse_mdm_profile_list(mdm_profiles, name=f"{source}: {MDM_PROFILES}")
        device.facts_from[UNREAD_PROFILE_TYPES] = where(MDM_PROFILES)
    else:
        device.profiles = installed
        device.unread.add(UNREAD_PROFILE_TYPES)
    sso_profile = _data(ask, MDM_SSO_PROFILE, source)
    if sso_profile is not None:
        profile = parse_configuration_profile(sso_profile, name=f"{source}: {MDM_SSO_PROFILE}")
        if _attach(device, profile, installed):
            device.facts_from[FACT_SSO_PAYLOAD] = where(MDM_SSO_PROFILE)
    extension = device.sso_extension()
    if extension is not None and not extension.data_known:
        device.unread.add(UNREAD_SSO_EXTENSION_DATA)

    info = apps.get(OKTA_VERIFY_IOS)
    if info is None:
        return device
    app = device.install(OKTA_VERIFY_IOS, AppOrigin.USER, info.version)
    mdm_apps = _data(ask, MDM_APPS, source)
    if mdm_apps is None:
        device.unread.add(UNREAD_APP_STATE)
    else:
        status = parse_managed_application_list(mdm_apps, name=f"{source}: {MDM_APPS}").get(OKTA_VERIFY_IOS)
        mapped = app_origin(status.status) if status is not None else None
        if mapped is not None:
            app.origin, app.management_rejected = mapped
        elif status is None and any(p.declarative for p in device.profiles):
            device.unread.add(UNREAD_DECLARATIVE_APPS)
        device.facts_from[UNREAD_APP_STATE] = where(MDM_APPS)

    mdm_config = _data(ask, MDM_CONFIG, source)
    _enrollment(device, ((MDM_PROFILES, mdm_profiles), (MDM_APPS, mdm_apps), (MDM_CONFIG, mdm_config)), source, where)
    if mdm_config is None:
        device.unread.add(UNREAD_CONFIG)
    else:
        configs = parse_managed_application_configuration(mdm_config, name=f"{source}: {MDM_CONFIG}")
        if OKTA_VERIFY_IOS in configs:
            device.managed_config[OKTA_VERIFY_IOS] = configs[OKTA_VERIFY_IOS]
        device.facts_from[UNREAD_CONFIG] = where(MDM_CONFIG)
    return device


def _enrollment(device: IOSDevice, answers: tuple[tuple[str, bytes | None], ...], source: str, where: Origin) -> None:
    """A User Enrollment shows in the MDM's own answers (``EnrollmentID`` instead of ``UDID``)."""
    for request, data in answers:
        if data is not None and is_user_enrollment(data, name=f"{source}: {request}"):
            device.user_enrollment = True
            device.facts_from[FACT_ENROLLMENT] = where(request)
            return


def _attach(device: IOSDevice, profile: IOSProfile, installed: list[IOSProfile]) -> bool:
    """Put the SSO extension profile's payload on the installed profile it describes.

    Returns False (and records nothing) when the device does not have that profile installed.
    """
    if not any(p.identifier == profile.identifier for p in installed):
        device.facts_from[FACT_SSO_PAYLOAD] = f"not used: profile {profile.identifier!r} is not installed on the device"
        return False
    for index, known in enumerate(device.profiles):
        if known.identifier == profile.identifier:
            profile.display_name = profile.display_name or known.display_name
            profile.managed = known.managed or profile.managed
            device.profiles[index] = profile
            return True
    device.profiles.append(profile)
    return True


#: What to pass to check what a missing MDM answer would have told.
_SUPPLY = {
    UNREAD_APP_STATE: "whether the MDM manages Okta Verify (its ManagedApplicationList answer)",
    UNREAD_CONFIG: "Okta Verify's managed configuration (the MDM's ManagedApplicationConfiguration answer, "
    "a Microsoft Graph iosMobileAppConfiguration export, an Intune XML dict or a Workspace ONE export)",
    UNREAD_PROFILE_TYPES: "the payload types of the installed profiles (the MDM's ProfileList answer)",
    UNREAD_SSO_EXTENSION_DATA: "the SSO extension's profile (.mobileconfig, signed or not) for its extension data",
}


def unchecked(device: IOSDevice) -> list[str]:
    """One note per fact the MDM's side would have told but no answer gave, saying what to pass."""
    return [f"not checked: {fact} — pass --mdm FILE with {_SUPPLY[fact]}" for fact in _SUPPLY if fact in device.unread]
