"""The Okta org: configurations, policy, device registry, challenges and the management decision."""

from __future__ import annotations

import logging
import random
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from simulator.device import Platform
from simulator.errors import ConfigError, EnrollmentRefused, VerificationError
from simulator.keys import KeyKind, KeySource, PooledKeys, jwk_thumbprint
from simulator.protocol import attested_hint, public_key_from_jwk
from simulator.secret import Secret, redact, sha256_hex
from simulator.verdict import Decision, Finding, FindingCode, Outcome, Reason, Severity
from simulator.verifier import remediation
from simulator.verifier.challenges import (
    DeviceDeleted,
    PendingChallenge,
    issue_challenge,
    new_id,
    verify_response,
)
from simulator.verifier.configs import (
    EndpointConfig,
    MultipleConfigs,
    check_existing_key,
    generate_secret,
)
from simulator.verifier.registry import DeviceRecord, Registry

log = logging.getLogger("simulator.verifier")


def reason_without_hint(attestation: dict[str, Any]) -> Reason:
    """Why a device whose Okta Verify sent no ``managementHint`` is not managed."""
    if attestation.get("workProfile") is False:
        return Reason.APP_NOT_IN_WORK_PROFILE
    if attestation.get("appManaged") is False:
        return Reason.APP_NOT_MANAGED
    return Reason.NO_HINT


@dataclass(frozen=True, slots=True)
class Policy:
    """Authentication policy rule: ``conditions.device = {registered, managed}``."""

    registered: bool = True
    managed: bool = True


#: How the Sign-In Widget reaches Okta Verify on each platform (okta-signin-widget
#: ``ChallengeViewUtil.js``: ``LOOPBACK``, ``CUSTOM_URI``, ``UNIVERSAL_LINK``, ``APP_LINK``; the
#: org picks app links for Android and universal links for iOS; loopback is the desktop channel).
CHALLENGE_METHODS = {Platform.ANDROID: "APP_LINK", Platform.IOS: "UNIVERSAL_LINK"}


@dataclass(frozen=True, slots=True)
class SignInAttempt:
    """The start of a sign-in: a challenge to deliver, or a decision already made (error page)."""

    transaction_id: str | None
    challenge: str | None
    decision: Decision | None = None
    challenge_method: str | None = None


