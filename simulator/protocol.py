"""The wire format between Okta Verify and the org (DOMAIN.md §4), shared by both ends.

Challenge: a JWT with header ``typ: okta-devicebind+jwt`` signed by the org. Response: a JWT
signed ES256 by the device-bound key of the enrollment, posted to the challenge's
``verificationUri`` as ``{"method": "signed_nonce", "challengeResponse": "<jwt>"}``.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import random
import re
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from jwt.algorithms import ECAlgorithm

from simulator.errors import VerificationError

CHALLENGE_TYP = "okta-devicebind+jwt"
RESPONSE_TYP = CHALLENGE_TYP  # okta-devices-swift signs answers with the same typ
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
LEEWAY_S = 60

_P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def new_p256_key(rng: random.Random) -> ec.EllipticCurvePrivateKey:
    """A P-256 key: from OpenSSL's generator when ``rng`` is the system's, otherwise drawn from
    ``rng`` so that seeded runs make the same keys (deriving costs twice as much)."""
    if isinstance(rng, random.SystemRandom):
        return ec.generate_private_key(ec.SECP256R1())
    return ec.derive_private_key(rng.randrange(1, _P256_ORDER), ec.SECP256R1())


def public_jwk(key: ec.EllipticCurvePublicKey) -> dict[str, str]:
    # The uncompressed point is 04 || x || y: one call instead of public_numbers() and two ints.
    point = key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return {"kty": "EC", "crv": "P-256", "x": b64url(point[1:33]), "y": b64url(point[33:])}


def jwk_thumbprint(jwk: dict[str, str]) -> str:
    """RFC 7638 thumbprint, used as the key id (``kid``): SHA-256 of the members ``crv, kty, x,
    y`` in that order, no white space (base64url values need no JSON escaping)."""
    canonical = f'{{"crv":"P-256","kty":"EC","x":"{jwk["x"]}","y":"{jwk["y"]}"}}'
    return b64url(hashlib.sha256(canonical.encode("ascii")).digest())


def public_key_from_jwk(jwk: dict[str, Any]) -> ec.EllipticCurvePublicKey:
    """Load a P-256 public JWK; anything else is refused (ValueError)."""
    if jwk.get("kty") != "EC" or jwk.get("crv") != "P-256":
        raise ValueError("only EC P-256 keys are accepted")
    return _point(str(jwk["x"]), str(jwk["y"]))


@functools.lru_cache(maxsize=256)
def _point(x: str, y: str) -> ec.EllipticCurvePublicKey:
    """Decoding checks the point is on the curve (~10 µs); the org's key is loaded at every
    enrollment, so recent points are kept."""
    raw = base64.urlsafe_b64decode(x + "==") + base64.urlsafe_b64decode(y + "==")
    if len(raw) != 64:
        raise ValueError("P-256 coordinates are 32 bytes each")
    return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b"\x04" + raw)


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


# -- compact JWS -------------------------------------------------------------------------
#
# PyJWT 2.15 checks every character of every segment against the base64url alphabet in a Python
# generator (GHSA-hxm8-2xgr-2p9m); that costs ~100 µs per challenge response, more than the
# ES256 verification itself. Both ends therefore split and decode a token once, with one compiled
# regular expression doing the same strict check, and hand the signature to PyJWT's own ES256
# implementation (``ECAlgorithm``). Signing likewise skips ``jwt.encode``'s generic path (header
# merging, key loading, DER-to-raw conversion through its algorithm registry): ~20 µs a token.

_SEGMENT = re.compile(r"[A-Za-z0-9_-]*")
_ES256 = ECAlgorithm(ECAlgorithm.SHA256)
MAX_TOKEN_CHARS = 64 * 1024


@dataclass(frozen=True, slots=True)
class CompactJWS:
    """A JWS split into its parts; nothing about it is trusted until :meth:`verify_es256`."""

    header: dict[str, Any]
    claims: dict[str, Any]
    signing_input: bytes
    signature: bytes

    def verify_es256(self, key: ec.EllipticCurvePublicKey) -> bool:
        """True when the signature is a valid ES256 (raw r||s) signature by ``key``."""
        return len(self.signature) == 64 and bool(_ES256.verify(self.signing_input, key, self.signature))


def _segment(text: str, what: str) -> bytes:
    if len(text) % 4 == 1 or not _SEGMENT.fullmatch(text):
        raise VerificationError("malformed", f"JWT {what} is not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def parse_jws(token: str) -> CompactJWS:
    """Split and decode a compact JWS (``header.payload.signature``); refuse anything else."""
    if not isinstance(token, str) or len(token) > MAX_TOKEN_CHARS or token.count(".") != 2:
        raise VerificationError("malformed", "not a compact JWT")
    header_b64, payload_b64, signature_b64 = token.split(".")
    try:
        header = json.loads(_segment(header_b64, "header"))
        claims = json.loads(_segment(payload_b64, "payload"))
    except (ValueError, UnicodeDecodeError):
        raise VerificationError("malformed", "JWT header or payload is not JSON") from None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise VerificationError("malformed", "JWT header and payload must be JSON objects")
    signature = _segment(signature_b64, "signature")
    return CompactJWS(header, claims, f"{header_b64}.{payload_b64}".encode("ascii"), signature)


_COMPACT = json.JSONEncoder(separators=(",", ":"))


def _b64json(obj: dict[str, Any]) -> str:
    return b64url(_COMPACT.encode(obj).encode("utf-8"))


def sign_es256(claims: dict[str, Any], key: ec.EllipticCurvePrivateKey, headers: dict[str, str]) -> str:
    """A compact ES256 JWS (RFC 7515/7518: signature is raw r||s, 32 bytes each)."""
    signing_input = f"{_b64json({'alg': ALGORITHM, **headers})}.{_b64json(claims)}"
    der = key.sign(signing_input.encode("ascii"), ec.ECDSA(hashes.SHA256()))
    r, s = decode_dss_signature(der)
    return f"{signing_input}.{b64url(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


def audience_ok(claims: dict[str, Any], audience: str) -> bool:
    aud = claims.get("aud")
    return aud == audience or (isinstance(aud, list) and audience in aud)
