"""Forged, altered, replayed and late challenge responses: every one is ``challenge_invalid``.

Responses are made by the real agent (``read_challenge`` + ``sign_response``) and then altered,
on both platforms: iOS answers ES256 with a P-256 key, Android RS256 with an RSA key. Tokens
PyJWT refuses to produce (``alg: none``, HS256 keyed with a public key) are built by hand from
base64url and HMAC, since an attacker is not bound by PyJWT either. Re-signed variants use the
genuine key, so each test shows that one check, not the signature, refuses it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization

from simulator.clock import SimClock
from simulator.device import Platform
from simulator.emm import EMM, Intune
from simulator.errors import EnrollmentRefused
from simulator.factory import Factory
from simulator.ids import MANAGEMENT_HINT
from simulator.keys import FreshKeys, KeyKind
from simulator.okta_verify import InProcessVerifier, OktaVerify
from simulator.okta_verify.agent import Enrollment
from simulator.protocol import CHALLENGE_LIFETIME_S, LEEWAY_S, RESPONSE_TYP, b64url, sign_jws
from simulator.verdict import Decision, Outcome, Reason
from simulator.verifier import Org


@dataclass
class Answered:
    """A challenge and the genuine response the agent signed for it, not yet submitted."""

    org: Org
    agent: OktaVerify
    enrollment: Enrollment
    tx: str
    claims: dict[str, Any]
    token: str

    def submit(self, token: str | None = None, tx: str | None = None) -> tuple[int, Decision | None]:
        tx = tx or self.tx
        status = self.org.submit(tx, {"method": "signed_nonce", "challengeResponse": token or self.token})
        return status, self.org.result(tx)


def _answer(org: Org, agent: OktaVerify, platform: Platform) -> Answered:
    attempt = org.start_sign_in(platform)
    assert attempt.challenge is not None and attempt.transaction_id is not None
    enrollment, claims = agent.read_challenge(attempt.challenge)
    return Answered(org, agent, enrollment, attempt.transaction_id, claims, agent.sign_response(enrollment, claims))


@pytest.fixture
def managed(attestlab_factory: Factory, platform: Platform) -> Any:
    return attestlab_factory.provision(platform, Intune)


@pytest.fixture
def answered(managed: Any, platform: Platform) -> Answered:
    return _answer(managed.org, managed.chain.agents[0], platform)


def _parts(token: str) -> tuple[dict[str, Any], dict[str, Any], str]:
    header_b64, payload_b64, signature = token.split(".")
    return _unb64(header_b64), _unb64(payload_b64), signature


def _unb64(part: str) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return value


def _b64json(value: dict[str, Any]) -> str:
    return b64url(json.dumps(value, separators=(",", ":")).encode())


def _hs256(header: dict[str, Any], payload: dict[str, Any], key: bytes) -> str:
    signing_input = f"{_b64json(header)}.{_b64json(payload)}"
    mac = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(mac)}"


def _resign(answered: Answered, payload: dict[str, Any], **headers: Any) -> str:
    """``payload`` signed by the genuine enrolled key (so only the altered content is wrong)."""
    key = answered.enrollment.key
    return sign_jws(payload, key, {"kid": key.kid, "typ": RESPONSE_TYP, **headers})


def _assert_invalid(result: tuple[int, Decision | None], detail: str) -> None:
    status, decision = result
    assert status in (400, 403)
    assert decision is not None
    assert decision.outcome is Outcome.ERROR
    assert decision.reason is Reason.CHALLENGE_INVALID
    assert decision.access is False
    assert decision.detail == detail


def test_genuine_response_is_accepted(answered: Answered) -> None:
    """The control: everything below changes one thing of this."""
    status, decision = answered.submit()

    assert status == 200
    assert decision is not None and decision.outcome is Outcome.MANAGED


# -- altered and forged signatures ------------------------------------------------------------


def test_tampered_device_signals_keep_the_signature(attestlab_factory: Factory, platform: Platform) -> None:
    """An unmanaged phone adds a stolen hint to its signed answer: the signature no longer fits."""
    s = attestlab_factory.provision(platform, Intune, configuration=lambda _: {})
    a = _answer(s.org, s.chain.agents[0], platform)
    header, payload, signature = _parts(a.token)
    assert MANAGEMENT_HINT not in payload["deviceSignals"]["deviceAttestation"]
    payload["deviceSignals"]["deviceAttestation"][MANAGEMENT_HINT] = s.secret.reveal()
    tampered = f"{_b64json(header)}.{_b64json(payload)}.{signature}"

    _assert_invalid(a.submit(tampered), "signature")


def test_flipped_byte_in_payload(answered: Answered) -> None:
    header, payload, signature = answered.token.split(".")
    flipped = payload[:10] + ("A" if payload[10] != "A" else "B") + payload[11:]

    _, decision = answered.submit(f"{header}.{flipped}.{signature}")

    assert decision is not None and decision.reason is Reason.CHALLENGE_INVALID
    assert decision.detail in ("signature", "malformed")  # the flip may also break the JSON


def test_signed_with_a_fresh_key_under_the_enrolled_kid(answered: Answered) -> None:
    header, payload, _ = _parts(answered.token)
    forger = FreshKeys().new_key(answered.enrollment.key.kind)
    forged = sign_jws(payload, forger, {"kid": header["kid"], "typ": RESPONSE_TYP})

    _assert_invalid(answered.submit(forged), "signature")


def test_signed_by_a_key_of_the_other_family(answered: Answered) -> None:
    """An RS256 answer for an EC enrollment, an ES256 one for an RSA enrollment: the algorithm is
    the enrolled key's, so it is refused before any signature check."""
    header, payload, _ = _parts(answered.token)
    other = KeyKind.RSA if answered.enrollment.key.kind is KeyKind.EC else KeyKind.EC
    forged = sign_jws(payload, FreshKeys().new_key(other), {"kid": header["kid"], "typ": RESPONSE_TYP})

    _assert_invalid(answered.submit(forged), "algorithm")


