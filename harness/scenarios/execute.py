"""Run one case: a scenario on one device, step by step, compared with its expectations.

Everything random in a case (identity, keys, secrets, nonces) comes from an RNG seeded with the
run's seed and the case id, and time from a simulated clock, so a case gives the same result in
any worker and any shard, and ``--seed`` reproduces a run exactly.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness import attacks, diagnose, snapshots
from harness.cases import CaseDevice, case_id, device_label
from harness.errors import InputError
from harness.matrix import SourceDevice
from harness.results import CaseOutcome, CaseResult, StepResult
from harness.scenarios.loader import SECRET_REF
from harness.scenarios.model import DeviceSpec, EMMSpec, Expectation, Scenario, Step
from simulator.chain import Chain
from simulator.clock import SimClock
from simulator.device import (
    AndroidDevice,
    AnyDevice,
    AppOrigin,
    IOSDevice,
    Platform,
    generate_identity,
    new_device,
)
from simulator.emm import EMM, AndroidMode, Delivery, EnrollmentType, Intune, IOSAppSettings, WorkspaceOne
from simulator.errors import AttestlabError
from simulator.ids import OKTA_VERIFY_ANDROID, OKTA_VERIFY_IOS
from simulator.keys import KeyKind
from simulator.secret import Secret, redact
from simulator.signin import Browser
from simulator.verdict import Decision, Finding
from simulator.verifier.orgfile import build_org

STEP_SECONDS = 60.0


@dataclass
class _Case:
    """The state of one running case."""

    scenario: Scenario
    chain: Chain
    emm: EMM | None
    clock: SimClock
    secrets: dict[str, Secret]
    template: dict[str, Any] = field(default_factory=dict)

    @property
    def device(self) -> AnyDevice:
        return self.chain.device

    def render(self, config: dict[str, Any]) -> dict[str, Any]:
        """Put the current secrets in place of ``${secret:NAME}``."""

        def walk(value: Any) -> Any:
            if isinstance(value, str):
                return SECRET_REF.sub(lambda m: self.secrets[m.group(1)].reveal(), value)
            if isinstance(value, dict):
                return {k: walk(v) for k, v in value.items()}
            if isinstance(value, list | tuple):
                return type(value)(walk(v) for v in value)
            return value

        return {k: walk(v) for k, v in config.items()}

    def scrub(self, text: str) -> str:
        """Defence in depth: no known secret value leaves a case, even in an error message."""
        for secret in self.secrets.values():
            value = secret.reveal()
            if value and value in text:
                text = text.replace(value, redact(value))
        return text


def build_emm(spec: EMMSpec, config: dict[str, Any], custom_values: dict[str, str]) -> EMM | None:
    """The EMM of the scenario; its settings were validated by the loader."""
    try:
        ios = IOSAppSettings(**spec.ios)
        settings = dict(spec.settings)
        if "android_mode" in settings:
            settings["android_mode"] = AndroidMode(settings["android_mode"])
        if spec.provider == "intune":
            if "enrollment_type" in settings:
                settings["enrollment_type"] = EnrollmentType(settings["enrollment_type"])
            return Intune(configuration=config, ios=ios, custom_values=custom_values, **settings)
        if spec.provider == "workspace_one":
            if "delivery" in settings:
                settings["delivery"] = Delivery(settings["delivery"])
            return WorkspaceOne(configuration=config, ios=ios, custom_values=custom_values, **settings)
    except (TypeError, ValueError) as exc:
        raise InputError(f"device.emm.settings: {exc}") from None
    return None


def scenario_sources(scenarios: Iterable[Scenario]) -> list[tuple[str, Path | None]]:
    """The sources scenarios read their device from, for :func:`harness.snapshots.prefetch`."""
    return [(s.device.source, Path(s.path).parent) for s in scenarios if s.device.source is not None]


def build_device(spec: DeviceSpec, override: CaseDevice, rng: random.Random, scenario_path: str) -> AnyDevice:
    """The case's device: a copy of its source's snapshot (read once per run), or a new simulated
    one. (The scenario's folder is made a ``Path`` only for a source: ~0.1 ms of every case.)"""
    if isinstance(override, SourceDevice):
        return snapshots.device(override.spec)
    if spec.source is not None:
        return snapshots.device(spec.source, base=Path(scenario_path).parent)
    model = (override.model if override else None) or spec.model
    os_version = (override.os_version if override else None) or spec.os_version
    manufacturer = (override.manufacturer if override else None) or spec.manufacturer
    identity = generate_identity(spec.platform, rng, model=model, os_version=os_version, manufacturer=manufacturer)
    device = new_device(spec.platform, identity)
    if isinstance(device, AndroidDevice):
        if spec.secure_folder:
            device.add_secure_folder()
        if spec.okta_verify in ("personal", "both"):
            device.install(OKTA_VERIFY_ANDROID, 0)
    else:
        device.supervised = spec.supervised
        if spec.okta_verify == "user":
            device.install(OKTA_VERIFY_IOS, AppOrigin.USER).management_rejected = spec.management_rejected
    return device


def _provision(case: _Case, spec: DeviceSpec) -> None:
    emm = case.emm
    if emm is None:
        return
    emm.enroll(case.device)
    if spec.okta_verify in ("work", "both", "emm", "user"):
        emm.deploy(case.device)
    elif isinstance(case.device, IOSDevice) and emm.ios.sso_extension:
        emm.install_sso_extension(case.device)
    emm.push(case.device)


def _new_case(scenario: Scenario, override: CaseDevice, rng: random.Random) -> _Case:
    """The case before its steps: org and device built (then :func:`_prepare`)."""
    clock = SimClock()
    org, secrets = build_org(scenario.org, rng=rng, clock=clock)
    spec = scenario.device
    device = build_device(spec, override, rng, scenario.path)
    if spec.source is not None and device.platform is not spec.platform:
        raise InputError(
            f"{scenario.path}: device.source {spec.source} is an {device.platform.display} device, "
            f"but device.platform is {spec.platform.value}"
        )
    key_kind = KeyKind.for_alg(spec.key_algorithm) if spec.key_algorithm else None
    return _Case(scenario, Chain(org, device, rng=rng, clock=clock, key_kind=key_kind), None, clock, secrets)


def _prepare(case: _Case, override: CaseDevice) -> None:
    """The device provisioned by its EMM and, if the scenario says so, enrolled in Okta Verify."""
    spec = case.scenario.device
    if spec.emm is not None and not isinstance(override, SourceDevice):  # a real device has its EMM
        case.template = dict(spec.emm.config)
        case.emm = build_emm(spec.emm, case.render(case.template), case.render(spec.emm.custom_values))
    _provision(case, spec)
    if case.scenario.device.enrolled:
        case.chain.enroll()


def provisioned_device(scenario: Scenario, rng: random.Random) -> AnyDevice:
    """The scenario's device as it is when its first step starts (``attestlab device serve``)."""
    case = _new_case(scenario, None, rng)
    _prepare(case, None)
    return case.device


def new_result(scenario: Scenario, override: CaseDevice, outcome: CaseOutcome, message: str = "") -> CaseResult:
    """The result of ``scenario`` on ``override`` before (or instead of) running it: the runner
    also makes one for a case that passed its deadline or whose worker process was lost."""
    return CaseResult(
        case_id(scenario, override),
        scenario.name,
        device_label(scenario.device, override),
        outcome,
        message=message,
        file=scenario.rel or scenario.path,
        tags=list(scenario.tags),
        platform=scenario.platform.value,
        emm=scenario.device.emm.provider if scenario.device.emm is not None else "none",
    )


def run_case(scenario: Scenario, override: CaseDevice, seed: int) -> CaseResult:
    """Run ``scenario`` on one device; never raises (problems become an ``error`` case)."""
    result = new_result(scenario, override, CaseOutcome.PASSED)
    cid = result.id
    if scenario.skip:
        result.outcome, result.message = CaseOutcome.SKIPPED, scenario.skip
        return result
    started = time.perf_counter()
    case: _Case | None = None
    try:
        case = _new_case(scenario, override, random.Random(f"{seed}:{cid}"))
        _prepare(case, override)  # after case is set: an error here is scrubbed of the case's secrets
        clock = case.clock
        for step in scenario.steps:
            clock.advance(STEP_SECONDS)
            step_result = _STEPS[step.action](case, step)
            step_result.line = step.line
            result.steps.append(step_result)
        failed = [s for s in result.steps if s.mismatches]
        if failed:
            result.outcome = CaseOutcome.FAILED
            first = failed[0]
            result.message = (
                f"step {result.steps.index(first) + 1} (line {first.line}) {first.action}: {first.mismatches[0]}"
            )
    except AttestlabError as exc:
        result.outcome = CaseOutcome.ERROR
        result.message = str(exc)
    except Exception as exc:  # one broken case never stops a matrix
        result.outcome = CaseOutcome.ERROR
        result.message = f"internal error: {type(exc).__name__}: {exc}"
    if case is not None:
        result.message = case.scrub(result.message)
    result.duration_s = time.perf_counter() - started
    return result


# -- steps -------------------------------------------------------------------------------------


def _judged(case: _Case, step: Step, decision: Decision) -> StepResult:
    findings = list(decision.findings) + diagnose.device_findings(case.device)
    remediation = decision.remediation
    out = StepResult(
        step.action,
        decision.outcome.value,
        decision.reason.value,
        remediation.to_json() if remediation else None,
        sorted({f.code.value for f in findings}),
    )
    if step.expect is not None:
        out.mismatches = _compare(step.expect, decision, out)
    return out


def _compare(expect: Expectation, decision: Decision, got: StepResult) -> list[str]:
    problems = []
    if expect.decision is not None and expect.decision != got.decision:
        problems.append(f"decision: expected {expect.decision}, got {got.decision}")
    if expect.reason is not None and expect.reason != got.reason:
        problems.append(f"reason: expected {expect.reason}, got {got.reason}")
    if expect.access is not None and expect.access != decision.access:
        problems.append(f"access: expected {expect.access}, got {decision.access}")
    if expect.remediation_absent and got.remediation is not None:
        problems.append(f"remediation: expected none, got {got.remediation['title']!r}")
    if expect.remediation is not None:
        actual = got.remediation or {}
        for key, want in expect.remediation.items():
            have = actual.get("enrollment_link" if key == "link" else key)
            if want != have:
                problems.append(f"remediation.{key}: expected {want!r}, got {have!r}")
    missing = [f for f in expect.findings if f not in got.findings]
    if missing:
        problems.append(f"findings: expected {', '.join(missing)}, got {', '.join(got.findings) or 'none'}")
    return problems


def _browser(case: _Case, step: Step) -> Browser | None:
    """The browser a sign-in step runs in: its Android profile and private mode (None: the
    chain's default browser, which the chain then finds once rather than twice)."""
    browser = step.args.get("browser")
    device = case.device
    private = bool(step.args.get("private_browsing", False))
    if browser is None or not isinstance(device, AndroidDevice):
        return Browser(case.chain.default_browser().user, private) if private else None
    if browser == "personal":
        return Browser(0, private)
    profile = device.work_profile
    if profile is None:
        raise InputError(f"{case.scenario.path}:{step.line}: browser 'work' but the device has no work profile")
    return Browser(profile.id, private)


def _sign_in(case: _Case, step: Step) -> StepResult:
    attack = step.args.get("attack")
    if attack:
        decision = attacks.attack_sign_in(case.chain, attack, case.clock.advance)
    else:
        decision = case.chain.sign_in(_browser(case, step))
    return _judged(case, step, decision)


def _reset_secret(case: _Case, step: Step) -> StepResult:
    case.secrets[step.args["name"]] = case.chain.org.reset_secret(step.args["name"])
    return StepResult(step.action)


def _emm_push(case: _Case, step: Step) -> StepResult:
    if case.emm is None:
        raise InputError(f"{case.scenario.path}:{step.line}: emm_push, but the device has no EMM")
    if "config" in step.args:
        case.template = dict(step.args["config"] or {})
    case.emm.configuration = case.render(case.template)
    case.emm.push(case.device)
    return StepResult(step.action)


def _add_platform(case: _Case, step: Step) -> StepResult:
    a = step.args
    _, secret = case.chain.org.add_platform(
        Platform(a["platform"]),
        str(a["provider"]),
        str(a["enrollment_link"]),
        name=str(a["name"]),
        existing_key=str(a["secret"]) if "secret" in a else None,
    )
    case.secrets[str(a["name"])] = secret
    return StepResult(step.action)


def _delete_platform(case: _Case, step: Step) -> StepResult:
    case.chain.org.delete_platform(step.args["name"])
    return StepResult(step.action)


def _install(case: _Case, step: Step) -> StepResult:
    device = case.device
    if isinstance(device, AndroidDevice):
        profile = step.args.get("profile", "work")
        target = device.work_profile if profile == "work" else device.personal
        if target is None:
            raise InputError(f"{case.scenario.path}:{step.line}: no work profile to install into")
        device.install(OKTA_VERIFY_ANDROID, target.id)
    else:
        origin = AppOrigin.USER if step.args.get("origin") == "user" else AppOrigin.EMM
        device.install(OKTA_VERIFY_IOS, origin)
    if case.emm is not None:
        case.emm.push(device)
    if step.args.get("enroll", True):
        case.chain.enroll()
    return StepResult(step.action)


def _move_to_work_profile(case: _Case, step: Step) -> StepResult:
    device = case.device
    if not isinstance(device, AndroidDevice) or device.work_profile is None or case.emm is None:
        raise InputError(
            f"{case.scenario.path}:{step.line}: move_to_work_profile needs an Android device with an EMM work profile"
        )
    device.uninstall(OKTA_VERIFY_ANDROID, 0)
    device.install(OKTA_VERIFY_ANDROID, device.work_profile.id)
    case.emm.push(device)
    case.chain.enroll()
    return StepResult(step.action)


def _pause_work_profile(case: _Case, step: Step) -> StepResult:
    """The user turns work apps off (``paused: false``: on again), as from the quick settings."""
    device = case.device
    if not isinstance(device, AndroidDevice) or device.work_profile is None:
        raise InputError(f"{case.scenario.path}:{step.line}: pause_work_profile needs an Android work profile")
    device.pause_work_profile(bool(step.args.get("paused", True)))
    return StepResult(step.action)


def _take_over(case: _Case, step: Step) -> StepResult:
    device = case.device
    if not isinstance(device, IOSDevice) or case.emm is None:
        raise InputError(f"{case.scenario.path}:{step.line}: take_over_app needs an iOS device with an EMM")
    case.emm.ios.make_managed_if_user_installed = True
    case.emm.take_over(device)
    case.emm.push(device)
    return StepResult(step.action)


def _check_inventory(case: _Case, step: Step) -> StepResult:
    status = case.chain.inventory_status()
    holder = case.chain.answering()
    stale = diagnose.stale_status_finding(case.chain.org, case.device, holder.management_hint() if holder else None)
    findings: list[Finding] = [stale] if stale else []
    out = StepResult(
        step.action, decision=status.value if status else "none", findings=[f.code.value for f in findings]
    )
    if step.expect is not None:
        if step.expect.status is not None and step.expect.status != out.decision:
            out.mismatches.append(f"status: expected {step.expect.status}, got {out.decision}")
        missing = [f for f in step.expect.findings if f not in out.findings]
        if missing:
            out.mismatches.append(f"findings: expected {', '.join(missing)}, got {', '.join(out.findings) or 'none'}")
    return out


def _delete_device(case: _Case, step: Step) -> StepResult:
    """Directory > Devices: the admin deactivates and deletes the device record in Okta."""
    case.chain.org.delete_device(case.device.identity.udid)
    return StepResult(step.action)


def _reenroll(case: _Case, step: Step) -> StepResult:
    """The user removes the account from Okta Verify and adds it again (new key, new device)."""
    case.chain.reenroll()
    return StepResult(step.action)


_STEPS: dict[str, Callable[[_Case, Step], StepResult]] = {
    "sign_in": _sign_in,
    "reset_secret": _reset_secret,
    "emm_push": _emm_push,
    "add_platform": _add_platform,
    "delete_platform": _delete_platform,
    "install_okta_verify": _install,
    "move_to_work_profile": _move_to_work_profile,
    "pause_work_profile": _pause_work_profile,
    "take_over_app": _take_over,
    "check_inventory": _check_inventory,
    "delete_device": _delete_device,
    "reenroll_okta_verify": _reenroll,
}
