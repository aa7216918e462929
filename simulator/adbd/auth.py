"""ADB authentication, the device side: tokens, signatures and the public-key prompt.

adbd (AOSP ``daemon/auth.cpp``) answers a host's CNXN with ``AUTH TOKEN`` (20 random bytes).
The host signs the token with each of its keys (``AUTH SIGNATURE``): RSA PKCS#1 v1.5 with the
token taken as a SHA-1 digest (``RSA_sign(NID_sha1, token, 20, ...)``, so the signature carries
the SHA-1 DigestInfo); adbd checks it against the keys it trusts (``/data/misc/adb/adb_keys``),
and sends a new token after each failure. When the host runs out of keys it sends
``AUTH RSAPUBLICKEY``: its public key in ``android_pubkey`` form, base64, then `` user@host``
and a NUL. adbd then shows the "Allow USB debugging?" prompt; the user's answer decides.

``android_pubkey`` (``libcrypto_utils/android_pubkey.c``): ``uint32 modulus_size_words``
(64 for RSA-2048), ``uint32 n0inv``, the modulus little-endian, ``rr`` (R^2 mod N)
little-endian, ``uint32 exponent`` — all little-endian, 524 bytes for RSA-2048.
"""

from __future__ import annotations

import base64
import binascii
import secrets
import struct
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

from simulator.errors import AdbProtocolError

TOKEN_SIZE = 20
_WORDS = 64  # ANDROID_PUBKEY_MODULUS_SIZE_WORDS: RSA-2048
_MODULUS_BYTES = _WORDS * 4
_KEY_STRUCT_SIZE = 4 + 4 + 2 * _MODULUS_BYTES + 4


def decode_public_key(payload: bytes) -> rsa.RSAPublicKey:
    """The RSA key of an ``AUTH RSAPUBLICKEY`` payload (or an ``adbkey.pub`` line)."""
    text = payload.split(b"\0", 1)[0].strip()
    encoded = text.split(b" ", 1)[0]
    try:
        raw = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise AdbProtocolError("AUTH RSAPUBLICKEY: the key is not base64") from None
    if len(raw) != _KEY_STRUCT_SIZE:
        raise AdbProtocolError(f"AUTH RSAPUBLICKEY: {len(raw)} bytes, expected {_KEY_STRUCT_SIZE} (RSA-2048)")
    words, _n0inv = struct.unpack_from("<II", raw)
    if words != _WORDS:
        raise AdbProtocolError(f"AUTH RSAPUBLICKEY: modulus of {words} words, expected {_WORDS}")
    modulus = int.from_bytes(raw[8 : 8 + _MODULUS_BYTES], "little")
    (exponent,) = struct.unpack_from("<I", raw, 8 + 2 * _MODULUS_BYTES)
    try:
        return rsa.RSAPublicNumbers(exponent, modulus).public_key()
    except ValueError:
        raise AdbProtocolError("AUTH RSAPUBLICKEY: not a valid RSA key") from None


def encode_public_key(key: rsa.RSAPublicKey, comment: str = "attestlab@localhost") -> bytes:
    """``android_pubkey_encode`` + base64 + comment, as ``adbkey.pub`` holds it (NUL excluded)."""
    numbers = key.public_numbers()
    n = numbers.n
    r = 1 << (_MODULUS_BYTES * 8)
    n0inv = (-pow(n, -1, 1 << 32)) % (1 << 32)
    rr = (r * r) % n
    raw = (
        struct.pack("<II", _WORDS, n0inv)
        + n.to_bytes(_MODULUS_BYTES, "little")
        + rr.to_bytes(_MODULUS_BYTES, "little")
        + struct.pack("<I", numbers.e)
    )
    return base64.b64encode(raw) + b" " + comment.encode()


def verify_token(key: rsa.RSAPublicKey, token: bytes, signature: bytes) -> bool:
    """Whether ``signature`` is ``key``'s PKCS#1 v1.5 signature of ``token`` as a SHA-1 digest."""
    try:
        key.verify(signature, token, padding.PKCS1v15(), Prehashed(hashes.SHA1()))
    except (InvalidSignature, ValueError):
        return False
    return True


@dataclass(slots=True)
class AuthPolicy:
    """What the virtual phone does at AUTH, shared by all its connections.

    ``required`` False is an adbd with ``ro.adb.secure=0`` (emulator images): CNXN is answered
    at once. ``trusted`` are the keys in ``adb_keys``. ``accept_new_keys`` is the user's answer
    to the "Allow USB debugging?" prompt: True taps Allow (the key is trusted from then on, as
    "Always allow from this computer"), False leaves the prompt unanswered, so the host stays
    ``unauthorized``.
    """

    required: bool = True
    accept_new_keys: bool = True
    trusted: list[rsa.RSAPublicKey] = field(default_factory=list)

    def new_token(self) -> bytes:
        return secrets.token_bytes(TOKEN_SIZE)

    def check_signature(self, token: bytes, signature: bytes) -> bool:
        return any(verify_token(key, token, signature) for key in list(self.trusted))

    def offer_key(self, payload: bytes) -> bool:
        """The prompt for an ``AUTH RSAPUBLICKEY``: True when the user allows the key."""
        key = decode_public_key(payload)
        if not self.accept_new_keys:
            return False
        if all(k.public_numbers() != key.public_numbers() for k in self.trusted):
            self.trusted.append(key)
        return True
