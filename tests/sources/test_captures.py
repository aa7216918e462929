"""The bundled device captures (``fixtures/captures``, listed in ``fixtures/README.md``).

Every capture is read through ``read_source("capture:DIR")`` — the same parsers a live device
goes through — and checked twice: the device facts it must yield (model, OS, users and profiles,
where Okta Verify is, the configuration it was given) and what ``attestlab inspect`` concludes
from them with the org file the README names (managed or the reason, and the findings).
Configuration values are compared by SHA-256, so a failing assertion never prints a
``managementHint``. The capture format's bad inputs (DESIGN.md §2) close the file.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import random
import re
import shutil
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from harness.errors import CaptureError, ParseError
from harness.inspect import inspect_device
from harness.parsers.abx import is_abx
from harness.parsers.android_text import parse_getprop
from harness.parsers.restrictions import parse_restrictions
from harness.readers import read_source
from harness.readers.android import read_android
from harness.readers.ios import read_ios
from harness.sources.capture import INDEX, Capture
from harness.sources.transport import Answer
from simulator.device import (
    UNREAD_APP_STATE,
    UNREAD_CONFIG,
    UNREAD_DECLARATIVE_APPS,
    UNREAD_PROFILE_TYPES,
    UNREAD_SSO_EXTENSION_DATA,
    AndroidDevice,
    AnyDevice,
    AppOrigin,
    IOSDevice,
    ProfileKind,
    unread_user,
)
from simulator.ids import (
    ANDROID_DOMAIN_KEY,
    IOS_ORG_URL_KEY,
    MANAGEMENT_HINT,
    OKTA_VERIFY_ANDROID,
    OKTA_VERIFY_IOS,
    PAYLOAD_EXTENSIBLE_SSO,
)
from simulator.restrictions_file import restrictions_to_xml
from simulator.verdict import Reason
from simulator.verifier.configs import check_existing_key
from simulator.verifier.org import Org
from simulator.verifier.orgfile import load_org
from tests.helpers import one_line

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures"
CAPTURES = FIXTURES / "captures"
ORGS = FIXTURES / "orgs"
STANDARD = "standard.yaml"
OWN = "captures.yaml"


def _load_make_captures() -> ModuleType:
    """``fixtures/make_captures.py``, a script rather than a package module."""
    name = "attestlab_fixtures_make_captures"
    spec = importlib.util.spec_from_file_location(name, FIXTURES / "make_captures.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


MAKE_CAPTURES = _load_make_captures()


def sha256(value: object) -> str:
    return hashlib.sha256(str(value).encode("utf-8")).hexdigest()


@cache
def org_secrets(org_file: str) -> dict[str, str]:
    _, secrets = load_org(ORGS / org_file)
    return {name: secret.sha256 for name, secret in secrets.items()}


@dataclass(frozen=True, slots=True)
class OrgSecret:
    """Expected value: the secret of configuration ``config`` in ``fixtures/orgs/<org_file>``."""

    org_file: str
    config: str

    def digest(self) -> str:
        return org_secrets(self.org_file)[self.config]


def digest(expected: str | OrgSecret) -> str:
    return expected.digest() if isinstance(expected, OrgSecret) else sha256(expected)


def digests(config: Mapping[str, Any]) -> dict[str, str]:
    """A configuration with every value replaced by its SHA-256: safe to show in a failure."""
    return {key: sha256(value) for key, value in config.items()}


def expected_digests(values: Mapping[str, str | OrgSecret]) -> dict[str, str]:
    return {key: digest(value) for key, value in values.items()}


INTUNE_ANDROID = OrgSecret(STANDARD, "intune-android")
WS1_ANDROID = OrgSecret(OWN, "ws1-android")
WS1_IOS = OrgSecret(STANDARD, "ws1-ios")
INTUNE_IOS = OrgSecret(OWN, "intune-ios")
STALE_KEY: str = MAKE_CAPTURES.STALE_INTUNE_ANDROID_KEY
LOOKUP = "{CustomAttribute3}"
DOMAIN = "acme.okta.com"
ORG_URL = "https://acme.okta.com"

# ---------------------------------------------------------------------------------------------
# What each capture holds
# ---------------------------------------------------------------------------------------------

CLOUDDPC = (
    "com.google.android.apps.work.clouddpc/com.google.android.apps.work.clouddpc.receivers.CloudDeviceAdminReceiver"
)
COMPANY_PORTAL = "com.microsoft.windowsintune.companyportal/com.microsoft.omadm.client.PolicyManagerReceiver"
HUB = "com.airwatch.androidagent/com.airwatch.agent.DeviceAdministratorReceiver"
TESTDPC = "com.afwsamples.testdpc/com.afwsamples.testdpc.DeviceAdminReceiver"
PERSONAL, WORK = ProfileKind.PERSONAL, ProfileKind.WORK
WORK_PROFILE = {0: PERSONAL, 10: WORK}


def android_config(hint: str | OrgSecret, key: str = MANAGEMENT_HINT) -> dict[str, str | OrgSecret]:
    return {key: hint, ANDROID_DOMAIN_KEY: DOMAIN}


@dataclass(frozen=True, slots=True)
class AndroidCapture:
    name: str
    model: str
    manufacturer: str
    release: str
    sdk: int
    users: dict[int, ProfileKind]
    #: The work profile's owner (user 10 in every capture that has one).
    owner: str | None
    #: User id -> Okta Verify's restrictions there; ``None``: Okta Verify there, config unread.
    okta_verify: dict[int, dict[str, str | OrgSecret] | None]
    device_owner: str | None = None
    #: Users the shell was refused for.
    refused: frozenset[int] = frozenset()
    #: Users shown without `` running`` (paused).
    paused: frozenset[int] = frozenset()


#: Two S23 Ultras of the lab: model, manufacturer, release, API level.
GALAXY_S23_ULTRA = ("SM-S918B", "samsung", "14", 34)
WITH_SECURE_FOLDER = {0: PERSONAL, 10: WORK, 150: ProfileKind.SECURE_FOLDER}

ANDROID = [
    AndroidCapture(
        "galaxy-s10-android10-intune-text",
        "SM-G973F",
        "samsung",
        "10",
        29,
        WORK_PROFILE,
        COMPANY_PORTAL,
        {10: android_config(INTUNE_ANDROID)},
    ),
    AndroidCapture(
        "pixel4a-android11-both-profiles",
        "Pixel 4a",
        "Google",
        "11",
        30,
        WORK_PROFILE,
        COMPANY_PORTAL,
        {0: {}, 10: android_config(INTUNE_ANDROID)},
    ),
    AndroidCapture(
        "pixel6-android12-intune-abx",
        "Pixel 6",
        "Google",
        "12",
        31,
        WORK_PROFILE,
        COMPANY_PORTAL,
        {10: android_config(INTUNE_ANDROID)},
    ),
    AndroidCapture(
        "galaxy-a52-android12-key-case",
        "SM-A525F",
        "samsung",
        "12",
        31,
        {0: PERSONAL, 10: WORK, 95: ProfileKind.OTHER},
        COMPANY_PORTAL,
        {10: android_config(INTUNE_ANDROID, key="managementhint")},
    ),
    AndroidCapture(
        "pixel7-android13-personal-only", "Pixel 7", "Google", "13", 33, WORK_PROFILE, COMPANY_PORTAL, {0: {}}
    ),
    AndroidCapture("pixel5-android13-no-root", "Pixel 5", "Google", "13", 33, WORK_PROFILE, COMPANY_PORTAL, {10: None}),
    AndroidCapture(
        "galaxy-s23-android14-ws1-abx",
        "SM-S911B",
        "samsung",
        "14",
        34,
        WORK_PROFILE,
        HUB,
        {10: android_config(WS1_ANDROID)},
    ),
    AndroidCapture(
        "galaxy-s23ultra-android14-secure-folder",
        *GALAXY_S23_ULTRA,
        WITH_SECURE_FOLDER,
        COMPANY_PORTAL,
        {10: None},
        refused=frozenset({150}),
        paused=frozenset({150}),
    ),
    AndroidCapture(
        "galaxy-s23ultra-android14-testdpc",
        *GALAXY_S23_ULTRA,
        WITH_SECURE_FOLDER,
        TESTDPC,
        {10: android_config(INTUNE_ANDROID)},
        refused=frozenset({150}),
    ),
    AndroidCapture(
        "pixel7-android13-fully-managed",
        "Pixel 7",
        "Google",
        "13",
        33,
        {0: PERSONAL},
        None,
        {0: android_config(INTUNE_ANDROID)},
        device_owner=CLOUDDPC,
    ),
    AndroidCapture(
        "pixel8-android15-paused-work-profile",
        "Pixel 8",
        "Google",
        "15",
        35,
        WORK_PROFILE,
        COMPANY_PORTAL,
        {10: android_config(INTUNE_ANDROID)},
        paused=frozenset({10}),
    ),
    AndroidCapture(
        "emulator-android14-testdpc",
        "sdk_gphone64_x86_64",
        "Google",
        "14",
        34,
        WORK_PROFILE,
        TESTDPC,
        {10: android_config(INTUNE_ANDROID)},
    ),
    AndroidCapture(
        "pixel8-android15-stale-key",
        "Pixel 8",
        "Google",
        "15",
        35,
        WORK_PROFILE,
        COMPANY_PORTAL,
        {10: android_config(STALE_KEY)},
    ),
    AndroidCapture(
        "galaxy-s24-android15-intune-abx",
        "SM-S921B",
        "samsung",
        "15",
        35,
        WORK_PROFILE,
        CLOUDDPC,
        {10: android_config(INTUNE_ANDROID)},
    ),
]


def ios_config(hint: str | OrgSecret) -> dict[str, str | OrgSecret]:
    return {MANAGEMENT_HINT: hint, IOS_ORG_URL_KEY: ORG_URL}


DEVICE_SIDE = frozenset(
    {
        "lockdown.all_values",
        "installation_proxy.browse",
        "mcinstall.get_profile_list",
        "mcinstall.get_cloud_configuration",
    }
)
MDM_SIDE = frozenset({"mdm.profile_list", "mdm.managed_application_list", "mdm.managed_application_configuration"})


@dataclass(frozen=True, slots=True)
class IOSCapture:
    name: str
    model: str
    version: str
    supervised: bool
    #: Okta Verify's origin as the MDM reports it (``None``: the MDM's answer is missing).
    origin: AppOrigin | None
    #: Okta Verify's managed configuration (``None``: the MDM's answer is missing). Only the app's
    #: own identifier: MDM app configuration targets managed apps, never the SSO extension.
    config: dict[str, str | OrgSecret] | None
    #: Whether a ``com.apple.extensiblesso`` profile is installed (``None``: not known).
    sso_extension: bool | None
    #: Requests answered by a binary plist (the others are XML).
    binary: frozenset[str] = field(default_factory=frozenset)
    #: What the MDM's answers cannot show, beyond a missing answer.
    unread: frozenset[str] = frozenset()


IOS = [
    IOSCapture(
        "iphone15pro-ios17-ws1-managed",
        "iPhone16,1",
        "17.6.1",
        True,
        AppOrigin.EMM,
        ios_config(WS1_IOS),
        True,
        unread=frozenset({UNREAD_SSO_EXTENSION_DATA}),
    ),
    IOSCapture(
        "iphone14-ios16-intune-managed",
        "iPhone14,7",
        "16.7.10",
        False,
        AppOrigin.EMM,
        ios_config(INTUNE_IOS),
        True,
        DEVICE_SIDE | MDM_SIDE,
        unread=frozenset({UNREAD_SSO_EXTENSION_DATA}),
    ),
    IOSCapture("iphone13-ios17-user-installed", "iPhone14,5", "17.5.1", False, AppOrigin.USER, {}, False),
    IOSCapture(
        "iphone16-ios18-hint-in-sso-extension",
        "iPhone17,3",
        "18.1",
        True,
        AppOrigin.EMM,
        {IOS_ORG_URL_KEY: ORG_URL},
        True,
        DEVICE_SIDE,
        unread=frozenset({UNREAD_SSO_EXTENSION_DATA}),
    ),
    IOSCapture(
        "iphone12-ios17-no-sso-extension", "iPhone13,2", "17.6.1", False, AppOrigin.EMM, ios_config(WS1_IOS), False
    ),
    IOSCapture(
        "iphone15-ios18-unresolved-lookup",
        "iPhone15,4",
        "18.3",
        True,
        AppOrigin.EMM,
        ios_config(LOOKUP),
        True,
        unread=frozenset({UNREAD_SSO_EXTENSION_DATA}),
    ),
    IOSCapture(
        "iphone15-ios18-declarative-app",
        "iPhone15,4",
        "18.3",
        True,
        AppOrigin.USER,
        {},
        True,
        unread=frozenset({UNREAD_SSO_EXTENSION_DATA, UNREAD_DECLARATIVE_APPS}),
    ),
    IOSCapture("iphone14pro-ios18-no-mdm-answers", "iPhone15,2", "18.5", False, None, None, None),
]


def capture_dir(platform: str, name: str) -> Path:
    return CAPTURES / platform / name


def read(platform: str, name: str) -> AnyDevice:
    return read_source(f"capture:{capture_dir(platform, name)}")


def test_every_bundled_capture_is_checked_here() -> None:
    for platform, table, at_least in (("android", ANDROID, 10), ("ios", IOS, 6)):
        on_disk = {p.name for p in (CAPTURES / platform).iterdir() if p.is_dir()}
        assert on_disk == {c.name for c in table}, platform
        assert len(on_disk) >= at_least


# ---------------------------------------------------------------------------------------------
# Device facts
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("expected", ANDROID, ids=lambda c: c.name)
def test_android_capture_facts(expected: AndroidCapture) -> None:
    device = read("android", expected.name)
    assert isinstance(device, AndroidDevice)
    identity = device.identity
    assert (identity.model, identity.manufacturer, identity.os_version, identity.sdk) == (
        expected.model,
        expected.manufacturer,
        expected.release,
        expected.sdk,
    )
    assert identity.serial and identity.udid == identity.serial
    assert {u.id: u.kind for u in device.users.values()} == expected.users
    owners = {u.id: u.profile_owner for u in device.users.values() if u.profile_owner}
    assert owners == ({10: expected.owner} if expected.owner else {})
    assert (device.work_profile.id if device.work_profile else None) == (10 if expected.owner else None)
    assert device.device_owner == expected.device_owner
    assert {u.id for u in device.users.values() if u.no_debugging} == expected.refused
    assert {u.id for u in device.users.values() if u.paused} == expected.paused
    assert [u.id for u in device.users_with(OKTA_VERIFY_ANDROID)] == sorted(expected.okta_verify)
    unread = any(config is None for config in expected.okta_verify.values())
    assert device.unread == ({UNREAD_CONFIG} if unread else set()) | {unread_user(u) for u in expected.refused}
    for user_id, config in expected.okta_verify.items():
        read_config = device.user(user_id).restrictions.get(OKTA_VERIFY_ANDROID)
        if config is None:
            assert read_config is None
        else:
            assert read_config is not None
            assert digests(read_config) == expected_digests(config), f"user {user_id}"


@pytest.mark.parametrize("expected", IOS, ids=lambda c: c.name)
def test_ios_capture_facts(expected: IOSCapture) -> None:
    device = read("ios", expected.name)
    assert isinstance(device, IOSDevice)
    identity = device.identity
    assert (identity.model, identity.manufacturer, identity.os_version) == (expected.model, "Apple", expected.version)
    # Since the A12, the UDID is the chip id and the ECID: 8 and 16 hex digits.
    assert re.fullmatch(r"0000[0-9A-F]{4}-[0-9A-F]{16}", identity.udid)
    assert device.supervised is expected.supervised
    assert device.mdm_enrolled is (expected.sso_extension is not None)
    app = device.app(OKTA_VERIFY_IOS)
    assert app is not None
    if expected.origin is None:
        assert device.unread == {UNREAD_APP_STATE, UNREAD_CONFIG, UNREAD_PROFILE_TYPES}
        assert device.sso_extension() is None and device.managed_config == {}
        return
    assert device.unread == expected.unread
    assert app.origin is expected.origin
    assert expected.config is not None
    assert {domain: digests(config) for domain, config in device.managed_config.items()} == (
        {OKTA_VERIFY_IOS: expected_digests(expected.config)} if expected.config else {}
    )
    assert (device.sso_extension() is not None) is expected.sso_extension
    assert any(PAYLOAD_EXTENSIBLE_SSO in p.payload_types for p in device.profiles) is (expected.sso_extension)


@pytest.mark.parametrize("expected", IOS, ids=lambda c: c.name)
def test_ios_plists_are_binary_or_xml_as_listed(expected: IOSCapture) -> None:
    capture = Capture.load(capture_dir("ios", expected.name))
    for request in capture.entries:
        answer = capture.ask(request)
        assert answer is not None
        kind = "binary" if answer.data.startswith(b"bplist00") else "xml"
        assert kind == ("binary" if request in expected.binary else "xml"), request
        if kind == "xml":
            assert answer.data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE plist')


def test_ios_captures_mix_binary_and_xml_plists() -> None:
    assert any(c.binary == DEVICE_SIDE | MDM_SIDE for c in IOS)  # all binary
    assert any(c.binary and c.binary != DEVICE_SIDE | MDM_SIDE for c in IOS)  # mixed
    assert any(not c.binary for c in IOS)  # all XML


def test_stale_key_is_well_formed_but_no_configuration_of_the_org() -> None:
    check_existing_key(STALE_KEY)
    for org_file in (STANDARD, OWN):
        assert sha256(STALE_KEY) not in org_secrets(org_file).values()


# ---------------------------------------------------------------------------------------------
# The capture replays exactly what the readers ask, in their order
# ---------------------------------------------------------------------------------------------

ALL = [("android", c.name) for c in ANDROID] + [("ios", c.name) for c in IOS]


@pytest.mark.parametrize(("platform", "name"), ALL, ids=[n for _, n in ALL])
def test_capture_holds_exactly_the_requests_the_reader_asks(platform: str, name: str) -> None:
    capture = Capture.load(capture_dir(platform, name))
    asked: list[str] = []

    rounds: list[list[str]] = []

    def ask(request: str) -> Answer | None:
        asked.append(request)
        return capture.ask(request)

    def ask_many(requests: Sequence[str]) -> list[Answer | None]:
        rounds.append(list(requests))
        return [ask(request) for request in requests]

    if platform == "android":
        read_android(ask_many, source=name)
        assert len(rounds) <= 3, rounds  # one shell script or sync session per round on a live phone
    else:
        read_ios(ask, source=name)
    answered = [request for request in asked if capture.has(request)]
    assert answered == list(capture.entries)
    assert all(request.startswith("mdm.") for request in asked if not capture.has(request))
    assert len(set(asked)) == len(asked)
    index = json.loads((capture_dir(platform, name) / INDEX).read_text(encoding="utf-8"))
    # Every bundled capture is a reconstruction (fixtures/README.md), and says so.
    assert re.fullmatch(r"reconstruction of (adb-server|ios):\S+", index["source"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", index["captured_at"])


@pytest.mark.parametrize("expected", ANDROID, ids=lambda c: c.name)
def test_restriction_pulls_match_the_release_and_the_root(expected: AndroidCapture) -> None:
    """Text XML (``FastXmlSerializer``) up to Android 11, ABX from 12; files only with root."""
    capture = Capture.load(capture_dir("android", expected.name))
    getprop = capture.ask("getprop")
    assert getprop is not None
    rooted = parse_getprop(getprop.data.decode(), name="getprop").get("service.adb.root") == "1"
    pulls = [r for r in capture.entries if r.startswith("pull ")]
    # Without root adbd the reader does not pull: it asks su (absent on these phones) instead.
    su = [r for r in capture.entries if r.startswith("su ")]
    assert bool(pulls) is rooted and bool(su) is not rooted
    for request in su:
        answer = capture.ask(request)
        assert answer == Answer(b"/system/bin/sh: su: inaccessible or not found\n", 127), request
    for request in pulls:
        answer = capture.ask(request)
        assert answer is not None
        path = request.removeprefix("pull ")
        if answer.status == 0:
            assert rooted
            if expected.sdk >= 31:
                assert is_abx(answer.data), request
            else:
                assert not is_abx(answer.data), request
                config = parse_restrictions(answer.data, name=request)
                assert restrictions_to_xml(config) == answer.data
        else:
            assert answer.status == 1
            assert answer.data.decode() == (
                f"adb: error: failed to stat remote object '{path}': No such file or directory\n"
            )


def test_generated_files_match_their_readable_inputs() -> None:
    """``fixtures/make_captures.py --check``: every ABX file and binary plist is up to date."""
    generated = MAKE_CAPTURES.generate()
    assert len(generated) == 7 + 7 + 4  # 7 ABX files; the binary iOS answers
    for path, data in generated.items():
        assert path.read_bytes() == data, path.relative_to(FIXTURES)


# ---------------------------------------------------------------------------------------------
# Verdicts: what `attestlab inspect --org FILE` concludes
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Verdict:
    platform: str
    name: str
    org_file: str
    managed: bool | None
    reason: Reason | None = None
    matched: str | None = None
    findings: frozenset[str] = frozenset()

    @property
    def id(self) -> str:
        return f"{self.name}[{self.org_file}]"


def managed(platform: str, name: str, org_file: str, matched: str, *findings: str) -> Verdict:
    return Verdict(platform, name, org_file, True, Reason.MANAGED, matched, frozenset(findings))


def not_managed(platform: str, name: str, org_file: str, reason: Reason, *findings: str) -> Verdict:
    return Verdict(platform, name, org_file, False, reason, None, frozenset(findings))


def cannot_tell(platform: str, name: str, *findings: str) -> Verdict:
    return Verdict(platform, name, STANDARD, None, None, None, frozenset(findings))


ON_ANDROID, ON_IOS = "android", "ios"
VERDICTS = [
    managed(ON_ANDROID, "galaxy-s10-android10-intune-text", STANDARD, "intune-android"),
    managed(ON_ANDROID, "pixel4a-android11-both-profiles", STANDARD, "intune-android", "app_in_both_profiles"),
    managed(ON_ANDROID, "pixel6-android12-intune-abx", STANDARD, "intune-android"),
    not_managed(ON_ANDROID, "galaxy-a52-android12-key-case", STANDARD, Reason.NO_HINT, "hint_key_case"),
    not_managed(ON_ANDROID, "pixel7-android13-personal-only", STANDARD, Reason.APP_NOT_IN_WORK_PROFILE),
    cannot_tell(ON_ANDROID, "pixel5-android13-no-root", "restrictions_unreadable"),
    managed(ON_ANDROID, "pixel7-android13-fully-managed", STANDARD, "intune-android"),
    managed(ON_ANDROID, "galaxy-s23-android14-ws1-abx", OWN, "ws1-android", "multiple_platform_configs"),
    not_managed(ON_ANDROID, "galaxy-s23-android14-ws1-abx", STANDARD, Reason.HINT_MISMATCH),
    cannot_tell(ON_ANDROID, "galaxy-s23ultra-android14-secure-folder", "restrictions_unreadable", "user_unreadable"),
    managed(ON_ANDROID, "galaxy-s23ultra-android14-testdpc", STANDARD, "intune-android", "user_unreadable"),
    managed(ON_ANDROID, "emulator-android14-testdpc", STANDARD, "intune-android"),
    not_managed(ON_ANDROID, "pixel8-android15-stale-key", STANDARD, Reason.HINT_MISMATCH),
    not_managed(
        ON_ANDROID, "pixel8-android15-paused-work-profile", STANDARD, Reason.APP_NOT_INSTALLED, "work_profile_paused"
    ),
    managed(ON_ANDROID, "galaxy-s24-android15-intune-abx", STANDARD, "intune-android"),
    managed(ON_IOS, "iphone15pro-ios17-ws1-managed", STANDARD, "ws1-ios"),
    managed(ON_IOS, "iphone14-ios16-intune-managed", OWN, "intune-ios"),
    not_managed(ON_IOS, "iphone14-ios16-intune-managed", STANDARD, Reason.HINT_MISMATCH),
    not_managed(ON_IOS, "iphone13-ios17-user-installed", STANDARD, Reason.APP_NOT_MANAGED, "sso_extension_missing"),
    cannot_tell(ON_IOS, "iphone16-ios18-hint-in-sso-extension", "restrictions_unreadable"),
    managed(ON_IOS, "iphone12-ios17-no-sso-extension", STANDARD, "ws1-ios", "sso_extension_missing"),
    not_managed(ON_IOS, "iphone15-ios18-unresolved-lookup", STANDARD, Reason.HINT_MISMATCH, "unresolved_lookup"),
    cannot_tell(ON_IOS, "iphone15-ios18-declarative-app", "restrictions_unreadable"),
    cannot_tell(ON_IOS, "iphone14pro-ios18-no-mdm-answers", "restrictions_unreadable"),
]


def test_every_capture_has_a_verdict() -> None:
    assert {(v.platform, v.name) for v in VERDICTS} == set(ALL)


def load(org_file: str) -> Org:
    org, _ = load_org(ORGS / org_file, rng=random.Random(20260105))
    return org


@pytest.mark.parametrize("expected", VERDICTS, ids=lambda v: v.id)
def test_capture_verdict_and_findings(expected: Verdict) -> None:
    device = read(expected.platform, expected.name)
    inspection = inspect_device(device, load(expected.org_file), source=expected.name)
    assert inspection.managed is expected.managed
    assert inspection.reason is expected.reason
    matched = inspection.verdict.matched_config if inspection.verdict else None
    assert matched == expected.matched
    assert {f.code.value for f in inspection.findings} == expected.findings
    if expected.managed is None:
        assert inspection.verdict is None and inspection.notes
    # Nothing shown to a user carries a secret (or the old key).
    shown = json.dumps(inspection.to_json()) + repr(inspection.findings)
    for secret in (*_published_secrets(), STALE_KEY):
        assert secret not in shown


@cache
def _published_secrets() -> tuple[str, ...]:
    return tuple(secret.reveal() for org_file in (STANDARD, OWN) for secret in load_org(ORGS / org_file)[1].values())


def test_the_captures_cover_what_issue_4_asks_for() -> None:
    assert {c.release for c in ANDROID} == {"10", "11", "12", "13", "14", "15"}
    assert {c.manufacturer for c in ANDROID} == {"Google", "samsung"}
    assert {c.owner for c in ANDROID} == {COMPANY_PORTAL, CLOUDDPC, HUB, TESTDPC, None}
    # Issue 8: a user refusing the shell, a fully managed phone, a paused profile.
    assert any(c.refused for c in ANDROID) and any(c.paused & {10} for c in ANDROID)
    assert any(c.device_owner and c.owner is None for c in ANDROID)
    assert {c.origin for c in IOS} == {AppOrigin.EMM, AppOrigin.USER, None}
    assert {c.sso_extension for c in IOS} == {True, False, None}
    assert {v.reason for v in VERDICTS if v.platform == ON_IOS} >= {
        Reason.MANAGED,
        Reason.APP_NOT_MANAGED,
        Reason.HINT_MISMATCH,
        None,
    }


# ---------------------------------------------------------------------------------------------
# Bad captures: one-line CaptureError naming the directory, file or request
# ---------------------------------------------------------------------------------------------


def copy_capture(tmp_path: Path, platform: str, name: str) -> Path:
    target = tmp_path / name
    shutil.copytree(capture_dir(platform, name), target)
    return target


def edit_index(directory: Path, change: Callable[[dict[str, Any]], None]) -> None:
    path = directory / INDEX
    index = json.loads(path.read_text(encoding="utf-8"))
    change(index)
    path.write_text(json.dumps(index), encoding="utf-8")


def capture_error(directory: Path, *named: str) -> str:
    return one_line(CaptureError, lambda: read_source(f"capture:{directory}"), *named)


def test_missing_capture_json(tmp_path: Path) -> None:
    directory = copy_capture(tmp_path, ON_ANDROID, "pixel6-android12-intune-abx")
    (directory / INDEX).unlink()
    capture_error(directory, str(directory), INDEX)


def test_capture_json_names_a_missing_file(tmp_path: Path) -> None:
    directory = copy_capture(tmp_path, ON_ANDROID, "pixel6-android12-intune-abx")
    (directory / "dumpsys_device_policy.txt").unlink()
    capture_error(directory, "'dumpsys_device_policy.txt'", "'dumpsys device_policy'")


@pytest.mark.parametrize(
    ("text", "problem"),
    [("{", "not JSON (line 1, column 2)"), ("not json", "not JSON (line 1"), ("\xff", "not UTF-8 at byte 0")],
    ids=["truncated", "text", "latin1"],
)
def test_capture_json_not_json(tmp_path: Path, text: str, problem: str) -> None:
    directory = copy_capture(tmp_path, ON_IOS, "iphone15pro-ios17-ws1-managed")
    (directory / INDEX).write_bytes(text.encode("latin-1"))
    capture_error(directory, str(directory / INDEX), problem)


@pytest.mark.parametrize("number", [0, 2, "1", None])
def test_capture_json_wrong_format_number(tmp_path: Path, number: object) -> None:
    directory = copy_capture(tmp_path, ON_IOS, "iphone15pro-ios17-ws1-managed")
    edit_index(directory, lambda index: index.update(format=number))
    capture_error(directory, str(directory / INDEX), "format must be 1")


@pytest.mark.parametrize(
    ("platform", "name", "request_name"),
    [
        (ON_ANDROID, "pixel6-android12-intune-abx", "dumpsys device_policy"),
        (ON_ANDROID, "pixel6-android12-intune-abx", "pm list packages --user 10 com.okta.android.auth"),
        (
            ON_ANDROID,
            "emulator-android14-testdpc",
            "dumpsys activity --user 10 service com.afwsamples.testdpc get-app-restrictions "
            "com.okta.android.auth com.afwsamples.testdpc",
        ),
        (ON_IOS, "iphone15pro-ios17-ws1-managed", "installation_proxy.browse"),
        (ON_IOS, "iphone15pro-ios17-ws1-managed", "lockdown.all_values"),
    ],
)
def test_request_missing_from_the_capture_is_named(tmp_path: Path, platform: str, name: str, request_name: str) -> None:
    directory = copy_capture(tmp_path, platform, name)
    edit_index(
        directory, lambda index: index.update(entries=[e for e in index["entries"] if e["request"] != request_name])
    )
    capture_error(directory, str(directory), repr(request_name))


def test_missing_mdm_answers_are_not_an_error(tmp_path: Path) -> None:
    directory = copy_capture(tmp_path, ON_IOS, "iphone15pro-ios17-ws1-managed")
    edit_index(
        directory,
        lambda index: index.update(entries=[e for e in index["entries"] if not e["request"].startswith("mdm.")]),
    )
    device = read_source(f"capture:{directory}")
    assert device.unread == {UNREAD_APP_STATE, UNREAD_CONFIG, UNREAD_PROFILE_TYPES}


@pytest.mark.parametrize("escape", ["../outside.txt", "sub/../../outside.txt", "/etc/hostname"])
def test_file_path_escaping_the_directory(tmp_path: Path, escape: str) -> None:
    directory = copy_capture(tmp_path, ON_ANDROID, "pixel6-android12-intune-abx")
    (tmp_path / "outside.txt").write_text("[ro.product.model]: [leaked]\n")

    def point_getprop_outside(index: dict[str, Any]) -> None:
        index["entries"][0]["file"] = escape

    edit_index(directory, point_getprop_outside)
    capture_error(directory, str(directory / INDEX), repr(escape), "leaves the capture directory")


def test_corrupt_abx_names_the_request_and_offset_not_the_secret(tmp_path: Path) -> None:
    directory = copy_capture(tmp_path, ON_ANDROID, "pixel6-android12-intune-abx")
    request = "pull /data/system/users/10/res_com.okta.android.auth.xml"
    path = directory / Capture.load(directory).entries[request][0]
    data = path.read_bytes()
    secret = next(s for s in _published_secrets() if s.encode() in data)
    path.write_bytes(data[: data.index(secret.encode()) + 6])  # cut inside the hint's string
    message = one_line(ParseError, lambda: read_source(f"capture:{directory}"), request)
    assert re.search(r"offset \d+", message)
    assert secret[:6] not in message


def test_a_symlink_out_of_the_capture_is_refused(tmp_path: Path) -> None:
    from harness.errors import CaptureError
    from harness.sources.capture import Capture

    outside = tmp_path / "outside.txt"
    outside.write_text("[ro.product.model]: [Pixel 8]\n")
    capture = tmp_path / "cap"
    capture.mkdir()
    (capture / "getprop.txt").symlink_to(outside)
    (capture / "capture.json").write_text(
        '{"format": 1, "platform": "android", "entries": [{"request": "getprop", "file": "getprop.txt", "status": 0}]}'
    )
    with pytest.raises(CaptureError, match="leaves the capture directory"):
        Capture.load(capture).ask("getprop")
