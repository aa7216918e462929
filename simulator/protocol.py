"""The wire format between Okta Verify and the org (DOMAIN.md §4), shared by both ends.

Challenge: a JWT with header ``typ: okta-devicebind+jwt`` signed RS256 by the org's key (the
okta-signin-widget mocks' ``challengeRequest``; ``aud`` = ``iss`` = the org URL). Response: a JWT
of the same ``typ`` signed by the device-bound key of the enrollment, whose type sets the
algorithm (ES256 for P-256, RS256 for RSA), posted to the challenge's ``verificationUri`` as
``{"method": "signed_nonce", "challengeResponse": "<jwt>"}``.

Both ends read tokens as strictly as a JOSE conformance suite asks (RFC 7515/7518/7519/7797):
only canonical base64url, JSON objects without NaN/Infinity or duplicate header members, no
``crit`` (this implementation understands no extension), no ``b64``, no keys carried in the
header (``jwk``, ``jku``, ``x5u``, ``x5c``), the right ``typ``; the algorithm is the verifying
key's, never the header's; ECDSA signatures are raw ``r || s`` with ``s`` in the low half.
Nothing here raises anything but :class:`~simulator.errors.VerificationError` on bad input.
"""

from __future__ import annotations

import binascii
import json
import math
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

from simulator.errors import VerificationError
from simulator.keys import P256_ORDER, RSA_BITS, KeyKind, PublicKey, SigningKey, b64url

CHALLENGE_TYP = "okta-devicebind+jwt"
RESPONSE_TYP = CHALLENGE_TYP  # okta-devices-swift signs answers with the same typ
METHOD_SIGNED_NONCE = "signed_nonce"
KEY_TYPE_POP = "proofOfPossession"
#: Device signals Okta asks for in a Device Trust sign-in.
REQUESTED_SIGNALS = ("deviceAttestation", "appManaged", "osVersion", "screenLockType")
CHALLENGE_LIFETIME_S = 300
#: ``OktaJWTPayload``: ``exp = iat + 300``, ``nbf = iat - 300`` (okta-devices-swift).
RESPONSE_PADDING_S = 300
#: Clock skew tolerated between the device and the org (``OktaBindJWT``'s default, 60 s).
LEEWAY_S = 60
#: The algorithms a key can verify; anything else is refused before any key is looked up.
SIGNING_ALGORITHMS = frozenset(kind.alg for kind in KeyKind)
#: Header members that carry or point at keys: a verifier that used them would let the token
#: choose its own key (jwk/jku/x5u/x5c header injection).
KEY_HEADERS = frozenset({"jwk", "jku", "x5u", "x5c", "x5t", "x5t#S256"})
#: Times beyond 2^53 s cannot be exact in JSON numbers nor meaningful as dates.
MAX_TIME = 2**53

_HALF_ORDER = P256_ORDER // 2


# -- base64url and JSON ------------------------------------------------------------------------

_FROM_URLSAFE = bytes.maketrans(b"-_", b"+/")
_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
#: The bits of the last character that encode nothing, by ``len % 4``: they must be zero.
_STRAY_BITS = {0: 0, 2: 0x0F, 3: 0x03}
MAX_TOKEN_CHARS = 64 * 1024


def _b64decode(text: str, what: str) -> bytes:
    """Canonical base64url only: the alphabet, no padding, and no stray bits in the last
    character (so one value has one encoding and a flipped tail bit is not ignored)."""
    rest = len(text) % 4
    if rest == 1 or "+" in text or "/" in text or "=" in text:
        raise VerificationError("malformed", f"JWT {what} is not base64url")
    try:
        data = binascii.a2b_base64(
            (text + "=" * (-rest % 4)).encode("ascii").translate(_FROM_URLSAFE), strict_mode=True
        )
    except ValueError:  # binascii.Error, or UnicodeEncodeError for a non-ASCII character
        raise VerificationError("malformed", f"JWT {what} is not base64url") from None
    if rest and _ALPHABET.index(text[-1]) & _STRAY_BITS[rest]:
        raise VerificationError("malformed", f"JWT {what} is not canonical base64url")
    return data


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise ValueError("duplicate member")
    return result


