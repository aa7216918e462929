"""The neutral model of a phone, shared by the simulator and the real-device readers.

The EMM emulation writes into it, the real-device sources (:mod:`harness.readers`) fill it from
what ``adb`` or ``pymobiledevice3`` reported, and Okta Verify reads from it; so a device that
was simulated and one that was captured from hardware are judged by the same code.

Android keeps what the OS keeps per *user* (a work profile is a user whose flags carry
``FLAG_MANAGED_PROFILE``): installed packages, the profile owner and the application restrictions
per package. iOS keeps the installed apps with how they came to be there, the managed
configuration per preference domain, the installed configuration profiles and supervision.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import ClassVar

from simulator import names
from simulator.appconfig import EMPTY_CONFIG, AppConfig
from simulator.errors import DeviceError
from simulator.ids import OKTA_SSO_EXTENSION_IOS, PAYLOAD_EXTENSIBLE_SSO, PAYLOAD_MDM

#: Facts a real-device source may be unable to read (see ``Device.unread``).
UNREAD_CONFIG = "managed configuration"  # Android without root/TestDPC; iOS without the MDM's answer
UNREAD_APP_STATE = "app management state"  # iOS without ManagedApplicationList
UNREAD_PROFILE_TYPES = "profile payload types"  # iOS without the MDM's ProfileList
#: iOS: the SSO extension profile is installed but its payload (the extension data) is not known.
UNREAD_SSO_EXTENSION_DATA = "SSO extension data"
#: iOS: Okta Verify may be managed through declarative device management, which the MDM's
#: ManagedApplicationList and ManagedApplicationConfiguration answers leave out.
UNREAD_DECLARATIVE_APPS = "declaratively managed apps"


def unread_user(user_id: int) -> str:
    """The ``Device.unread`` entry of an Android user the shell was refused for."""
    return f"user {user_id}"


class Platform(StrEnum):
    ANDROID = "android"
    IOS = "ios"

    @property
    def display(self) -> str:
        """The name as people write it: ``Android``, ``iOS``."""
        return "Android" if self is Platform.ANDROID else "iOS"


@dataclass(slots=True)
class Identity:
    """What a device says about itself, and the EMM user it is enrolled for."""

    model: str
    manufacturer: str
    os_version: str
    serial: str
    udid: str
    device_name: str
    user_name: str = ""
    user_email: str = ""
    sdk: int | None = None  # Android API level

    @property
    def user_principal_name(self) -> str:
        return self.user_email


# ---------------------------------------------------------------------------------------------
# Android
# ---------------------------------------------------------------------------------------------

#: ``UserInfo`` flags (AOSP ``android.content.pm.UserInfo``).
FLAG_PRIMARY = 0x1
FLAG_ADMIN = 0x2
FLAG_INITIALIZED = 0x10
FLAG_MANAGED_PROFILE = 0x20
FLAG_QUIET_MODE = 0x80  # a paused work profile ("work apps off")
FLAG_FULL = 0x400
FLAG_SYSTEM = 0x800
FLAG_PROFILE = 0x1000

PERSONAL_USER_FLAGS = FLAG_PRIMARY | FLAG_ADMIN | FLAG_INITIALIZED | FLAG_FULL | FLAG_SYSTEM  # 0xc13
WORK_PROFILE_FLAGS = FLAG_PROFILE | FLAG_MANAGED_PROFILE | FLAG_INITIALIZED  # 0x1030
#: Samsung Secure Folder as ``pm list users`` prints it on One UI (``10061030``: Knox's high bits,
#: and the managed-profile bit, which is why the kind is decided by id and name, not flags).
SECURE_FOLDER_FLAGS = 0x10061030

WORK_PROFILE_USER_ID = 10
SECURE_FOLDER_USER_ID = 150


#: What ``java.lang.String.trim()`` removes from both ends: every character up to U+0020.
JAVA_TRIMMED = "".join(map(chr, range(0x21)))


def as_read_back(config: AppConfig) -> AppConfig:
    """Restrictions as an app reads them back: string values and string-array items trimmed."""

    def trimmed(value: object) -> object:
        if isinstance(value, str):
            return value.strip(JAVA_TRIMMED)
        if isinstance(value, AppConfig):
            return as_read_back(value)
        if isinstance(value, tuple):
            return tuple(trimmed(v) for v in value)
        if isinstance(value, list):
            return [trimmed(v) for v in value]
        return value

    return AppConfig({key: trimmed(value) for key, value in config.items()})


class ProfileKind(StrEnum):
    PERSONAL = "personal"
    WORK = "work"
    SECURE_FOLDER = "secure_folder"
    OTHER = "other"


@dataclass(slots=True)
class AndroidUser:
    """One Android user or profile, as ``pm list users`` and ``dumpsys device_policy`` show it."""

    id: int
    name: str
    kind: ProfileKind
    flags: int
    running: bool = True
    #: ``package/receiver`` of the profile owner (the EMM's device policy controller), if any.
    profile_owner: str | None = None
    packages: set[str] = field(default_factory=set)
    restrictions: dict[str, AppConfig] = field(default_factory=dict)
    #: The user restriction ``no_debugging_features`` (Secure Folder, hardened work profiles):
    #: the adb shell is refused for this user (DOMAIN.md §5).
    no_debugging: bool = False

    @property
    def is_managed_profile(self) -> bool:
        return bool(self.flags & FLAG_MANAGED_PROFILE) and self.kind is ProfileKind.WORK

    @property
    def paused(self) -> bool:
        """A profile in quiet mode ("work apps" off) or stopped: none of its apps can run.

        Pausing sets ``FLAG_QUIET_MODE`` and stops the profile (``UserManagerService
        .setQuietModeEnabled``), so ``pm list users`` prints it without `` running``.
        """
        return self.kind is not ProfileKind.PERSONAL and (bool(self.flags & FLAG_QUIET_MODE) or not self.running)


@dataclass(slots=True, eq=False)
class Device:
    """What both platforms share."""

    platform: ClassVar[Platform]
    identity: Identity
    #: What a real-device source could not read (:data:`UNREAD_CONFIG`...); empty when simulated.
    unread: set[str] = field(default_factory=set)
    #: Where a real-device source read each fact (fact -> source, in words); empty when simulated.
    facts_from: dict[str, str] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """A short name for reports: ``Pixel 8 / Android 14 (serial)``."""
        os_name = "Android" if self.platform is Platform.ANDROID else "iOS"
        return f"{self.identity.model} / {os_name} {self.identity.os_version} ({self.identity.serial})"


@dataclass(slots=True, eq=False)
class AndroidDevice(Device):
    """An Android phone: its users (the personal one, a work profile...) and device owner."""

    platform: ClassVar[Platform] = Platform.ANDROID
    users: dict[int, AndroidUser] = field(default_factory=dict)
    device_owner: str | None = None

    def __post_init__(self) -> None:
        if 0 not in self.users:
            self.users[0] = AndroidUser(0, "Owner", ProfileKind.PERSONAL, PERSONAL_USER_FLAGS)

    @property
    def personal(self) -> AndroidUser:
        return self.users[0]

    @property
    def work_profile(self) -> AndroidUser | None:
        return next((u for u in self.users.values() if u.is_managed_profile), None)

    def user(self, user_id: int) -> AndroidUser:
        try:
            return self.users[user_id]
        except KeyError:
            raise DeviceError(f"{self.label}: no Android user {user_id}") from None

    def add_work_profile(self, profile_owner: str, user_id: int = WORK_PROFILE_USER_ID) -> AndroidUser:
        """Create the managed work profile an EMM's DPC provisions, owned by that DPC."""
        existing = self.work_profile
        if existing is not None:
            existing.profile_owner = profile_owner
            return existing
        profile = AndroidUser(
            user_id,
            "Work profile",
            ProfileKind.WORK,
            WORK_PROFILE_FLAGS,
            profile_owner=profile_owner,
            packages={profile_owner.split("/", 1)[0]},
        )
        self.users[user_id] = profile
        return profile

    def set_device_owner(self, controller: str) -> None:
        """Fully managed (company-owned) provisioning: the EMM's DPC becomes the device owner, in
        user 0, where its apps are then managed (a work profile may be added too: COPE)."""
        self.device_owner = controller
        self.install(controller.split("/", 1)[0], 0)

    def add_secure_folder(self, user_id: int = SECURE_FOLDER_USER_ID) -> AndroidUser:
        """Samsung Secure Folder: a separate profile that is not the work profile, and that Knox
        gives the ``no_debugging_features`` restriction, so the shell is refused for it."""
        folder = AndroidUser(
            user_id, "Secure Folder", ProfileKind.SECURE_FOLDER, SECURE_FOLDER_FLAGS, no_debugging=True
        )
        self.users[user_id] = folder
        return folder

    def install(self, package: str, user_id: int = 0) -> None:
        self.user(user_id).packages.add(package)

    def uninstall(self, package: str, user_id: int) -> None:
        user = self.user(user_id)
        user.packages.discard(package)
        user.restrictions.pop(package, None)

    def pause_work_profile(self, paused: bool = True) -> AndroidUser:
        """The user turns work apps off (or on again): quiet mode, and the profile stops (starts)."""
        profile = self.work_profile
        if profile is None:
            raise DeviceError(f"{self.label}: no work profile to pause")
        profile.flags = profile.flags | FLAG_QUIET_MODE if paused else profile.flags & ~FLAG_QUIET_MODE
        profile.running = not paused
        return profile

    def is_managed_user(self, user_id: int) -> bool:
        """Whether the EMM manages apps in this user: its work profile (a profile owner), or the
        personal user of a fully managed device (the device owner runs in user 0)."""
        user = self.user(user_id)
        if user.is_managed_profile:
            return user.profile_owner is not None
        return user_id == 0 and self.device_owner is not None

    def users_with(self, package: str) -> list[AndroidUser]:
        """Users (profiles) in which ``package`` is installed, lowest user id first."""
        return [u for _, u in sorted(self.users.items()) if package in u.packages]

    def set_restrictions(self, user_id: int, package: str, config: AppConfig) -> None:
        """``DevicePolicyManager.setApplicationRestrictions``: replaces the whole bundle.

        Android persists the bundle to ``res_<package>.xml`` and apps read it back from there;
        ``UserManagerService.readEntry`` trims every string it reads, so that is what is stored.
        """
        self.user(user_id).restrictions[package] = as_read_back(config)

    def restrictions_for(self, user_id: int, package: str) -> AppConfig:
        """``RestrictionsManager.getApplicationRestrictions`` as seen by ``package`` in that user."""
        return self.user(user_id).restrictions.get(package, EMPTY_CONFIG)


