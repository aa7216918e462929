"""The validated form of a scenario file.

A scenario is an org, a device (built by an EMM emulation, or read from a source) and ordered
steps, each optionally with an expectation. The field names are the file format
(docs/scenarios.md); everything here is immutable so one loaded scenario serves every device of a
matrix, in any worker.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from simulator.device import Platform
from simulator.secret import Secret, redact_leaves
from simulator.verifier.orgfile import OrgSpec

#: Step actions and what their argument is.
ACTIONS = (
    "sign_in",
    "reset_secret",
    "emm_push",
    "add_platform",
    "delete_platform",
    "install_okta_verify",
    "move_to_work_profile",
    "pause_work_profile",
    "take_over_app",
    "check_inventory",
    "delete_device",
    "reenroll_okta_verify",
)
ATTACKS = (
    "replay",
    "tampered_signals",
    "wrong_key",
    "alg_none",
    "hs256_public_key",
    "expired",
    "alg_mismatch",
    "jwk_header",
    "jku_header",
    "x5u_header",
    "kid_injection",
    "crit",
    "kid_takeover",
)
#: Attacks on enrollment rather than on an answer: the sign-in that follows is the victim's own
#: and stays managed when the org refused the forged enrollment.
ENROLLMENT_ATTACKS = ("kid_takeover",)
#: Okta Verify's device-bound key on Android (its type sets the algorithm); iOS is always ES256.
KEY_ALGORITHMS = ("RS256", "ES256")


@dataclass(frozen=True, slots=True, repr=False)
class EMMSpec:
    """A scenario's ``device.emm``: the EMM that manages the device and what it delivers."""

    provider: str
    settings: dict[str, Any]
    ios: dict[str, Any]
    #: The configuration as typed in the EMM; ``${secret:NAME}`` stands for a config's secret.
    config: dict[str, Any]
    custom_values: dict[str, str]

    def __repr__(self) -> str:
        # A configuration holds hints as typed (a literal key, not only ``${secret:NAME}``).
        return (
            f"EMMSpec(provider={self.provider!r}, settings={self.settings!r}, ios={self.ios!r}, "
            f"config={redact_leaves(self.config)!r}, custom_values={redact_leaves(self.custom_values)!r})"
        )


@dataclass(frozen=True, slots=True)
class DeviceSpec:
    """A scenario's ``device``: the simulated phone it starts from (or a source to read one)."""

    platform: Platform
    model: str | None = None
    os_version: str | None = None
    manufacturer: str | None = None
    okta_verify: str = "work"
    enrolled: bool = True
    secure_folder: bool = False
    supervised: bool = False
    management_rejected: bool = False
    #: Android: the device-bound key's algorithm (None: RS256, the Android SDK's default).
    key_algorithm: str | None = None
    emm: EMMSpec | None = None
    #: A device source (``capture:DIR``) instead of a simulated device.
    source: str | None = None


@dataclass(frozen=True, slots=True)
class Expectation:
    """A step's ``expect``: what to check of its outcome; None (or empty) is not checked."""

    decision: str | None = None
    reason: str | None = None
    access: bool | None = None
    #: None: not checked; ``{}`` with ``present=False``: no remediation expected.
    remediation: dict[str, Any] | None = None
    remediation_absent: bool = False
    findings: tuple[str, ...] = ()
    status: str | None = None  # check_inventory


@dataclass(frozen=True, slots=True, repr=False)
class Step:
    """One step of a scenario: its action, arguments, expectation and line in the file."""

    action: str
    args: dict[str, Any]
    expect: Expectation | None
    line: int

    def __repr__(self) -> str:
        # add_platform's secret and emm_push's configuration may be secrets: never shown.
        args = {
            key: Secret(str(value)) if key == "secret" else redact_leaves(value) if key == "config" else value
            for key, value in self.args.items()
        }
        return f"Step(action={self.action!r}, args={args!r}, expect={self.expect!r}, line={self.line})"


@dataclass(frozen=True, slots=True)
class Scenario:
    """A loaded scenario file: the org, the device and the steps to run on them."""

    name: str
    path: str
    description: str
    tags: tuple[str, ...]
    org: OrgSpec
    device: DeviceSpec
    steps: tuple[Step, ...] = field(default=())
    skip: str | None = None
    #: Where the file sits in the collection it was run from (``android/x.yaml``), for reports.
    rel: str = ""

    @property
    def platform(self) -> Platform:
        return self.device.platform
