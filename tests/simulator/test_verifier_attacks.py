"""Forged, altered, replayed and late challenge responses: every one is ``challenge_invalid``.

Responses are made by the real agent (``read_challenge`` + ``sign_response``) and then altered.
Tokens PyJWT refuses to produce (``alg: none``, HS256 keyed with a public key) are built by hand
from base64url and HMAC, since an attacker is not bound by PyJWT either.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from simulator.device import Platform
from simulator.emm import EMM, Intune
from simulator.ids import MANAGEMENT_HINT
from simulator.okta_verify import OktaVerify
from simulator.okta_verify.agent import Enrollment
from simulator.protocol import CHALLENGE_LIFETIME_S, LEEWAY_S, b64url
from simulator.verdict import Decision, Outcome, Reason
from simulator.verifier import Org

Provision = Callable[..., Any]


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
def managed(provision: Provision, platform: Platform) -> Any:
    return provision(platform, Intune)


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


def test_tampered_device_signals_keep_the_signature(provision: Provision, platform: Platform) -> None:
    """An unmanaged phone adds a stolen hint to its signed answer: the signature no longer fits."""
    s = provision(platform, Intune, configuration=lambda _: {})
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
    forger = ec.generate_private_key(ec.SECP256R1())
    forged = jwt.encode(payload, forger, algorithm="ES256", headers={"kid": header["kid"], "typ": "JWT"})

    _assert_invalid(answered.submit(forged), "signature")


def test_signed_by_another_enrolled_device(provision: Provision, answered: Answered, platform: Platform) -> None:
    """A second, genuinely enrolled phone signs the first phone's enrollment id: refused."""
    other = provision(platform, Intune, org=answered.org)
    other_enrollment = other.chain.agents[0].enrollments[answered.org.org_url]
    _, payload, _ = _parts(answered.token)
    forged = jwt.encode(
        payload,
        other_enrollment.key.private,
        algorithm="ES256",
        headers={"kid": other_enrollment.key.kid, "typ": "JWT"},
    )

    _assert_invalid(answered.submit(forged), "signature")


def test_unknown_kid(answered: Answered) -> None:
    _, payload, _ = _parts(answered.token)
    forged = jwt.encode(payload, answered.enrollment.key.private, algorithm="ES256", headers={"kid": "nobody"})

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


@pytest.mark.parametrize("alg", ["ES384", "RS256", "PS256", "EdDSA", "es256"])
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
    reused = jwt.encode(
        payload,
        answered.enrollment.key.private,
        algorithm="ES256",
        headers={"kid": answered.enrollment.key.kid, "typ": "JWT"},
    )

    _assert_invalid(second.submit(reused), "replay")


def test_nonce_of_another_challenge(answered: Answered) -> None:
    _, payload, _ = _parts(answered.token)
    payload["nonce"] = b64url(b"\0" * 24)
    forged = jwt.encode(
        payload,
        answered.enrollment.key.private,
        algorithm="ES256",
        headers={"kid": answered.enrollment.key.kid, "typ": "JWT"},
    )

    _assert_invalid(answered.submit(forged), "nonce")


def test_audience_of_another_org(answered: Answered) -> None:
    _, payload, _ = _parts(answered.token)
    payload["aud"] = "https://attacker.okta.com"
    forged = jwt.encode(
        payload,
        answered.enrollment.key.private,
        algorithm="ES256",
        headers={"kid": answered.enrollment.key.kid, "typ": "JWT"},
    )

    _assert_invalid(answered.submit(forged), "audience")


def test_not_a_jwt(answered: Answered) -> None:
    _assert_invalid(answered.submit("not.a.jwt"), "malformed")


# -- expiry -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("late_by", "accepted"),
    [(CHALLENGE_LIFETIME_S + LEEWAY_S - 1, True), (CHALLENGE_LIFETIME_S + LEEWAY_S + 1, False)],
    ids=["inside-leeway", "past-leeway"],
)
def test_challenge_answered_late(
    provision: Provision, platform: Platform, clock: Any, late_by: int, accepted: bool
) -> None:
    """The org and Okta Verify share the injected clock; the answer is signed after the wait."""
    s = provision(platform, Intune)
    agent = s.chain.agents[0]
    attempt = s.org.start_sign_in(platform)
    enrollment, claims = agent.read_challenge(attempt.challenge)

    clock.advance(late_by)
    status = s.org.submit(
        attempt.transaction_id,
        {"method": "signed_nonce", "challengeResponse": agent.sign_response(enrollment, claims)},
    )

    decision = s.org.result(attempt.transaction_id)
    if accepted:
        assert status == 200 and decision.outcome is Outcome.MANAGED
    else:
        _assert_invalid((status, decision), "expired")


class _SlowBrowser:
    """A :class:`~simulator.signin.Channel` whose user looks away before Okta Verify answers."""

    def __init__(self, inner: Any, clock: Any, delay: float) -> None:
        self.inner, self.clock, self.delay = inner, clock, delay

    def probe(self, caller_user: int | None) -> int | None:
        self.clock.advance(self.delay)
        status: int | None = self.inner.probe(caller_user)
        return status

    def challenge(self, token: str, caller_user: int | None) -> int | None:
        status: int | None = self.inner.challenge(token, caller_user)
        return status


def test_expired_challenge_end_to_end_is_refused_by_okta_verify(
    provision: Provision, platform_emm: tuple[Platform, type[EMM]], clock: Any
) -> None:
    """Through the browser: Okta Verify itself refuses the stale challenge; the org says invalid."""
    from simulator.signin import InProcessChannel

    platform, emm_cls = platform_emm
    s = provision(platform, emm_cls)
    slow = _SlowBrowser(InProcessChannel(s.chain.port()), clock, CHALLENGE_LIFETIME_S + LEEWAY_S + 1)

    decision = s.chain.sign_in(channel=slow)

    assert decision.outcome is Outcome.ERROR
    assert decision.reason is Reason.CHALLENGE_INVALID
    assert decision.detail == "refused by Okta Verify"
    assert s.chain.sign_in().outcome is Outcome.MANAGED  # a fresh challenge works


def test_challenge_from_another_org_is_refused_by_okta_verify(
    provision: Provision, make_org: Callable[..., Org], platform: Platform
) -> None:
    """Okta Verify only answers challenges signed by an org it is enrolled with."""
    s = provision(platform, Intune)
    rogue = make_org(org_url="https://rogue.okta.com")
    rogue.add_platform(platform, "Rogue", "https://rogue.example.com/")
    attempt = rogue.start_sign_in(platform)
    assert attempt.challenge is not None and attempt.transaction_id is not None

    answer = s.chain.agents[0].answer(attempt.challenge)

    assert answer.status == 404
    assert rogue.result(attempt.transaction_id) is None