# ---------------------------------------------------------------------------------------------
# iOS
# ---------------------------------------------------------------------------------------------


class AppOrigin(StrEnum):
    EMM = "emm"  # installed by the MDM (InstallApplication): managed
    USER = "user"  # installed by the user from the App Store: not managed
    TAKEN_OVER = "taken_over"  # installed by the user, then ChangeManagementState: Managed
    #: Managed through declarative device management (an app declaration): managed, but absent
    #: from the MDM's ManagedApplicationList and ManagedApplicationConfiguration answers.
    DECLARATIVE = "declarative"


@dataclass(slots=True)
class IOSApp:
    """An app on an iPhone, and how it got there (which decides whether the MDM manages it)."""

    bundle_id: str
    version: str = "9.0.0"
    origin: AppOrigin = AppOrigin.EMM
    #: The user declined the MDM's offer to manage it (unsupervised devices prompt).
    management_rejected: bool = False

    @property
    def managed(self) -> bool:
        return self.origin in (AppOrigin.EMM, AppOrigin.TAKEN_OVER, AppOrigin.DECLARATIVE)

    @property
    def mdm_status(self) -> str:
        """The ``Status`` the MDM's ``ManagedApplicationList`` query reports."""
        if self.managed:
            return "Managed"
        return "ManagementRejected" if self.management_rejected else "UserInstalledApp"


