"""``attestlab inspect``: say, as Okta would, whether a real device counts as managed, and why not.

The device read from a source gets an emulated Okta Verify (per installed copy) that enrolls with
the verifier built from the org file and signs in from the work profile's browser (the personal
one when the work profile is paused or absent), exactly as in a simulated scenario; the
device-side findings explain the verdict with one-line fixes. When what the source could not read
decides the verdict (:func:`_undecidable`), the answer is "could not tell" (``managed`` is None),
never a guess.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from typing import Any

from harness import diagnose
from simulator.chain import Chain
from simulator.device import (
    UNREAD_APP_STATE,
    UNREAD_CONFIG,
    UNREAD_DECLARATIVE_APPS,
    UNREAD_SSO_EXTENSION_DATA,
    AndroidDevice,
    AnyDevice,
    IOSDevice,
    unread_user,
)
from simulator.ids import MANAGEMENT_HINT, OKTA_VERIFY_ANDROID, OKTA_VERIFY_IOS
from simulator.okta_verify.agent import OktaVerify
from simulator.secret import redact, redact_secrets
from simulator.verdict import Decision, Finding, FindingCode, Outcome, Reason
from simulator.verifier.org import Org, reason_without_hint

#: What an admin does about each reason, per EMM.
_FIXES: dict[Reason, str] = {
    Reason.APP_NOT_INSTALLED: "assign Okta Verify as a required app — {emm}",
    Reason.APP_NOT_MANAGED: "take the app under management — Workspace ONE: Make App EMM Managed if User "
    "Installed; Intune: required assignment (silent on supervised devices, else the user must accept)",
    Reason.NO_HINT: "add the key managementHint (case-sensitive, type String) to Okta Verify's app "
    "configuration — {emm}",
    Reason.HINT_MISMATCH: "put the current secret key of the org's configuration in managementHint "
    "(after Reset secret key, update the EMM too) — {emm}",
    Reason.NO_PLATFORM_CONFIG: "add an endpoint-management platform for this OS in Okta "
    "(Security > Device integrations)",
    Reason.NOT_REGISTERED: "add the org account in Okta Verify",
}
#: Where each EMM keeps these settings, by the package of its Android DPC. Android Device Policy
#: runs every Android Management API EMM, so it does not name one (DOMAIN.md §5).
_EMM_HINTS = {
    "com.microsoft.windowsintune.companyportal": "Intune: Apps > App configuration policies (Managed devices, "
    "configuration designer); Okta Verify as a required work-profile app",
    "com.google.android.apps.work.clouddpc": "the Android Management API EMM that enrolled the device (Android "
    "Device Policy is its controller; e.g. Intune corporate-owned: Apps > App configuration policies, "
    "Managed devices)",
    "com.airwatch.androidagent": "Workspace ONE: App Delivery Method Automatic, Application Configuration",
    "com.afwsamples.testdpc": "TestDPC: set-app-restrictions com.okta.android.auth managementHint=...",
}


def _controller(device: AndroidDevice) -> str | None:
    """The EMM's DPC: the work profile's owner, else the device owner (fully managed)."""
    work = device.work_profile
    if work is not None and work.profile_owner:
        return work.profile_owner
    return device.device_owner


def _emm_hint(device: AnyDevice) -> str:
    controller = _controller(device) if isinstance(device, AndroidDevice) else None
    if controller is not None:
        package = controller.split("/", 1)[0]
        return _EMM_HINTS.get(package, f"the EMM whose controller manages the device ({package})")
    return "in the EMM's app configuration"


def _fix(reason: Reason, device: AnyDevice) -> str | None:
    """One line an admin can act on, naming users and the EMM where the device tells them."""
    if isinstance(device, AndroidDevice):
        paused = next((u for u in device.users_with(OKTA_VERIFY_ANDROID) if u.paused and u.is_managed_profile), None)
        if paused is not None:
            return f"the work profile (user {paused.id}) holding Okta Verify is paused: turn work apps on"
    if reason is Reason.APP_NOT_IN_WORK_PROFILE and isinstance(device, AndroidDevice):
        work = device.work_profile
        users = device.users_with(OKTA_VERIFY_ANDROID)
        personal = ", ".join(f"user {u.id}" for u in users if not u.is_managed_profile)
        if work is None:
            return (
                f"Okta Verify is in {personal} and the device has neither a work profile nor a device owner: "
                "enroll it with the EMM"
            )
        if work in users:
            return (
                f"the sign-in reached the copy in {personal}, which is not managed: open sign-ins in the work "
                f"profile's browser (user {work.id}), or uninstall the personal copy"
            )
        return (
            f"Okta Verify is installed in the personal profile ({personal}); install it in the work profile "
            f"(user {work.id}) — {_emm_hint(device)}"
        )
    if reason is Reason.APP_NOT_MANAGED and isinstance(device, IOSDevice) and device.user_enrollment:
        return (
            "on a User Enrollment the MDM cannot take over an app the user installed: have the user delete "
            "Okta Verify, then install it from the MDM's assignment"
        )
    template = _FIXES.get(reason)
    return template.format(emm=_emm_hint(device)) if template else None


#: What leaves an app's management state unknown.
_APP_STATE_UNREAD = frozenset({UNREAD_APP_STATE, UNREAD_DECLARATIVE_APPS})


def _copies(device: AnyDevice) -> list[OktaVerify]:
    """Every installed copy, including one in a paused profile (which cannot answer)."""
    rng = random.Random(0)
    if isinstance(device, AndroidDevice):
        return [OktaVerify(device, u.id, rng=rng) for u in device.users_with(OKTA_VERIFY_ANDROID)]
    return OktaVerify.installations(device, rng=rng)


def _undecidable(device: AnyDevice, agents: list[OktaVerify]) -> bool:
    """Whether what the source could not read decides the verdict.

    Android: the configuration of a copy, or a user the shell was refused for when Okta Verify
    may be there and nowhere readable, or when that user is the work profile (whose copy is the
    one the work browser reaches). iOS: the app's state or configuration; the SSO extension's
    data when the app configuration has no hint; a possibly declaratively managed app.
    """
    unread = device.unread
    if agents and (UNREAD_CONFIG in unread or UNREAD_APP_STATE in unread):
        return True
    if isinstance(device, AndroidDevice):
        refused = [u for u in device.users.values() if unread_user(u.id) in unread]
        return bool(refused) and (
            not device.users_with(OKTA_VERIFY_ANDROID) or any(u.is_managed_profile for u in refused)
        )
    if UNREAD_DECLARATIVE_APPS in unread:
        return True
    return UNREAD_SSO_EXTENSION_DATA in unread and MANAGEMENT_HINT not in device.config_for(OKTA_VERIFY_IOS)


@dataclass(slots=True)
class Inspection:
    source: str
    device: AnyDevice
    verdict: Decision | None
    managed: bool | None
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def reason(self) -> Reason | None:
        return self.verdict.reason if self.verdict else None

    @property
    def fix(self) -> str | None:
        if self.verdict is None or self.verdict.managed:
            return None
        return _fix(self.verdict.reason, self.device)

    def okta_verify(self) -> list[dict[str, Any]]:
        """Each installed copy: where it is and whether it is managed."""
        copies = []
        for agent in _copies(self.device):
            hint = agent.management_hint() if UNREAD_CONFIG not in self.device.unread else None
            copies.append(
                {
                    "user": agent.user_id,
                    "profile": agent.profile_kind.value if agent.profile_kind else None,
                    "managed": agent.app_managed if not self.device.unread & _APP_STATE_UNREAD else None,
                    "config": redact_secrets(agent.managed_config())
                    if UNREAD_CONFIG not in self.device.unread
                    else None,
                    "management_hint": redact(hint) if hint is not None else None,
                }
            )
        return copies

    def to_json(self) -> dict[str, Any]:
        identity = self.device.identity
        verdict = self.verdict
        remediation = verdict.remediation if verdict else None
        return {
            "source": self.source,
            "device": {
                "platform": self.device.platform.value,
                "model": identity.model,
                "manufacturer": identity.manufacturer,
                "os_version": identity.os_version,
                "serial": identity.serial,
                "unread": sorted(self.device.unread),
                "facts_from": dict(self.device.facts_from),
                **_profile_facts(self.device),
            },
            "okta_verify": self.okta_verify(),
            "verdict": {
                "managed": self.managed,
                "reason": verdict.reason.value if verdict else None,
                "matched_config": verdict.matched_config if verdict else None,
                "remediation": remediation.to_json() if remediation else None,
                "fix": self.fix,
            },
            "findings": [
                {"code": f.code.value, "severity": f.severity.value, "message": f.message} for f in self.findings
            ],
            "notes": self.notes,
        }


def _profile_facts(device: AnyDevice) -> dict[str, Any]:
    if isinstance(device, AndroidDevice):
        return {
            "users": [
                {
                    "id": u.id,
                    "name": u.name,
                    "kind": u.kind.value,
                    "flags": f"{u.flags:x}",
                    "running": u.running,
                    "paused": u.paused,
                    "no_debugging": u.no_debugging,
                    "profile_owner": u.profile_owner,
                }
                for _, u in sorted(device.users.items())
            ],
            "device_owner": device.device_owner,
        }
    assert isinstance(device, IOSDevice)
    return {
        "supervised": device.supervised,
        "user_enrollment": device.user_enrollment,
        "mdm_enrolled": device.mdm_enrolled,
        "profiles": [{"identifier": p.identifier, "payload_types": list(p.payload_types)} for p in device.profiles],
    }


def inspect_device(device: AnyDevice, org: Org | None, *, source: str = "") -> Inspection:
    """The verdict (when it can be told) and the findings for one device."""
    findings = diagnose.device_findings(device)
    rng = random.Random(0)
    agents = OktaVerify.installations(device, rng=rng)
    inspection = Inspection(source, device, None, None, findings)
    if isinstance(device, IOSDevice):
        from harness.readers.ios import unchecked

        inspection.notes += unchecked(device)
    if _undecidable(device, agents):
        inspection.notes.append(
            f"could not read: {', '.join(sorted(device.unread))}; "
            "whether Okta would count the device as managed cannot be told"
        )
        return inspection
    if org is not None:
        chain = Chain(org, device, rng=rng, clock=org.clock)
        chain.enroll()
        decision = chain.sign_in()
        inspection.verdict, inspection.managed = decision, decision.managed
        if isinstance(device, AndroidDevice):
            browser = chain.default_browser().user
            kind = device.users[browser].kind.value if browser in device.users else "unknown"
            inspection.notes.append(f"signed in from the browser of user {browser} ({kind})")
        if decision.managed:  # the hint matched a key: its lookup-like text is the key itself
            findings = [f for f in findings if f.code is not FindingCode.UNRESOLVED_LOOKUP]
        inspection.findings = list(decision.findings) + findings
        return inspection
    inspection.notes.append("matching the managementHint against the org's secret keys needs an org file (--org)")
    if not agents:
        inspection.verdict = Decision(Outcome.NOT_MANAGED, Reason.APP_NOT_INSTALLED, access=False)
        inspection.managed = False
        return inspection
    holder = agents[0] if len(agents) == 1 else next((a for a in agents if a.in_work_profile), agents[0])
    attestation = holder.signals()["deviceAttestation"]
    if "managementHint" not in attestation:
        inspection.verdict = Decision(Outcome.NOT_MANAGED, reason_without_hint(attestation), access=False)
        inspection.managed = False
    return inspection


def yes_no(value: bool | None) -> str:
    """A fact as the text output says it: ``yes``, ``no``, ``unknown`` (not Python's True/None)."""
    return {True: "yes", False: "no", None: "unknown"}[value]


def config_lines(config: dict[str, Any], indent: str = "    ") -> list[str]:
    """A managed configuration (already redacted) as ``key = value`` lines, the way EMM consoles
    list rows: nested mappings (Android bundles, plist dicts) indented below their key, lists in
    brackets, booleans ``true``/``false``; text is quoted only when it would be misread (empty,
    white space at an end, a line break) — a hint's trailing space is a finding of its own."""
    lines = []
    for key, value in config.items():
        if isinstance(value, dict):
            lines.append(f"{indent}{key}:")
            lines += config_lines(value, indent + "  ")
        else:
            lines.append(f"{indent}{key} = {_config_value(value)}")
    return lines


def _config_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        readable = value and value == value.strip() and value.isprintable()
        return value if readable else json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return (
            "["
            + ", ".join(json.dumps(v, ensure_ascii=False) if isinstance(v, dict) else _config_value(v) for v in value)
            + "]"
        )
    return str(value)