def test_signed_by_another_enrolled_device(attestlab_factory: Factory, answered: Answered, platform: Platform) -> None:
    """A second, genuinely enrolled phone signs the first phone's enrollment id: refused."""
    other = attestlab_factory.provision(platform, Intune, org=answered.org)
    other_enrollment = other.chain.agents[0].enrollments[answered.org.org_url]
    assert other_enrollment.key.kid != answered.enrollment.key.kid
    _, payload, _ = _parts(answered.token)
    forged = sign_jws(payload, other_enrollment.key, {"kid": other_enrollment.key.kid, "typ": RESPONSE_TYP})

    _assert_invalid(answered.submit(forged), "claims")


def test_unknown_kid(answered: Answered) -> None:
    _, payload, _ = _parts(answered.token)
    key = answered.enrollment.key
    forged = sign_jws(payload, key, {"kid": "nobody", "typ": RESPONSE_TYP})

    _assert_invalid(answered.submit(forged), "unknown_key")


# -- algorithm confusion ----------------------------------------------------------------------


@pytest.mark.parametrize("alg", ["none", "None", "NONE"])
def test_alg_none(answered: Answered, alg: str) -> None:
    header, payload, _ = _parts(answered.token)
    unsigned = f"{_b64json({**header, 'alg': alg})}.{_b64json(payload)}."

    _assert_invalid(answered.submit(unsigned), "algorithm")


def _public_key_encodings(enrollment: Enrollment) -> dict[str, bytes]:
    public = enrollment.key.private.public_key()
    return {
        "pem": public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo),
        "der": public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo),
        "jwk": json.dumps({**enrollment.key.jwk, "kid": enrollment.key.kid}).encode(),
        "jwk-compact": json.dumps(enrollment.key.jwk, separators=(",", ":"), sort_keys=True).encode(),
    }


@pytest.mark.parametrize("encoding", ["pem", "der", "jwk", "jwk-compact"])
def test_hs256_keyed_with_the_enrolled_public_key(answered: Answered, encoding: str) -> None:
    """The classic confusion: the verifier's own public key used as an HMAC secret."""
    header, payload, _ = _parts(answered.token)
    key = _public_key_encodings(answered.enrollment)[encoding]
    forged = _hs256({**header, "alg": "HS256"}, payload, key)

    _assert_invalid(answered.submit(forged), "algorithm")