@dataclass(slots=True)
class SSOExtension:
    """A Credential SSO extension payload (``com.apple.extensiblesso``)."""

    extension_identifier: str = OKTA_SSO_EXTENSION_IOS
    team_identifier: str = "B7F62B65BN"
    type: str = "Credential"
    realm: str = "Okta Device"
    hosts: tuple[str, ...] = ()
    extension_data: AppConfig = field(default_factory=AppConfig)
    #: False when only the MDM's ``ProfileList`` was seen: it names payload types, not their
    #: contents, so the extension data (where ``managementHint`` may be) is unknown.
    data_known: bool = True


@dataclass(slots=True)
class IOSProfile:
    """An installed configuration profile, as MCInstall ``GetProfileList`` and ``ProfileList`` show."""

    identifier: str
    display_name: str
    payload_types: tuple[str, ...]
    sso_extension: SSOExtension | None = None
    #: Installed by the MDM (managed) rather than by the user.
    managed: bool = True
    #: Installed by declarative device management (``ProfileList`` ``Source``, iOS 18+).
    declarative: bool = False


@dataclass(slots=True, eq=False)
class IOSDevice(Device):
    """An iPhone: its apps, their managed configuration, its profiles and enrollment kind."""

    platform: ClassVar[Platform] = Platform.IOS
    apps: dict[str, IOSApp] = field(default_factory=dict)
    #: Managed configuration per preference domain (``com.okta.mobile`` and its extension).
    managed_config: dict[str, AppConfig] = field(default_factory=dict)
    profiles: list[IOSProfile] = field(default_factory=list)
    supervised: bool = False
    #: User Enrollment (BYOD): the MDM cannot take over the user's apps and gets no serial
    #: number or UDID (apple/device-management, ``userenrollment`` keys; DOMAIN.md §6).
    user_enrollment: bool = False

    @property
    def mdm_enrolled(self) -> bool:
        return any(PAYLOAD_MDM in p.payload_types for p in self.profiles)

    def sso_extension(self, extension_identifier: str = OKTA_SSO_EXTENSION_IOS) -> SSOExtension | None:
        for profile in self.profiles:
            ext = profile.sso_extension
            if (
                ext is not None
                and PAYLOAD_EXTENSIBLE_SSO in profile.payload_types
                and ext.extension_identifier == extension_identifier
            ):
                return ext
        return None

    def app(self, bundle_id: str) -> IOSApp | None:
        return self.apps.get(bundle_id)

    def install(self, bundle_id: str, origin: AppOrigin, version: str = "9.0.0") -> IOSApp:
        app = IOSApp(bundle_id, version, origin)
        self.apps[bundle_id] = app
        return app

    def install_profile(self, profile: IOSProfile) -> None:
        self.profiles = [p for p in self.profiles if p.identifier != profile.identifier]
        self.profiles.append(profile)

    def config_for(self, domain: str) -> AppConfig:
        """``UserDefaults(suiteName: domain)["com.apple.configuration.managed"]``."""
        return self.managed_config.get(domain, EMPTY_CONFIG)


