"""Challenges the org issues and the checks it runs on Okta Verify's signed answers.

Every check that can fail raises :class:`~simulator.errors.VerificationError` with a short
``reason``; the org turns that into the ``challenge_invalid`` decision (or, for a deleted
device, ``not_registered`` with HTTP 410). The algorithm is the **enrolled key's** (ES256 for a
P-256 key, RS256 for an RSA key), never the header's: an ``alg`` outside those two is refused
before any key is looked up, and one that is not the enrolled key's is refused before any
signature check, so ``none``, HS256-keyed-with-the-public-key and EC/RSA swaps never reach a
verify call.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from simulator.device import Platform
from simulator.errors import VerificationError
from simulator.keys import SigningKey, b64url
from simulator.protocol import (
    CHALLENGE_LIFETIME_S,
    CHALLENGE_TYP,
    KEY_TYPE_POP,
    LEEWAY_S,
    METHOD_SIGNED_NONCE,
    REQUESTED_SIGNALS,
    RESPONSE_TYP,
    SIGNING_ALGORITHMS,
    check_times,
    parse_jws,
    sign_jws,
)
from simulator.secret import constant_time_equal
from simulator.verifier.registry import DeviceRecord, Registry

_STRING_CLAIMS = ("iss", "aud", "sub", "jti", "tx", "nonce", "keyType", "methodEnrollmentId")


class DeviceDeleted(VerificationError):
    """A genuine answer from a device whose record an admin deleted (HTTP 410, ``E0000153``)."""

    def __init__(self, record: DeviceRecord) -> None:
        super().__init__("device_deleted", "Invalid device id, it no longer exists.")
        self.record = record


@dataclass(frozen=True, slots=True)
class PendingChallenge:
    """A challenge the org sent and awaits Okta Verify's signed answer to (until ``expires_at``)."""

    transaction_id: str
    nonce: str
    platform: Platform
    expires_at: float
    verification_uri: str
    key_types: tuple[str, ...] = (KEY_TYPE_POP,)


def verification_uri(org_url: str, authenticator_id: str, transaction_id: str) -> str:
    """Where Okta Verify posts its answer (okta-signin-widget mocks, DOMAIN.md §4)."""
    return f"{org_url}/idp/authenticators/{authenticator_id}/transactions/{transaction_id}/verify"


def issue_challenge(
    *,
    org_url: str,
    org_id: str,
    authenticator_id: str,
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
        verification_uri(org_url, authenticator_id, transaction_id),
    )
    claims = {
        "iss": org_url,
        "aud": org_url,
        "iat": iat,
        "exp": pending.expires_at,
        "orgId": org_id,
        "nonce": nonce,
        "transactionId": transaction_id,
        "verificationUri": pending.verification_uri,
        "method": METHOD_SIGNED_NONCE,
        "signals": list(REQUESTED_SIGNALS),
        "keyTypes": list(pending.key_types),
    }
    token = sign_jws(claims, key, {"typ": CHALLENGE_TYP, "kid": key.kid})
    return token, pending


def verify_response(
    token: str,
    *,
    pending: PendingChallenge,
    registry: Registry,
    org_url: str,
    now: float,
    seen_jti: set[str],
) -> tuple[DeviceRecord, dict[str, Any]]:
    """Check a challenge response against the challenge it answers; return who signed it and claims."""
    jws = parse_jws(token)
    header, claims = jws.header, jws.claims
    if header.get("alg") not in SIGNING_ALGORITHMS:
        raise VerificationError("algorithm", f"algorithm {str(header.get('alg'))[:16]!r} refused")
    jws.check_header(RESPONSE_TYP)
    kid = header["kid"]
    record = registry.by_kid(kid)
    if record is None:
        deleted = registry.deleted_by_kid(kid)
        if deleted is not None and jws.verify(deleted.public_key):
            raise DeviceDeleted(deleted)
        raise VerificationError("unknown_key", "challenge response signed by an unknown key")
    if header["alg"] != record.kind.alg:
        raise VerificationError("algorithm", f"the enrolled {record.kind.value} key signs {record.kind.alg} only")
    if now > pending.expires_at + LEEWAY_S:
        raise VerificationError("expired", "challenge expired before it was answered")
    if not jws.verify(record.public_key):
        raise VerificationError("signature", "challenge response signature is invalid")
    missing = [c for c in (*_STRING_CLAIMS, "exp", "iat", "nbf") if c not in claims]
    if missing:
        raise VerificationError("malformed", f"challenge response lacks claim(s) {', '.join(missing)}")
    if not all(isinstance(claims[c], str) for c in _STRING_CLAIMS):
        raise VerificationError("malformed", "challenge response claims of the wrong type")
    if claims["aud"] != org_url:
        raise VerificationError("audience", "challenge response is for another audience")
    problem = check_times(claims, now, required=("exp", "iat", "nbf"))
    if problem is not None:
        raise VerificationError("expired", f"challenge response refused: {problem}")
    if claims["iss"] != record.enrollment_id or claims["sub"] != record.user_id:
        raise VerificationError("claims", "challenge response names another enrollment or user")
    if claims["methodEnrollmentId"] != record.method_enrollment_id:
        raise VerificationError("claims", "challenge response names another method enrollment")
    if claims["keyType"] not in pending.key_types:
        raise VerificationError("claims", "challenge response uses a key type the challenge did not ask for")
    if claims["tx"] != pending.transaction_id:
        raise VerificationError("nonce", "challenge response is for another transaction")
    if not constant_time_equal(claims["nonce"], pending.nonce):
        raise VerificationError("nonce", "challenge response nonce does not match the challenge")
    if claims["jti"] in seen_jti:
        raise VerificationError("replay", "challenge response was already used")
    seen_jti.add(claims["jti"])
    if not isinstance(claims.get("deviceSignals"), dict):
        raise VerificationError("malformed", "challenge response carries no deviceSignals")
    return record, claims


def new_id(prefix: str, rng: random.Random) -> str:
    """An Okta-style object id (``pfd…``, ``00o…``)."""
    return f"{prefix}{rng.getrandbits(128) >> 60:017x}"  # = uuid.UUID(int=...).hex[:17], without the object
