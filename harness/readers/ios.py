"""Read an iPhone into the model from service answers: the device's own, and the MDM's.

What the device tells a host (pymobiledevice3: lockdown, installation_proxy, MCInstall) says
which apps and profiles are installed and whether it is supervised; only the MDM knows which apps
it manages, their managed configuration and its profiles' payload types (DOMAIN.md §6). Those
MDM answers are optional: when one is missing the device records what it could not read
(``Device.unread``) and the verdict says so instead of guessing.

Two more things the MDM's answers cannot show are recorded as unread: the extension data of an
installed Credential SSO extension profile (``ProfileList`` names payload types, not contents,
and the hint may live there), and, on a device with declaratively installed profiles
(``ProfileList`` ``Source``), whether an Okta Verify missing from ``ManagedApplicationList`` is
managed through declarative device management (those apps are left out of that answer and of
``ManagedApplicationConfiguration``: apple/device-management ``application.managed.list.yaml``).
Only the app's own identifier is read from ``ManagedApplicationConfiguration``: MDM app
configuration targets managed apps, and the SSO extension is not one.
"""

from __future__ import annotations

from harness.errors import SourceError
from harness.parsers.ios_plists import (
    app_origin,
    parse_cloud_configuration,
    parse_installed_apps,
    parse_lockdown_values,
    parse_managed_application_configuration,
    parse_managed_application_list,
    parse_mdm_profile_list,
    parse_profile_list,
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
)
from simulator.ids import OKTA_VERIFY_IOS

LOCKDOWN = "lockdown.all_values"
APPS = "installation_proxy.browse"
PROFILES = "mcinstall.get_profile_list"
CLOUD = "mcinstall.get_cloud_configuration"
MDM_APPS = "mdm.managed_application_list"
MDM_CONFIG = "mdm.managed_application_configuration"
MDM_PROFILES = "mdm.profile_list"


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


def read_ios(ask: Ask, *, source: str) -> IOSDevice:
    identity = parse_lockdown_values(_required(ask, LOCKDOWN, source), name=f"{source}: {LOCKDOWN}")
    apps = parse_installed_apps(_required(ask, APPS, source), name=f"{source}: {APPS}")
    profiles = parse_profile_list(_required(ask, PROFILES, source), name=f"{source}: {PROFILES}")
    supervised = parse_cloud_configuration(_required(ask, CLOUD, source), name=f"{source}: {CLOUD}")
    device = IOSDevice(identity, supervised=supervised)

    mdm_profiles = _data(ask, MDM_PROFILES, source)
    if mdm_profiles is not None:
        device.profiles = parse_mdm_profile_list(mdm_profiles, name=f"{source}: {MDM_PROFILES}")
        extension = device.sso_extension()
        if extension is not None and not extension.data_known:
            device.unread.add(UNREAD_SSO_EXTENSION_DATA)
    else:
        device.profiles = profiles
        device.unread.add(UNREAD_PROFILE_TYPES)

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

    mdm_config = _data(ask, MDM_CONFIG, source)
    if mdm_config is None:
        device.unread.add(UNREAD_CONFIG)
    else:
        configs = parse_managed_application_configuration(mdm_config, name=f"{source}: {MDM_CONFIG}")
        if OKTA_VERIFY_IOS in configs:
            device.managed_config[OKTA_VERIFY_IOS] = configs[OKTA_VERIFY_IOS]
    return device