AnyDevice = AndroidDevice | IOSDevice


# ---------------------------------------------------------------------------------------------
# Identities
# ---------------------------------------------------------------------------------------------

_ANDROID_MODELS: tuple[tuple[str, str, tuple[tuple[str, int], ...]], ...] = (
    ("Pixel 6", "Google", (("12", 31), ("13", 33), ("14", 34))),
    ("Pixel 7", "Google", (("13", 33), ("14", 34), ("15", 35))),
    ("Pixel 8", "Google", (("14", 34), ("15", 35))),
    ("SM-G991B", "samsung", (("12", 31), ("13", 33), ("14", 34))),
    ("SM-S911B", "samsung", (("13", 33), ("14", 34), ("15", 35))),
    ("SM-A525F", "samsung", (("11", 30), ("12", 31), ("13", 33))),
)
_IOS_MODELS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("iPhone14,5", ("16.7.10", "17.6.1", "18.1")),
    ("iPhone15,2", ("17.6.1", "18.1", "18.3")),
    ("iPhone16,1", ("17.6.1", "18.3", "18.5")),
    ("iPhone17,3", ("18.1", "18.5")),
)


def generate_identity(
    platform: Platform,
    rng: random.Random | None = None,
    *,
    model: str | None = None,
    os_version: str | None = None,
    manufacturer: str | None = None,
    user_email: str | None = None,
) -> Identity:
    """A plausible identity (Faker names, real model names); reproducible when ``rng`` is seeded."""
    rng = rng or secrets.SystemRandom()
    (first_names, first_weights), (last_names, last_weights) = names.tables()
    first = rng.choices(first_names, cum_weights=first_weights)[0]
    last = rng.choices(last_names, cum_weights=last_weights)[0]
    email = user_email or f"{_slug(first)}.{_slug(last)}@example.com"
    user = email.split("@", 1)[0]
    if platform is Platform.ANDROID:
        m_model, m_manufacturer, versions = rng.choice(_ANDROID_MODELS)
        model = model or m_model
        manufacturer = manufacturer or (m_manufacturer if model == m_model else "Google")
        os_version, sdk = _android_version(os_version, versions, rng)
        serial = f"{rng.getrandbits(56):014X}"
        udid = f"{rng.getrandbits(64):016x}"  # Settings.Secure.ANDROID_ID
        name = f"{first}'s {model}"
        return Identity(model, manufacturer, os_version, serial, udid, name, user, email, sdk)
    i_model, i_versions = rng.choice(_IOS_MODELS)
    model = model or i_model
    os_version = os_version or rng.choice(i_versions)
    bits = rng.getrandbits(50)
    serial = "".join(_SERIAL_CHARS[bits >> (5 * i) & 31] for i in range(10))
    udid = f"00008110-{rng.getrandbits(64):016X}"
    return Identity(model, manufacturer or "Apple", os_version, serial, udid, f"{first}'s iPhone", user, email)


#: Apple serial numbers avoid I and O; 32 characters, so 5 bits of randomness each.
_SERIAL_CHARS = "ABCDEFGHJKLMNPQRSTUVWXYZ01234567"


def _slug(name: str) -> str:
    return "".join(c for c in name.lower() if c.isalnum())


_SDK_BY_RELEASE = {"10": 29, "11": 30, "12": 31, "13": 33, "14": 34, "15": 35, "16": 36}


def _android_version(
    requested: str | None, versions: Iterable[tuple[str, int]], rng: random.Random
) -> tuple[str, int | None]:
    if requested is None:
        return rng.choice(tuple(versions))
    return requested, _SDK_BY_RELEASE.get(requested.split(".", 1)[0])


def new_device(platform: Platform, identity: Identity) -> AnyDevice:
    """An empty device of that platform: no EMM, no apps beyond the OS."""
    if platform is Platform.ANDROID:
        return AndroidDevice(identity)
    return IOSDevice(identity)
