"""One installation of Okta Verify: its configuration, its device-bound key, its answers.

The agent reads only what the real app could: on Android the restrictions of its own package in
its own user (``RestrictionsManager``), on iOS the managed configuration of its own preference
domain (delivered only to a *managed* app) or, failing that, the extension data of its Credential
SSO extension profile. The ``managementHint`` key is case-sensitive.
"""

from __future__ import annotations

import logging
import random
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from simulator.appconfig import AppConfig
from simulator.device import AndroidDevice, AnyDevice, IOSDevice, ProfileKind
from simulator.errors import DeviceError, VerificationError
from simulator.ids import MANAGEMENT_HINT, OKTA_VERIFY_ANDROID, OKTA_VERIFY_IOS
from simulator.keys import FreshKeys, KeyKind, KeySource, PublicKey, SigningKey, jwk_thumbprint, public_jwk
from simulator.protocol import (
    CHALLENGE_TYP,
    KEY_TYPE_POP,
    METHOD_SIGNED_NONCE,
    RESPONSE_PADDING_S,
    RESPONSE_TYP,
    SIGNING_ALGORITHMS,
    attested_hint,
    check_times,
    parse_jws,
    public_key_from_jwk,
    sign_jws,
)
from simulator.secret import redact

log = logging.getLogger("simulator.okta_verify")

APP_VERSION = "9.45.0"


def _uuid_text(value: int) -> str:
    """A UUID's upper-case text form (``NSUUID().uuidString``, the Swift SDK's ``jti``)."""
    h = f"{value:032X}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


class VerifierClient(Protocol):
    """How the agent reaches the org: in process, or over HTTP."""

    def enroll(self, request: dict[str, Any]) -> dict[str, Any]: ...

    def verify(self, verification_uri: str, body: dict[str, Any]) -> int: ...


