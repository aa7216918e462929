"""Turn a device (simulated or read from hardware) and an org into findings an admin can act on.

The verifier judges what Okta Verify sends; this module looks at the device the way an admin
with adb or the MDM console would, and explains the quiet failures behind a verdict: a key typed
``managementhint``, a lookup value the EMM never resolved, a trailing space, Okta Verify in two
profiles, a paused work profile, a user the shell was refused for, no SSO extension, what the
MDM's answers cannot show, an inventory status that will only change at the next sign-in.
"""

from __future__ import annotations

from simulator.appconfig import AppConfig
from simulator.device import (
    UNREAD_CONFIG,
    UNREAD_DECLARATIVE_APPS,
    UNREAD_PROFILE_TYPES,
    UNREAD_SSO_EXTENSION_DATA,
    AndroidDevice,
    AnyDevice,
    IOSDevice,
    ProfileKind,
    unread_user,
)
from simulator.emm.lookups import find_unresolved
from simulator.ids import (
    MANAGEMENT_HINT,
    OKTA_SSO_EXTENSION_IOS,
    OKTA_VERIFY_ANDROID,
    OKTA_VERIFY_IOS,
)
from simulator.verdict import Finding, FindingCode, Outcome, Severity
from simulator.verifier.org import Org


def config_findings(config: AppConfig, where: str) -> list[Finding]:
    """Problems with the ``managementHint`` entry of one configuration."""
    findings: list[Finding] = []
    near = [k for k in config if k != MANAGEMENT_HINT and k.strip().lower() == MANAGEMENT_HINT.lower()]
    if near and MANAGEMENT_HINT not in config:
        findings.append(
            Finding(
                FindingCode.HINT_KEY_CASE,
                Severity.ERROR,
                f"{where}: key {near[0]!r} is not 'managementHint' (keys are case-sensitive); rename it in the EMM",
            )
        )
    value = config.get(MANAGEMENT_HINT)
    if isinstance(value, str):
        if find_unresolved(value):
            # The lookup's text is not shown: a secret key may itself look like {Something}.
            findings.append(
                Finding(
                    FindingCode.UNRESOLVED_LOOKUP,
                    Severity.ERROR,
                    f"{where}: managementHint holds an EMM lookup or token ({{Name}} or {{{{name}}}}) that was "
                    "never filled in, which Okta Verify sends as literal text; enter the secret key itself",
                )
            )
        elif value != value.strip():
            findings.append(
                Finding(
                    FindingCode.HINT_WHITESPACE,
                    Severity.ERROR,
                    f"{where}: managementHint has leading or trailing white space; remove it in the EMM",
                )
            )
    return findings


def device_findings(device: AnyDevice) -> list[Finding]:
    if isinstance(device, AndroidDevice):
        return _android_findings(device)
    return _ios_findings(device)


def _android_findings(device: AndroidDevice) -> list[Finding]:
    findings: list[Finding] = []
    users = device.users_with(OKTA_VERIFY_ANDROID)
    kinds = {u.kind for u in users}
    if ProfileKind.WORK in kinds and len(users) > 1:
        others = ", ".join(f"user {u.id}" for u in users if u.kind is not ProfileKind.WORK)
        findings.append(
            Finding(
                FindingCode.APP_IN_BOTH_PROFILES,
                Severity.WARNING,
                f"Okta Verify is installed in the work profile and in {others}: sign-ins from the work "
                "profile's browser reach the managed work copy, others reach an unmanaged one — "
                "open sign-ins in the work profile's browser (or uninstall the personal copy)",
            )
        )
    for user in users:
        if user.paused and user.kind is ProfileKind.WORK:
            findings.append(
                Finding(
                    FindingCode.WORK_PROFILE_PAUSED,
                    Severity.ERROR,
                    f"the work profile (user {user.id}) is paused, so Okta Verify in it cannot answer and the "
                    "device is not managed right now: turn work apps on, then sign in again",
                )
            )
    for user_id in sorted(u.id for u in device.users.values() if unread_user(u.id) in device.unread):
        user = device.users[user_id]
        findings.append(
            Finding(
                FindingCode.USER_UNREADABLE,
                Severity.WARNING,
                f"the shell was refused for user {user_id} ({user.name}, restriction no_debugging_features): "
                "whether Okta Verify is installed there is unknown; the rest of the device was read "
                "(a read as root is not refused)",
            )
        )
    if UNREAD_CONFIG in device.unread:
        findings.append(_unreadable("no root, no TestDPC"))
        return findings
    for user in users:
        findings += config_findings(
            device.restrictions_for(user.id, OKTA_VERIFY_ANDROID), f"user {user.id} ({user.kind.value})"
        )
    return findings


def _ios_findings(device: IOSDevice) -> list[Finding]:
    """iOS findings. ``missing_preference_domain`` is retired (never emitted): Apple MDM app
    configuration targets managed apps, and the SSO extension is not one (DOMAIN.md §2)."""
    findings: list[Finding] = []
    app = device.app(OKTA_VERIFY_IOS)
    if app is None:
        return findings
    if UNREAD_CONFIG in device.unread:
        findings.append(_unreadable("the MDM's ManagedApplicationConfiguration answer is missing"))
    config = device.config_for(OKTA_VERIFY_IOS)
    if UNREAD_DECLARATIVE_APPS in device.unread:
        findings.append(
            _unreadable(
                "Okta Verify is installed but absent from ManagedApplicationList on a device with declaratively "
                "managed profiles: apps managed through declarative device management are left out of "
                "ManagedApplicationList and ManagedApplicationConfiguration; check the MDM's declarative "
                "app status (app.managed.list)"
            )
        )
    if UNREAD_SSO_EXTENSION_DATA in device.unread and MANAGEMENT_HINT not in config:
        findings.append(
            _unreadable(
                "the app configuration has no managementHint, and the Credential SSO extension profile is "
                "installed but the MDM's ProfileList names payload types, not the extension data that may "
                "hold it; export that profile's payload from the MDM"
            )
        )
    extension = device.sso_extension()
    if extension is None and UNREAD_PROFILE_TYPES not in device.unread:
        findings.append(
            Finding(
                FindingCode.SSO_EXTENSION_MISSING,
                Severity.WARNING,
                f"no Credential SSO extension profile for {OKTA_SSO_EXTENSION_IOS}: FastPass on iOS needs it",
            )
        )
    findings += config_findings(config, OKTA_VERIFY_IOS)
    if extension is not None:
        findings += config_findings(extension.extension_data, "SSO extension data")
    return _unique(findings)


def _unreadable(why: str) -> Finding:
    return Finding(
        FindingCode.RESTRICTIONS_UNREADABLE,
        Severity.WARNING,
        f"the managed configuration could not be read ({why}): whether a managementHint is present is unknown",
    )


def stale_status_finding(org: Org, device: AnyDevice, hint: str | None) -> Finding | None:
    """The inventory says "not managed" but the device would now be judged managed."""
    status = org.inventory_status(device.identity.udid)
    if status is Outcome.MANAGED or status is None or hint is None:
        return None
    if org.would_match(device.platform, hint) is None:
        return None
    return Finding(
        FindingCode.STATUS_STALE_UNTIL_SIGNIN,
        Severity.INFO,
        "the device inventory shows Not managed until the device's next FastPass sign-in",
    )


def _unique(findings: list[Finding]) -> list[Finding]:
    """One finding per code (the same problem in two domains is one thing to fix)."""
    seen: set[FindingCode] = set()
    result = []
    for finding in findings:
        if finding.code not in seen:
            seen.add(finding.code)
            result.append(finding)
    return result