@pytest.mark.parametrize("alg", ["ES384", "PS256", "EdDSA", "es256", "HS512", ""])
def test_other_algorithms(answered: Answered, alg: str) -> None:
    header, payload, signature = _parts(answered.token)
    relabelled = f"{_b64json({**header, 'alg': alg})}.{_b64json(payload)}.{signature}"

    _assert_invalid(answered.submit(relabelled), "algorithm")


# -- replay -----------------------------------------------------------------------------------


def test_same_response_submitted_twice(answered: Answered) -> None:
    first = answered.submit()
    assert first[0] == 200 and first[1] is not None and first[1].managed

    _assert_invalid(answered.submit(), "replay")


def test_response_replayed_to_a_new_transaction(answered: Answered, platform: Platform) -> None:
    assert answered.submit()[0] == 200
    fresh = answered.org.start_sign_in(platform)
    assert fresh.transaction_id is not None

    _assert_invalid(answered.submit(tx=fresh.transaction_id), "nonce")


def test_unused_response_moved_to_another_transaction(answered: Answered, platform: Platform) -> None:
    """Not replayed but redirected: still bound to the transaction and nonce it was signed for."""
    other = answered.org.start_sign_in(platform)
    assert other.transaction_id is not None

    _assert_invalid(answered.submit(tx=other.transaction_id), "nonce")


def test_reused_jti_re_signed_for_a_new_transaction(answered: Answered, platform: Platform) -> None:
    """Even with the genuine key, a response id (``jti``) is accepted once."""
    assert answered.submit()[0] == 200
    _, old_payload, _ = _parts(answered.token)
    second = _answer(answered.org, answered.agent, platform)
    _, payload, _ = _parts(second.token)
    payload["jti"] = old_payload["jti"]
    reused = _resign(answered, payload)

    _assert_invalid(second.submit(reused), "replay")


def test_nonce_of_another_challenge(answered: Answered) -> None:
    _, payload, _ = _parts(answered.token)
    payload["nonce"] = b64url(b"\0" * 24)
    forged = _resign(answered, payload)

    _assert_invalid(answered.submit(forged), "nonce")


def test_audience_of_another_org(answered: Answered) -> None:
    _, payload, _ = _parts(answered.token)
    payload["aud"] = "https://attacker.okta.com"
    forged = _resign(answered, payload)

    _assert_invalid(answered.submit(forged), "audience")


@pytest.mark.parametrize(
    ("change", "detail"),
    [
        ({"aud": ["https://example.okta.com"]}, "malformed"),  # OktaJWTPayload's aud is a string
        ({"nbf": 10**12}, "expired"),  # nbf far in the future, iat fine: checked on its own
        ({"iat": 10**12}, "expired"),
        ({"exp": 10**19}, "malformed"),  # out of range: refused, no OverflowError
        ({"exp": 1e400}, "malformed"),  # JSON overflows to infinity
        ({"exp": True}, "malformed"),
        ({"iat": "1767225600"}, "malformed"),
        ({"keyType": "userVerification"}, "claims"),  # not a key type the challenge asked for
        ({"methodEnrollmentId": "crpSomeoneElse"}, "claims"),
        ({"sub": "user@example.com"}, "claims"),  # sub is the Okta user id, not the email
        ({"iss": "cliSomeInstance"}, "claims"),  # iss is the authenticator enrollment id
        ({"tx": None}, "malformed"),
    ],
)
def test_claims_checked_strictly(answered: Answered, change: dict[str, Any], detail: str) -> None:
    _, payload, _ = _parts(answered.token)
    payload.update(change)

    _assert_invalid(answered.submit(_resign(answered, payload)), detail)


@pytest.mark.parametrize(
    ("headers", "detail"),
    [
        ({"typ": "JWT"}, "malformed"),
        ({"crit": ["urn:x"], "urn:x": 1}, "header"),
        ({"b64": False, "crit": ["b64"]}, "header"),
        ({"jwk": {"kty": "EC"}}, "header"),
        ({"jku": "https://attacker.example/jwks"}, "header"),
        ({"x5u": "https://attacker.example/cert"}, "header"),
    ],
)
def test_headers_checked_strictly(answered: Answered, headers: dict[str, Any], detail: str) -> None:
    _, payload, _ = _parts(answered.token)

    _assert_invalid(answered.submit(_resign(answered, payload, **headers)), detail)