class InProcessVerifier:
    """A :class:`VerifierClient` that calls an in-process :class:`~simulator.verifier.Org`."""

    def __init__(self, org: Any) -> None:
        self.org = org

    def enroll(self, request: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = self.org.enroll(request)
        return result

    def verify(self, verification_uri: str, body: dict[str, Any]) -> int:
        # /idp/authenticators/{authenticatorId}/transactions/{transactionId}/verify
        parts = verification_uri.rstrip("/").split("/")
        transaction_id = parts[-2] if len(parts) >= 2 else ""
        status: int = self.org.submit(transaction_id, body)
        return status


@dataclass(slots=True)
class Enrollment:
    """Okta Verify's account for one org: the ids the org gave, the key, the org's keys."""

    enrollment_id: str
    method_enrollment_id: str
    user_id: str
    device_id: str
    org_url: str
    key: SigningKey
    org_keys: dict[str, PublicKey]
    verifier: VerifierClient

    def __repr__(self) -> str:
        return f"Enrollment({self.enrollment_id!r}, org={self.org_url!r}, kid={self.key.kid!r})"


@dataclass(frozen=True, slots=True)
class Answer:
    """What Okta Verify made of a challenge the browser's link handed it: HTTP status and body."""

    status: int
    body: dict[str, Any]


class OktaVerify:
    """Okta Verify installed on ``device`` (on Android, in user ``user_id``)."""

    def __init__(
        self,
        device: AnyDevice,
        user_id: int | None = None,
        *,
        rng: random.Random | None = None,
        clock: Callable[[], float] = time.time,
        version: str = APP_VERSION,
        keys: KeySource | None = None,
        key_kind: KeyKind | None = None,
    ) -> None:
        self.device = device
        self.rng = rng or secrets.SystemRandom()
        self.clock = clock
        self.version = version
        #: Keys are drawn at enrollment; a Chain passes its org's source so that one world never
        #: holds a key twice (simulator.keys). Alone, an agent generates its own.
        self.keys: KeySource = keys or FreshKeys(self.rng)
        #: The device-bound key's type, which sets the answer's algorithm: P-256/ES256 on iOS
        #: (Secure Enclave, okta-devices-swift), RSA/RS256 by default on Android
        #: (okta-devices-kotlin ``RsaSignature``), a per-device setting there.
        self.key_kind = key_kind or (KeyKind.RSA if isinstance(device, AndroidDevice) else KeyKind.EC)
        #: Okta's device id per org, kept across accounts until the account is removed.
        self.device_ids: dict[str, str] = {}
        self.client_instance_id = "cli" + uuid.UUID(int=self.rng.getrandbits(128)).hex[:17]
        self.enrollments: dict[str, Enrollment] = {}
        if isinstance(device, AndroidDevice):
            if user_id is None:
                raise DeviceError(f"{device.label}: say in which Android user Okta Verify runs")
            if OKTA_VERIFY_ANDROID not in device.user(user_id).packages:
                raise DeviceError(f"{device.label}: Okta Verify is not installed in user {user_id}")
        elif device.app(OKTA_VERIFY_IOS) is None:
            raise DeviceError(f"{device.label}: Okta Verify is not installed")
        self.user_id = user_id

    @classmethod
    def installations(
        cls,
        device: AnyDevice,
        *,
        rng: random.Random | None = None,
        clock: Callable[[], float] = time.time,
        keys: KeySource | None = None,
    ) -> list[OktaVerify]:
        """Every installed copy, personal user first."""
        return [cls(device, user, rng=rng, clock=clock, keys=keys) for user in cls.installed_users(device)]

    @staticmethod
    def installed_users(device: AnyDevice) -> list[int | None]:
        """Where copies are installed, in start order: Android user ids; ``[None]`` on an iPhone."""
        if isinstance(device, AndroidDevice):
            # The apps of a paused (quiet-mode, stopped) profile cannot run, so cannot answer.
            return [u.id for u in device.users_with(OKTA_VERIFY_ANDROID) if not u.paused]
        if device.app(OKTA_VERIFY_IOS) is not None:
            return [None]
        return []

    @staticmethod
    def still_installed(agent: OktaVerify) -> bool:
        """Whether this copy's package is still on the device (in its user, on Android)."""
        device = agent.device
        if isinstance(device, AndroidDevice) and agent.user_id is not None:
            return agent.user_id in device.users and OKTA_VERIFY_ANDROID in device.users[agent.user_id].packages
        return isinstance(device, IOSDevice) and device.app(OKTA_VERIFY_IOS) is not None

    def __repr__(self) -> str:
        where = f"user {self.user_id}" if self.user_id is not None else "iOS"
        return f"OktaVerify({self.device.label}, {where}, enrollments={list(self.enrollments)})"

    # -- what the app can see about itself ------------------------------------------------------

    @property
    def profile_kind(self) -> ProfileKind | None:
        """Android: the kind of profile this copy runs in; iOS: None."""
        if isinstance(self.device, AndroidDevice) and self.user_id is not None:
            return self.device.user(self.user_id).kind
        return None

    @property
    def in_work_profile(self) -> bool | None:
        if isinstance(self.device, AndroidDevice) and self.user_id is not None:
            return self.device.user(self.user_id).is_managed_profile
        return None

    @property
    def app_managed(self) -> bool:
        """Android: installed in a user the EMM manages (the work profile, which has a profile
        owner, or user 0 of a fully managed device, which has a device owner); iOS: a managed app."""
        if isinstance(self.device, AndroidDevice) and self.user_id is not None:
            return self.device.is_managed_user(self.user_id)
        assert isinstance(self.device, IOSDevice)
        app = self.device.app(OKTA_VERIFY_IOS)
        return app is not None and app.managed

    def managed_config(self) -> AppConfig:
        """The managed configuration as the app reads it."""
        if isinstance(self.device, AndroidDevice) and self.user_id is not None:
            return self.device.restrictions_for(self.user_id, OKTA_VERIFY_ANDROID)
        assert isinstance(self.device, IOSDevice)
        if not self.app_managed:
            return AppConfig()  # iOS gives managed configuration to managed apps only
        return self.device.config_for(OKTA_VERIFY_IOS)

    def management_hint(self) -> str | None:
        """``managementHint`` as a string, from the app's configuration or its SSO extension."""
        value = self.managed_config().get(MANAGEMENT_HINT)
        if value is None and isinstance(self.device, IOSDevice):
            extension = self.device.sso_extension()
            if extension is not None:
                value = extension.extension_data.get(MANAGEMENT_HINT)
        return value if isinstance(value, str) else None

    def signals(self) -> dict[str, Any]:
        """Device signals as the SDK collects them; ``managementHint`` only when configured."""
        identity = self.device.identity
        attestation: dict[str, Any] = {"appManaged": self.app_managed}
        if self.in_work_profile is not None and not (self.app_managed and not self.in_work_profile):
            # (model) Android profile signal; a fully managed device's user 0 is not "outside
            # the work profile": the device owner manages it.
            attestation["workProfile"] = self.in_work_profile
        hint = self.management_hint()
        if hint is not None:
            attestation[MANAGEMENT_HINT] = attested_hint(hint)
        android = isinstance(self.device, AndroidDevice)
        return {
            "platform": "ANDROID" if android else "IOS",
            "osVersion": identity.os_version,
            "displayName": identity.device_name,
            "id": identity.udid,
            "manufacturer": identity.manufacturer,
            "model": identity.model,
            "serialNumber": identity.serial,
            "udid": identity.udid,
            "secureHardwarePresent": True,
            "screenLockType": "BIOMETRIC",
            "clientInstanceId": self.client_instance_id,
            "clientInstanceBundleId": OKTA_VERIFY_ANDROID if android else OKTA_VERIFY_IOS,
            "clientInstanceVersion": self.version,
            "deviceAttestation": attestation,
        }

    # -- enrollment and challenges ----------------------------------------------------------------

    def enroll(self, verifier: VerifierClient, org_url: str | None = None) -> Enrollment:
        """Create a device-bound key and register it (``POST /idp/authenticators``).

        The device id Okta gave earlier for ``org_url`` is sent again (Okta answers 410 when the
        record was deleted: :class:`~simulator.errors.EnrollmentRefused`)."""
        key = self.keys.new_key(self.key_kind)
        jwk = public_jwk(key.private.public_key())  # serialised at enrollment, as the app does
        kid = jwk_thumbprint(jwk)
        request: dict[str, Any] = {
            "authenticatorId": "okta_verify",
            "key": {**jwk, "kid": kid},
            "kid": kid,
            "user": self.device.identity.user_email,
            "device": self.signals(),
        }
        if org_url is not None and org_url in self.device_ids:
            request["deviceId"] = self.device_ids[org_url]
        answer = verifier.enroll(request)
        org_keys: dict[str, PublicKey] = {}
        for jwk in answer["keys"]:
            org_keys[str(jwk["kid"])] = public_key_from_jwk(jwk)[0]
        enrollment = Enrollment(
            answer["id"],
            answer["methodEnrollmentId"],
            answer["userId"],
            answer["deviceId"],
            answer["orgUrl"],
            key,
            org_keys,
            verifier,
        )
        self.enrollments[enrollment.org_url] = enrollment
        self.device_ids[enrollment.org_url] = enrollment.device_id
        log.info("enrolled with %s as %s", enrollment.org_url, enrollment.enrollment_id)
        return enrollment

    def remove_account(self, org_url: str) -> None:
        """ "Remove account": the local enrollment, its key and the org's device id are forgotten."""
        self.enrollments.pop(org_url, None)
        self.device_ids.pop(org_url, None)

    def read_challenge(self, challenge: str) -> tuple[Enrollment, dict[str, Any]]:
        """Check a challenge as ``OktaBindJWT`` does: its ``typ``, and its signature against the
        keys of the org it names as issuer (not its audience), then its times."""
        jws = parse_jws(challenge)
        header, claims = jws.header, jws.claims
        if header.get("alg") not in SIGNING_ALGORITHMS:
            raise VerificationError("algorithm", "challenge is not signed with a key algorithm")
        jws.check_header(CHALLENGE_TYP)
        enrollment = self.enrollments.get(str(claims.get("iss")))
        if enrollment is None:
            raise VerificationError("unknown_key", "challenge from an org this app is not enrolled with")
        org_key = enrollment.org_keys.get(header["kid"])
        if org_key is None:
            raise VerificationError("unknown_key", "challenge signed by an unknown org key")
        if not jws.verify(org_key):
            raise VerificationError("signature", "challenge signature is invalid")
        if not all(isinstance(claims.get(c), str) for c in ("orgId", "nonce", "transactionId", "verificationUri")):
            raise VerificationError("malformed", "challenge lacks orgId, nonce, transactionId or verificationUri")
        problem = check_times(claims, self.clock())
        if problem is not None:
            raise VerificationError("expired", f"challenge refused: {problem}")
        return enrollment, claims

    def sign_response(self, enrollment: Enrollment, claims: dict[str, Any]) -> str:
        """The challenge response JWT, claims as ``OktaDeviceBindJWTPayload`` (DOMAIN.md §4)."""
        now = int(self.clock())
        payload = {
            "iss": enrollment.enrollment_id,
            "aud": claims["iss"],
            "sub": enrollment.user_id,
            "iat": now,
            "exp": now + RESPONSE_PADDING_S,
            "nbf": now - RESPONSE_PADDING_S,
            "jti": _uuid_text(self.rng.getrandbits(128)),
            "tx": claims["transactionId"],
            "amr": [],
            "deviceSignals": self.signals(),
            "nonce": claims["nonce"],
            "methodEnrollmentId": enrollment.method_enrollment_id,
            "keyType": KEY_TYPE_POP,
        }
        return sign_jws(payload, enrollment.key, {"kid": enrollment.key.kid, "typ": RESPONSE_TYP})

    def answer(self, challenge: str) -> Answer:
        """Handle a challenge the link delivered: verify, sign, post to its ``verificationUri``."""
        try:
            enrollment, claims = self.read_challenge(challenge)
        except VerificationError as exc:
            log.info("challenge refused: %s", exc.reason)
            status = 404 if exc.reason == "unknown_key" else 400
            return Answer(status, {"error": exc.reason})
        response = self.sign_response(enrollment, claims)
        hint = self.management_hint()
        log.info(
            "answering transaction %s (managementHint %s)",
            claims["transactionId"],
            redact(hint) if hint is not None else "absent",
        )
        status = enrollment.verifier.verify(
            claims["verificationUri"], {"method": METHOD_SIGNED_NONCE, "challengeResponse": response}
        )
        return Answer(status, {"verifier_status": status})