class Org:
    """An Okta org, in process. Every random choice comes from ``rng``; time from ``clock``."""

    def __init__(
        self,
        org_url: str = "https://example.okta.com",
        *,
        policy: Policy | None = None,
        multiple_configs: MultipleConfigs = MultipleConfigs.ANY_MATCH,
        rng: random.Random | None = None,
        clock: Callable[[], float] = time.time,
        keys: KeySource | None = None,
    ) -> None:
        self.org_url = org_url.rstrip("/")
        self.policy = policy or Policy()
        self.multiple_configs = multiple_configs
        self.rng = rng or secrets.SystemRandom()
        self.clock = clock
        #: Where this world's keys come from (simulator.keys): the org's and its devices'.
        self.keys: KeySource = keys or PooledKeys()
        self.org_id = new_id("00o", self.rng)
        self.authenticator_id = new_id("aut", self.rng)  # the org's Okta Verify authenticator
        self.key = self.keys.new_key(KeyKind.RSA)  # challenges are RS256 (okta-signin-widget mocks)
        self.registry = Registry()
        self._user_ids: dict[str, str] = {}
        self._configs: dict[str, EndpointConfig] = {}
        self._by_platform: dict[Platform, list[EndpointConfig]] = {}
        self._pending: dict[str, PendingChallenge] = {}
        self._results: dict[str, Decision] = {}
        self._seen_jti: set[str] = set()

    def __repr__(self) -> str:
        return f"Org({self.org_url!r}, configs={list(self._configs)}, devices={len(self.registry)})"

    # -- endpoint management -------------------------------------------------------------------

    @property
    def configs(self) -> list[EndpointConfig]:
        return sorted(self._configs.values(), key=lambda c: c.created)

    def configs_for(self, platform: Platform) -> list[EndpointConfig]:
        """This platform's configurations, earliest-created first (cached: read on every sign-in)."""
        cached = self._by_platform.get(platform)
        if cached is None:
            cached = self._by_platform[platform] = [c for c in self.configs if c.platform is platform]
        return cached

    def config(self, name: str) -> EndpointConfig:
        try:
            return self._configs[name]
        except KeyError:
            raise ConfigError(
                f"no endpoint-management configuration named {name!r} (have: {', '.join(self._configs) or 'none'})"
            ) from None

    def add_platform(
        self,
        platform: Platform,
        provider: str,
        enrollment_link: str,
        *,
        name: str | None = None,
        existing_key: str | None = None,
        created: datetime | None = None,
    ) -> tuple[EndpointConfig, Secret]:
        """Security > Device integrations > Endpoint management > Add platform.

        Returns the configuration and its secret key, which is shown this once and never again.
        """
        secret = check_existing_key(existing_key) if existing_key is not None else generate_secret(self.rng)
        config = self.add_hashed_platform(
            platform,
            provider,
            enrollment_link,
            secret_sha256=sha256_hex(attested_hint(secret.reveal())),
            name=name,
            created=created,
        )
        return config, secret

    def add_hashed_platform(
        self,
        platform: Platform,
        provider: str,
        enrollment_link: str,
        *,
        secret_sha256: str,
        name: str | None = None,
        created: datetime | None = None,
    ) -> EndpointConfig:
        """Add a configuration of which only the secret's hash is known (org files may say so)."""
        if not name:  # the first free ``android-N``: a file may already use the next one
            number = len(self._configs) + 1
            while f"{platform.value}-{number}" in self._configs:
                number += 1
            name = f"{platform.value}-{number}"
        if name in self._configs:
            raise ConfigError(f"endpoint-management configuration {name!r} already exists")
        if created is None:
            latest = max((c.created for c in self._configs.values()), default=None)
            created = datetime.fromtimestamp(self.clock(), UTC)
            if latest is not None and created <= latest:
                created = latest + timedelta(microseconds=1)
        config = EndpointConfig(name, platform, provider, enrollment_link, secret_sha256.lower(), created)
        self._configs[name] = config
        self._by_platform.clear()
        log.info("added %s configuration %s (%s)", platform.value, name, provider)
        return config

    def reset_secret(self, name: str) -> Secret:
        """ "Reset secret key": the old key stops matching at once; the new one is shown once."""
        config = self.config(name)
        secret = generate_secret(self.rng)
        config.secret_sha256 = sha256_hex(attested_hint(secret.reveal()))
        log.info("reset the secret key of %s", name)
        return secret

    def delete_platform(self, name: str) -> None:
        self.config(name)
        del self._configs[name]
        self._by_platform.clear()
        log.info("deleted configuration %s", name)

    # -- Okta Verify enrollment (POST /idp/authenticators) ------------------------------------------

    def enroll(self, request: dict[str, Any]) -> dict[str, Any]:
        """Register a device-bound key with its device signals; answer as Okta does (model).

        The ``kid`` must be the key's RFC 7638 thumbprint and no other enrollment's: a second
        enrollment naming a victim's ``kid`` would otherwise take over the victim's mapping. A
        ``deviceId`` of a deleted device is refused with 410 ``E0000153``.
        """
        try:
            signals = request["device"]
            jwk = request["key"]
            public_key, kind = public_key_from_jwk(jwk)
            platform = Platform(str(signals["platform"]).lower())
            kid = str(request["kid"])
            user = str(request["user"])
        except (KeyError, TypeError, ValueError) as exc:
            raise EnrollmentRefused("malformed", f"enrollment request rejected: {exc}", status=400) from None
        if kid != jwk_thumbprint(jwk):
            raise EnrollmentRefused("key_conflict", "enrollment kid is not the key's JWK thumbprint", status=400)
        if self.registry.kid_taken(kid):
            raise EnrollmentRefused("key_conflict", "enrollment kid is already enrolled", status=409)
        device_id = request.get("deviceId")
        if isinstance(device_id, str) and self.registry.device_deleted(device_id):
            raise EnrollmentRefused(
                "device_deleted", remediation.DEVICE_DELETED, status=410, code=remediation.DEVICE_DELETED_CODE
            )
        user_id = self._user_ids.setdefault(user, new_id("00u", self.rng))
        record = DeviceRecord(
            enrollment_id=new_id("pfd", self.rng),
            method_enrollment_id=new_id("crp", self.rng),
            kid=kid,
            public_key=public_key,
            kind=kind,
            platform=platform,
            display_name=str(signals.get("displayName", "")),
            udid=str(signals.get("udid", "")),
            user=user,
            user_id=user_id,
            device_id=device_id if isinstance(device_id, str) else new_id("guo", self.rng),
        )
        self.registry.add(record)
        log.info("enrolled %s device %s as %s", platform.value, record.display_name, record.enrollment_id)
        return {
            "id": record.enrollment_id,
            "methodEnrollmentId": record.method_enrollment_id,
            "userId": record.user_id,
            "deviceId": record.device_id,
            "orgId": self.org_id,
            "orgUrl": self.org_url,
            "keys": [{**self.key.jwk, "kid": self.key.kid, "alg": self.key.alg, "use": "sig"}],
        }

    def delete_device(self, udid: str) -> int:
        """Directory > Devices: deactivate and delete the device record; return enrollments removed."""
        record = self.registry.find_udid(udid)
        if record is None:
            raise ConfigError(f"no device with udid {udid!r} is registered")
        removed = self.registry.delete_device(record.device_id)
        log.info("deleted device %s (%d enrollments)", record.device_id, removed)
        return removed

    # -- sign-in -----------------------------------------------------------------------------------

    def start_sign_in(self, platform: Platform) -> SignInAttempt:
        """A browser on ``platform`` hits a resource whose policy needs a device check."""
        configs = self.configs_for(platform)
        if self.policy.managed and not configs:
            decision = Decision(
                Outcome.ERROR,
                Reason.NO_PLATFORM_CONFIG,
                access=False,
                remediation=remediation.no_platform_config(bool(self._configs)),
            )
            return SignInAttempt(None, None, decision)
        token, pending = issue_challenge(
            org_url=self.org_url,
            org_id=self.org_id,
            authenticator_id=self.authenticator_id,
            key=self.key,
            platform=platform,
            rng=self.rng,
            now=self.clock(),
        )
        self._pending[pending.transaction_id] = pending
        return SignInAttempt(pending.transaction_id, token, challenge_method=CHALLENGE_METHODS[platform])

    def submit(self, transaction_id: str, body: dict[str, Any]) -> int:
        """``POST verificationUri``: judge the answer, record the decision; return the HTTP status.

        A transaction is single use: it is consumed by its first answer, valid or not.
        """
        pending = self._pending.pop(transaction_id, None)
        if pending is None:
            if transaction_id in self._results:
                self._results[transaction_id] = self._invalid("replay")
            return 400
        token = body.get("challengeResponse") if isinstance(body, dict) else None
        if not isinstance(token, str) or body.get("method") != "signed_nonce":
            self._results[transaction_id] = self._invalid("malformed")
            return 400
        try:
            record, claims = verify_response(
                token,
                pending=pending,
                registry=self.registry,
                org_url=self.org_url,
                now=self.clock(),
                seen_jti=self._seen_jti,
            )
        except DeviceDeleted:
            log.info("challenge %s answered by a deleted device", transaction_id)
            self._results[transaction_id] = self._device_deleted(pending.platform)
            return 410
        except VerificationError as exc:
            log.info("challenge %s refused: %s", transaction_id, exc.reason)
            self._results[transaction_id] = self._invalid(exc.reason)
            return 403
        self._results[transaction_id] = self._judge(record, claims["deviceSignals"], pending.platform)
        return 200

    def abandon(self, transaction_id: str, reason: Reason, detail: str | None = None) -> Decision:
        """No answer came from Okta Verify (nothing opened the link, not enrolled, it refused)."""
        pending = self._pending.pop(transaction_id, None)
        if reason is Reason.CHALLENGE_INVALID or pending is None:
            decision = self._invalid(detail or ("refused by Okta Verify" if pending else "unknown transaction"))
        else:
            decision = replace(self._not_managed(reason, pending.platform), detail=detail)
        self._results[transaction_id] = decision
        return decision

    def result(self, transaction_id: str) -> Decision | None:
        return self._results.get(transaction_id)

    def inventory_status(self, udid: str) -> Outcome | None:
        """The device's status in Directory > Devices (stale until its next sign-in)."""
        record = self.registry.find_udid(udid)
        return record.status if record else None

    # -- the decision ------------------------------------------------------------------------------

    def _invalid(self, detail: str) -> Decision:
        return Decision(Outcome.ERROR, Reason.CHALLENGE_INVALID, access=False, detail=detail)

    def _device_deleted(self, platform: Platform) -> Decision:
        """Okta no longer knows the device: not registered, 410 ``E0000153``, until re-enrolled."""
        access = not self.policy.registered and not self.policy.managed
        return Decision(
            Outcome.NOT_MANAGED,
            Reason.NOT_REGISTERED,
            access=access,
            remediation=None if access else remediation.device_deleted(),
            findings=self._config_findings(self.configs_for(platform)),
            detail="device_deleted",
        )

    def _judge(self, record: DeviceRecord, signals: dict[str, Any], platform: Platform) -> Decision:
        attestation = signals.get("deviceAttestation")
        attestation = attestation if isinstance(attestation, dict) else {}
        hint = attestation.get("managementHint")
        configs = self.configs_for(platform)
        if isinstance(hint, str):
            matched = self._match(hint, configs)
            if matched is not None:
                decision = Decision(
                    Outcome.MANAGED,
                    Reason.MANAGED,
                    access=True,
                    matched_config=matched.name,
                    findings=self._config_findings(configs),
                )
            else:
                log.info("hint %s matched no %s configuration", redact(hint), platform.value)
                decision = self._not_managed(Reason.HINT_MISMATCH, platform)
        else:
            decision = self._not_managed(reason_without_hint(attestation), platform)
        record.status = decision.outcome
        record.last_sign_in = self.clock()
        return decision

    def would_match(self, platform: Platform, hint: str) -> EndpointConfig | None:
        """The configuration a sign-in sending ``hint`` would match now (no sign-in recorded)."""
        return self._match(hint, self.configs_for(platform))

    def _match(self, hint: str, configs: list[EndpointConfig]) -> EndpointConfig | None:
        """Check every candidate (no early exit), so timing does not tell which one matched."""
        candidates = configs[:1] if self.multiple_configs is MultipleConfigs.EARLIEST_ONLY else configs
        matched = None
        for config in candidates:
            if config.matches(hint) and matched is None:
                matched = config
        return matched

    def _not_managed(self, reason: Reason, platform: Platform) -> Decision:
        configs = self.configs_for(platform)
        if not configs:
            return Decision(
                Outcome.NOT_MANAGED,
                Reason.NO_PLATFORM_CONFIG,
                access=not self.policy.managed,
                remediation=remediation.no_platform_config(bool(self._configs)) if self.policy.managed else None,
            )
        access = not self.policy.managed and (reason is not Reason.NOT_REGISTERED or not self.policy.registered)
        return Decision(
            Outcome.NOT_MANAGED,
            reason,
            access=access,
            remediation=remediation.additional_setup(configs[0]) if not access else None,
            findings=self._config_findings(configs),
        )

    def _config_findings(self, configs: list[EndpointConfig]) -> tuple[Finding, ...]:
        if len(configs) < 2:
            return ()
        earliest = configs[0]
        return (
            Finding(
                FindingCode.MULTIPLE_PLATFORM_CONFIGS,
                Severity.WARNING,
                f"{len(configs)} {earliest.platform.value} configurations: users are sent to the "
                f"earliest, {earliest.name!r} ({earliest.provider}, {earliest.enrollment_link})",
            ),
        )