def test_deeply_nested_header_is_malformed_not_a_crash(answered: Answered) -> None:
    _, payload, signature = answered.token.split(".")
    nested = b64url(b'{"alg":' + b"[" * 50_000 + b"]" * 50_000 + b"}")

    _assert_invalid(answered.submit(f"{nested}.{payload}.{signature}"), "malformed")


def test_not_a_jwt(answered: Answered) -> None:
    _assert_invalid(answered.submit("not.a.jwt"), "malformed")


# -- expiry -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("late_by", "accepted"),
    [(CHALLENGE_LIFETIME_S + LEEWAY_S - 1, True), (CHALLENGE_LIFETIME_S + LEEWAY_S + 1, False)],
    ids=["inside-leeway", "past-leeway"],
)
def test_challenge_answered_late(
    attestlab_factory: Factory, platform: Platform, attestlab_clock: SimClock, late_by: int, accepted: bool
) -> None:
    """The org and Okta Verify share the injected clock; the answer is signed after the wait."""
    s = attestlab_factory.provision(platform, Intune)
    agent = s.chain.agents[0]
    attempt = s.org.start_sign_in(platform)
    enrollment, claims = agent.read_challenge(attempt.challenge)

    attestlab_clock.advance(late_by)
    status = s.org.submit(
        attempt.transaction_id,
        {"method": "signed_nonce", "challengeResponse": agent.sign_response(enrollment, claims)},
    )

    decision = s.org.result(attempt.transaction_id)
    if accepted:
        assert status == 200 and decision.outcome is Outcome.MANAGED
    else:
        _assert_invalid((status, decision), "expired")


def test_expired_challenge_is_refused_by_okta_verify(
    attestlab_factory: Factory, platform_emm: tuple[Platform, type[EMM]], attestlab_clock: SimClock
) -> None:
    """The user looks away before the link opens Okta Verify: the app itself refuses the stale
    challenge and posts nothing; the org, getting no answer, says invalid."""
    platform, emm_cls = platform_emm
    s = attestlab_factory.provision(platform, emm_cls)
    attempt = s.org.start_sign_in(platform)
    attestlab_clock.advance(CHALLENGE_LIFETIME_S + LEEWAY_S + 1)

    answer = s.chain.answering().answer(attempt.challenge)

    assert answer.status == 400 and answer.body == {"error": "expired"}
    assert s.org.result(attempt.transaction_id) is None
    decision = s.org.abandon(attempt.transaction_id, Reason.CHALLENGE_INVALID)
    assert decision.detail == "refused by Okta Verify"
    assert s.chain.sign_in().outcome is Outcome.MANAGED  # a fresh challenge works


def test_challenge_from_another_org_is_refused_by_okta_verify(attestlab_factory: Factory, platform: Platform) -> None:
    """Okta Verify only answers challenges signed by an org it is enrolled with."""
    s = attestlab_factory.provision(platform, Intune)
    rogue = attestlab_factory.org(org_url="https://rogue.okta.com")
    rogue.add_platform(platform, "Rogue", "https://rogue.example.com/")
    attempt = rogue.start_sign_in(platform)
    assert attempt.challenge is not None and attempt.transaction_id is not None

    answer = s.chain.agents[0].answer(attempt.challenge)

    assert answer.status == 404
    assert rogue.result(attempt.transaction_id) is None


def test_okta_verify_checks_the_orgs_signature_not_the_audience(attestlab_factory: Factory, platform: Platform) -> None:
    """``OktaBindJWT.validate`` checks the signature against the issuing org's keys; the
    challenge's ``aud`` is the org URL too (okta-signin-widget mocks), and is not checked."""
    s = attestlab_factory.provision(platform, Intune)
    agent = s.chain.agents[0]
    attempt = s.org.start_sign_in(platform)
    header, claims, _ = _parts(attempt.challenge)
    assert header["alg"] == "RS256" and header["typ"] == "okta-devicebind+jwt"
    assert claims["aud"] == claims["iss"] == s.org.org_url
    assert claims["verificationUri"] == (
        f"{s.org.org_url}/idp/authenticators/{s.org.authenticator_id}/transactions/{attempt.transaction_id}/verify"
    )
    other_aud = sign_jws({**claims, "aud": "anything"}, s.org.key, {"kid": s.org.key.kid, "typ": header["typ"]})
    agent.read_challenge(other_aud)  # accepted
    forged = sign_jws(claims, FreshKeys().new_key(KeyKind.RSA), {"kid": s.org.key.kid, "typ": header["typ"]})
    assert agent.answer(forged).body == {"error": "signature"}


