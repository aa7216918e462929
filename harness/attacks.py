"""Attacks on the verifier, played from a compromised browser or app (the ``security/`` catalog).

Each builds a challenge response the way an attacker could and submits it; a correct verifier
answers every one with ``challenge_invalid``. The forged tokens are assembled by hand (base64url
and HMAC) because PyJWT, rightly, refuses to produce ``alg: none`` or HS256-with-a-public-key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization

from simulator.chain import Chain
from simulator.okta_verify.agent import Enrollment, OktaVerify
from simulator.protocol import (
    CHALLENGE_LIFETIME_S,
    LEEWAY_S,
    METHOD_SIGNED_NONCE,
    SigningKey,
    b64url,
)
from simulator.verdict import Decision, Reason
from simulator.verifier.org import Org


def _b64json(obj: dict[str, Any]) -> str:
    return b64url(json.dumps(obj, separators=(",", ":")).encode())


def _claims_of(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    result: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return result


def _submit(org: Org, tx: str, token: str) -> Decision:
    org.submit(tx, {"method": METHOD_SIGNED_NONCE, "challengeResponse": token})
    return org.result(tx) or org.abandon(tx, Reason.CHALLENGE_INVALID)


def _tampered(token: str, agent: OktaVerify, enrollment: Enrollment, org: Org) -> str:
    header, _, signature = token.split(".")
    claims = _claims_of(token)
    claims["deviceSignals"]["deviceAttestation"]["managementHint"] = "forged-by-attacker"
    return f"{header}.{_b64json(claims)}.{signature}"


def _wrong_key(token: str, agent: OktaVerify, enrollment: Enrollment, org: Org) -> str:
    other = SigningKey.generate(agent.rng)
    return jwt.encode(_claims_of(token), other.private, algorithm="ES256", headers={"kid": enrollment.key.kid})


def _alg_none(token: str, agent: OktaVerify, enrollment: Enrollment, org: Org) -> str:
    return f"{_b64json({'alg': 'none', 'kid': enrollment.key.kid})}.{_b64json(_claims_of(token))}."


def _hs256_public_key(token: str, agent: OktaVerify, enrollment: Enrollment, org: Org) -> str:
    pem = enrollment.key.private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    signing_input = (
        f"{_b64json({'alg': 'HS256', 'typ': 'JWT', 'kid': enrollment.key.kid})}.{_b64json(_claims_of(token))}"
    )
    mac = hmac.new(pem, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(mac)}"


_FORGERS: dict[str, Callable[[str, OktaVerify, Enrollment, Org], str]] = {
    "tampered_signals": _tampered,
    "wrong_key": _wrong_key,
    "alg_none": _alg_none,
    "hs256_public_key": _hs256_public_key,
}


def attack_sign_in(chain: Chain, attack: str, advance_clock: Callable[[float], None]) -> Decision:
    """One sign-in in which the answer is forged, replayed or late."""
    org = chain.org
    agent = chain.port().holder
    attempt = org.start_sign_in(chain.device.platform)
    if attempt.decision is not None:
        return attempt.decision
    assert attempt.transaction_id is not None and attempt.challenge is not None
    if agent is None or org.org_url not in agent.enrollments:
        return org.abandon(attempt.transaction_id, Reason.APP_NOT_INSTALLED if agent is None else Reason.NOT_REGISTERED)
    enrollment, claims = agent.read_challenge(attempt.challenge)
    if attack == "expired":
        advance_clock(CHALLENGE_LIFETIME_S + LEEWAY_S + 1)
    token = agent.sign_response(enrollment, claims)
    if attack == "replay":
        _submit(org, attempt.transaction_id, token)  # the legitimate use
        second = org.start_sign_in(chain.device.platform)
        assert second.transaction_id is not None
        return _submit(org, second.transaction_id, token)
    forge = _FORGERS.get(attack)
    if forge is not None:
        token = forge(token, agent, enrollment, org)
    return _submit(org, attempt.transaction_id, token)
