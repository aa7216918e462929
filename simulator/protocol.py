"""The wire format between Okta Verify and the org (DOMAIN.md §4), shared by both ends.

Challenge: a JWT with header ``typ: okta-devicebind+jwt`` signed by the org. Response: a JWT
signed ES256 by the device-bound key of the enrollment, posted to the challenge's
``verificationUri`` as ``{"method": "signed_nonce", "challengeResponse": "<jwt>"}``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

CHALLENGE_TYP = "okta-devicebind+jwt"
RESPONSE_TYP = "JWT"
ALGORITHM = "ES256"
METHOD_SIGNED_NONCE = "signed_nonce"
KEY_TYPE_POP = "proofOfPossession"
#: (model) The audience of challenges: Okta Verify's client at the org.
OKTA_VERIFY_AUDIENCE = "okta-verify"
#: Device signals Okta asks for in a Device Trust sign-in.
REQUESTED_SIGNALS = ("deviceAttestation", "appManaged", "osVersion", "screenLockType")
CHALLENGE_LIFETIME_S = 300
RESPONSE_LIFETIME_S = 300
#: Clock skew tolerated between the device and the org.
LEEWAY_S = 30

_P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def new_p256_key(rng: random.Random) -> ec.EllipticCurvePrivateKey:
    """A P-256 key drawn from ``rng``, so that seeded runs make the same keys.

    With an unseeded :class:`random.SystemRandom` this is as good as ``generate_private_key``.
    """
    return ec.derive_private_key(rng.randrange(1, _P256_ORDER), ec.SECP256R1())


def public_jwk(key: ec.EllipticCurvePublicKey) -> dict[str, str]:
    numbers = key.public_numbers()
    return {
        "kty": "EC",
        "crv": "P-256",
        "x": b64url(numbers.x.to_bytes(32, "big")),
        "y": b64url(numbers.y.to_bytes(32, "big")),
    }


def jwk_thumbprint(jwk: dict[str, str]) -> str:
    """RFC 7638 thumbprint, used as the key id (``kid``)."""
    canonical = json.dumps(
        {k: jwk[k] for k in ("crv", "kty", "x", "y")}, separators=(",", ":"), sort_keys=True
    )
    return b64url(hashlib.sha256(canonical.encode()).digest())


def public_key_from_jwk(jwk: dict[str, Any]) -> ec.EllipticCurvePublicKey:
    """Load a P-256 public JWK; anything else is refused (ValueError)."""
    if jwk.get("kty") != "EC" or jwk.get("crv") != "P-256":
        raise ValueError("only EC P-256 keys are accepted")
    x = int.from_bytes(base64.urlsafe_b64decode(jwk["x"] + "=="), "big")
    y = int.from_bytes(base64.urlsafe_b64decode(jwk["y"] + "=="), "big")
    return ec.EllipticCurvePublicNumbers(x, y, ec.SECP256R1()).public_key()


@dataclass(frozen=True, slots=True)
class SigningKey:
    """An ES256 key with its ``kid``: the org's challenge key, or a device-bound key."""

    private: ec.EllipticCurvePrivateKey
    kid: str
    jwk: dict[str, str]

    @classmethod
    def generate(cls, rng: random.Random) -> SigningKey:
        private = new_p256_key(rng)
        jwk = public_jwk(private.public_key())
        return cls(private, jwk_thumbprint(jwk), jwk)

    def __repr__(self) -> str:
        return f"SigningKey(kid={self.kid!r})"


def attested_hint(configured: str) -> str:
    """What Okta Verify puts in ``deviceAttestation.managementHint`` for a configured value.

    Whether the app sends the hint raw or derived is not public (DOMAIN.md §4); the model sends
    it raw. Both ends call this one function, so a derived scheme is a change in one place.
    """
    return configured


#: PyJWT checks times against the wall clock; both ends check them against their own (injectable)
#: clock instead, so simulated runs and tests of expiry are exact.
NO_WALL_CLOCK = {"verify_exp": False, "verify_iat": False, "verify_nbf": False}


def check_times(claims: dict[str, Any], now: float, leeway: float = LEEWAY_S) -> str | None:
    """Why the token's ``exp``/``nbf``/``iat`` make it unusable at ``now``, or None if they don't."""
    try:
        exp = float(claims["exp"])
        iat = float(claims.get("iat", exp))
        nbf = float(claims.get("nbf", iat))
    except (KeyError, TypeError, ValueError):
        return "exp, iat or nbf missing or not a number"
    if now > exp + leeway:
        return "expired"
    if now + leeway < min(nbf, iat):
        return "not yet valid"
    return None