# -- enrollment ---------------------------------------------------------------------------------


def _enroll_request(agent: OktaVerify, jwk: dict[str, str], kid: str) -> dict[str, Any]:
    return {"key": jwk, "kid": kid, "user": "attacker@example.com", "device": agent.signals()}


def test_a_second_enrollment_cannot_take_over_a_victims_kid(answered: Answered) -> None:
    victim = answered.enrollment.key
    attacker = FreshKeys().new_key(victim.kind)

    with pytest.raises(EnrollmentRefused) as own_key:
        answered.org.enroll(_enroll_request(answered.agent, {**attacker.jwk, "kid": victim.kid}, victim.kid))
    with pytest.raises(EnrollmentRefused) as victims_key:
        answered.org.enroll(_enroll_request(answered.agent, dict(victim.jwk), victim.kid))

    assert (own_key.value.status, own_key.value.reason) == (400, "key_conflict")
    assert (victims_key.value.status, victims_key.value.reason) == (409, "key_conflict")
    status, decision = answered.submit()
    assert status == 200 and decision is not None and decision.managed


def test_enrollment_keys_must_be_their_thumbprint(managed: Any) -> None:
    key = FreshKeys().new_key(KeyKind.EC)
    with pytest.raises(EnrollmentRefused):
        managed.org.enroll(_enroll_request(managed.chain.agents[0], dict(key.jwk), "my-own-kid"))
    with pytest.raises(EnrollmentRefused) as weak:
        managed.org.enroll(_enroll_request(managed.chain.agents[0], {"kty": "oct", "k": "c2VjcmV0"}, "x"))
    assert weak.value.status == 400


def test_key_types_per_platform(managed: Any, platform: Platform) -> None:
    """iOS: P-256 (ES256); Android: RSA (RS256) by default; no two holders share a key."""
    agent = managed.chain.agents[0]
    enrollment = agent.enrollments[managed.org.org_url]
    assert enrollment.key.alg == ("ES256" if platform is Platform.IOS else "RS256")
    assert enrollment.key.kid != managed.org.key.kid
    header, _, _ = _parts(managed.chain.org.start_sign_in(platform).challenge or "")
    assert header["alg"] == "RS256"


# -- a deleted device ---------------------------------------------------------------------------


def test_deleted_device_answers_410_until_re_enrolled(answered: Answered, platform: Platform) -> None:
    org, agent = answered.org, answered.agent
    assert org.delete_device(agent.device.identity.udid) == 1

    status, decision = answered.submit()
    assert status == 410
    assert decision is not None and decision.reason is Reason.NOT_REGISTERED
    assert decision.remediation is not None and decision.remediation.http_status == 410
    assert "E0000153" in decision.remediation.message

    with pytest.raises(EnrollmentRefused) as readd:  # adding the account again, same device id
        agent.enroll(InProcessVerifier(org), org.org_url)
    assert (readd.value.status, readd.value.code) == (410, "E0000153")

    agent.remove_account(org.org_url)
    agent.enroll(InProcessVerifier(org), org.org_url)
    status, decision = _answer(org, agent, platform).submit()
    assert status == 200 and decision is not None and decision.managed


def test_a_forged_answer_for_a_deleted_device_is_still_invalid(answered: Answered) -> None:
    answered.org.delete_device(answered.agent.device.identity.udid)
    header, payload, _ = _parts(answered.token)
    forged = sign_jws(
        payload, FreshKeys().new_key(answered.enrollment.key.kind), {"kid": header["kid"], "typ": RESPONSE_TYP}
    )

    _assert_invalid(answered.submit(forged), "unknown_key")
