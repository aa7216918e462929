"""Challenges the org issues and the checks it runs on Okta Verify's signed answers.

Every check that can fail raises :class:`~simulator.errors.VerificationError` with a short
``reason``; the org turns that into the ``challenge_invalid`` decision. The algorithm is pinned to
ES256 *before* the key is looked up, so ``alg: none`` and HS256-signed-with-the-public-key tokens
never reach a verifier that might accept them.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from simulator.device import Platform
from simulator.errors import VerificationError
from simulator.protocol import (
    ALGORITHM,
    CHALLENGE_LIFETIME_S,
    CHALLENGE_TYP,
    KEY_TYPE_POP,
    LEEWAY_S,
    METHOD_SIGNED_NONCE,
    OKTA_VERIFY_AUDIENCE,
    REQUESTED_SIGNALS,
    SigningKey,
    audience_ok,
    b64url,
    check_times,
    parse_jws,
    sign_es256,
)
from simulator.secret import constant_time_equal
from simulator.verifier.registry import DeviceRecord, Registry

_REQUIRED_CLAIMS = ["exp", "iat", "nbf", "jti", "iss", "aud"]


@dataclass(frozen=True, slots=True)
class PendingChallenge:
    transaction_id: str
    nonce: str
    platform: Platform
    expires_at: float
    verification_uri: str


def issue_challenge(
    *,
    org_url: str,
    org_id: str,
    key: SigningKey,
    platform: Platform,
    rng: random.Random,
    now: float,
) -> tuple[str, PendingChallenge]:
    """A signed ``okta-devicebind+jwt`` challenge and the record the org keeps of it."""
    transaction_id = "ft" + b64url(rng.randbytes(16))
    nonce = b64url(rng.randbytes(24))
    iat = int(now)
    pending = PendingChallenge(
        transaction_id,
        nonce,
        platform,
        iat + CHALLENGE_LIFETIME_S,
        f"{org_url}/idp/authenticators/{org_id}/transactions/{transaction_id}/verify",
    )
    claims = {
        "iss": org_url,
        "aud": OKTA_VERIFY_AUDIENCE,
        "iat": iat,
        "exp": pending.expires_at,
        "orgId": org_id,
        "nonce": nonce,
        "transactionId": transaction_id,
        "verificationUri": pending.verification_uri,
        "method": METHOD_SIGNED_NONCE,
        "signals": list(REQUESTED_SIGNALS),
        "keyTypes": [KEY_TYPE_POP],
    }
    token = sign_es256(claims, key.private, {"typ": CHALLENGE_TYP, "kid": key.kid})
    return token, pending


def verify_response(
    token: str,
    *,
    pending: PendingChallenge,
    registry: Registry,
    org_url: str,
    now: Callable[[], float],
    seen_jti: set[str],
) -> tuple[DeviceRecord, dict[str, Any]]:
    """Check a challenge response against the challenge it answers; return who signed it and claims."""
    jws = parse_jws(token)
    header, claims = jws.header, jws.claims
    if header.get("alg") != ALGORITHM:
        raise VerificationError("algorithm", f"algorithm {str(header.get('alg'))[:16]!r} refused, only ES256")
    record = registry.by_kid(str(header.get("kid", "")))
    if record is None:
        raise VerificationError("unknown_key", "challenge response signed by an unknown key")
    if now() > pending.expires_at + LEEWAY_S:
        raise VerificationError("expired", "challenge expired before it was answered")
    if not jws.verify_es256(record.public_key):
        raise VerificationError("signature", "challenge response signature is invalid")
    missing = [c for c in _REQUIRED_CLAIMS if c not in claims]
    if missing:
        raise VerificationError("malformed", f"challenge response lacks claim(s) {', '.join(missing)}")
    if not audience_ok(claims, org_url):
        raise VerificationError("audience", "challenge response is for another audience")
    if check_times(claims, now()) is not None:
        raise VerificationError("expired", "challenge response is outside its validity time")
    if claims["iss"] != record.enrollment_id:
        raise VerificationError("signature", "challenge response signed with another enrollment's key")
    if claims.get("tx") != pending.transaction_id:
        raise VerificationError("nonce", "challenge response is for another transaction")
    if not constant_time_equal(str(claims.get("nonce", "")), pending.nonce):
        raise VerificationError("nonce", "challenge response nonce does not match the challenge")
    jti = str(claims["jti"])
    if jti in seen_jti:
        raise VerificationError("replay", "challenge response was already used")
    seen_jti.add(jti)
    if not isinstance(claims.get("deviceSignals"), dict):
        raise VerificationError("malformed", "challenge response carries no deviceSignals")
    return record, claims


def new_id(prefix: str, rng: random.Random) -> str:
    """An Okta-style object id (``pfd…``, ``00o…``)."""
    return prefix + uuid.UUID(int=rng.getrandbits(128)).hex[:17]