_STRICT = json.JSONDecoder(parse_constant=_no_constant)
_STRICT_UNIQUE = json.JSONDecoder(parse_constant=_no_constant, object_pairs_hook=_unique)


def _json_object(data: bytes, what: str, decoder: json.JSONDecoder) -> dict[str, Any]:
    try:
        value = decoder.decode(data.decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise VerificationError("malformed", f"JWT {what} is not JSON") from None
    if not isinstance(value, dict):
        raise VerificationError("malformed", f"JWT {what} must be a JSON object")
    return value


# -- compact JWS ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CompactJWS:
    """A JWS split into its parts; nothing about it is trusted until :meth:`verify`."""

    header: dict[str, Any]
    claims: dict[str, Any]
    signing_input: bytes
    signature: bytes

    def check_header(self, typ: str) -> None:
        """Refuse headers a conforming verifier must not accept (see the module docstring)."""
        header = self.header
        if header.get("typ") != typ:
            raise VerificationError("malformed", f"JWT typ is not {typ}")
        if "crit" in header:
            raise VerificationError("header", "JWT names critical header parameters this verifier does not know")
        if "b64" in header:
            raise VerificationError("header", "JWT payload encoding (b64) is not supported")
        if KEY_HEADERS & header.keys():
            raise VerificationError("header", "JWT carries its own key in the header")
        if not isinstance(header.get("kid"), str):
            raise VerificationError("unknown_key", "JWT kid is missing or not a string")

    def verify(self, key: PublicKey) -> bool:
        """True when the header's ``alg`` is ``key``'s algorithm and the signature is valid."""
        if isinstance(key, ec.EllipticCurvePublicKey):
            return self.header.get("alg") == KeyKind.EC.alg and _verify_es256(key, self.signing_input, self.signature)
        return self.header.get("alg") == KeyKind.RSA.alg and _verify_rs256(key, self.signing_input, self.signature)


def _verify_es256(key: ec.EllipticCurvePublicKey, data: bytes, signature: bytes) -> bool:
    if len(signature) != 64:
        return False
    r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    if not (0 < r < P256_ORDER and 0 < s <= _HALF_ORDER):  # low-S only: one signature per message
        return False
    try:
        key.verify(encode_dss_signature(r, s), data, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return False
    return True


def _verify_rs256(key: rsa.RSAPublicKey, data: bytes, signature: bytes) -> bool:
    if len(signature) != (key.key_size + 7) // 8:
        return False
    try:
        key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True


def parse_jws(token: object) -> CompactJWS:
    """Split and decode a compact JWS (``header.payload.signature``); refuse anything else."""
    if not isinstance(token, str) or len(token) > MAX_TOKEN_CHARS or token.count(".") != 2:
        raise VerificationError("malformed", "not a compact JWT")
    header_b64, payload_b64, signature_b64 = token.split(".")
    header = _json_object(_b64decode(header_b64, "header"), "header", _STRICT_UNIQUE)
    claims = _json_object(_b64decode(payload_b64, "payload"), "payload", _STRICT)
    signature = _b64decode(signature_b64, "signature")
    return CompactJWS(header, claims, f"{header_b64}.{payload_b64}".encode("ascii"), signature)


_COMPACT = json.JSONEncoder(separators=(",", ":"))


def b64json(obj: dict[str, Any]) -> str:
    return b64url(_COMPACT.encode(obj).encode("utf-8"))


def sign_jws(claims: dict[str, Any], key: SigningKey, headers: dict[str, str]) -> str:
    """A compact JWS signed with ``key`` in its own algorithm (RFC 7515/7518: an ES256
    signature is raw ``r || s``, 32 bytes each, here with ``s`` normalised to the low half)."""
    signing_input = f"{b64json({'alg': key.alg, **headers})}.{b64json(claims)}"
    private = key.private
    if isinstance(private, ec.EllipticCurvePrivateKey):
        r, s = decode_dss_signature(private.sign(signing_input.encode("ascii"), ec.ECDSA(hashes.SHA256())))
        if s > _HALF_ORDER:
            s = P256_ORDER - s
        signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    else:
        signature = private.sign(signing_input.encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{b64url(signature)}"


# -- keys from JWKs ----------------------------------------------------------------------------------


def _jwk_int(jwk: dict[str, Any], name: str) -> int:
    value = jwk.get(name)
    if not isinstance(value, str):
        raise ValueError(f"JWK member {name} missing")
    try:
        raw = _b64decode(value, f"JWK {name}")
    except VerificationError as exc:
        raise ValueError(str(exc)) from None
    if not raw or raw[0] == 0:
        raise ValueError(f"JWK member {name} is not a minimal big-endian integer")
    return int.from_bytes(raw, "big")


def public_key_from_jwk(jwk: object) -> tuple[PublicKey, KeyKind]:
    """Load a public JWK: EC P-256 or RSA of at least 2048 bits; anything else is ValueError."""
    if not isinstance(jwk, dict):
        raise ValueError("a JWK is a JSON object")
    if "d" in jwk or "p" in jwk:
        raise ValueError("a public JWK must not carry private members")
    if jwk.get("kty") == "EC" and jwk.get("crv") == "P-256":
        x, y = (jwk.get(c) for c in ("x", "y"))
        if not (isinstance(x, str) and isinstance(y, str)):
            raise ValueError("EC JWK needs x and y")
        try:
            raw = _b64decode(x, "JWK x") + _b64decode(y, "JWK y")
        except VerificationError as exc:
            raise ValueError(str(exc)) from None
        if len(raw) != 64:
            raise ValueError("P-256 coordinates are 32 bytes each")
        return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b"\x04" + raw), KeyKind.EC
    if jwk.get("kty") == "RSA":
        n, e = _jwk_int(jwk, "n"), _jwk_int(jwk, "e")
        if n.bit_length() < RSA_BITS or e < 3 or e % 2 == 0:
            raise ValueError(f"RSA keys need at least {RSA_BITS} bits and an odd exponent")
        return rsa.RSAPublicNumbers(e, n).public_key(), KeyKind.RSA
    raise ValueError("only EC P-256 and RSA keys are accepted")


# -- times ---------------------------------------------------------------------------------------------


def _time(claims: dict[str, Any], name: str) -> float | None:
    value = claims.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise VerificationError("malformed", f"{name} is not a number of seconds")
    if not 0 <= value < MAX_TIME:
        raise VerificationError("malformed", f"{name} is out of range")
    return float(value)


def check_times(
    claims: dict[str, Any], now: float, *, required: tuple[str, ...] = ("exp", "iat"), leeway: float = LEEWAY_S
) -> str | None:
    """Why ``exp``, ``nbf`` and ``iat`` make the token unusable at ``now`` (each checked on its
    own, with ``leeway`` of clock skew), or None. Bad values raise VerificationError."""
    exp, nbf, iat = (_time(claims, name) for name in ("exp", "nbf", "iat"))
    missing = [name for name, value in (("exp", exp), ("nbf", nbf), ("iat", iat)) if value is None and name in required]
    if missing:
        return f"{', '.join(missing)} missing"
    if exp is not None and now > exp + leeway:
        return "expired"
    if nbf is not None and now + leeway < nbf:
        return "not yet valid (nbf)"
    if iat is not None and now + leeway < iat:
        return "issued in the future (iat)"
    return None


def attested_hint(configured: str) -> str:
    """What Okta Verify puts in ``deviceAttestation.managementHint`` for a configured value.

    Whether the app sends the hint raw or derived is not public (DOMAIN.md §4); the model sends
    it raw. Both ends call this one function, so a derived scheme is a change in one place.
    """
    return configured
