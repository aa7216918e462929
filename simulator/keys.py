"""Signing keys of the simulated world: the org's challenge key and Okta Verify's device-bound keys.

The key's type sets the JWS algorithm (DOMAIN.md §4): ES256 for a P-256 key (the iOS Secure
Enclave key, okta-devices-swift), RS256 for a 2048-bit RSA key (the public Android SDK's
default ``RsaSignature``, okta-devices-kotlin; the org's key in okta-signin-widget's mocks).

Generating a 2048-bit RSA key costs 50-150 ms, so a matrix that enrolled every simulated Android
phone with a fresh one would crawl. Keys therefore come from a :class:`KeySource`. The default,
:class:`PooledKeys`, hands out keys of a per-process :class:`KeyPool`, **distinct within one
world** (one org with its devices: the org's key, every device key) and reused across worlds,
which never meet: a case builds its own org, and a verifier only ever checks keys enrolled with
itself. Two orgs that must not trust each other's keys in one test share one source
(``Org(keys=other.keys)``). :class:`FreshKeys` generates every key (from ``rng`` for P-256 keys,
so seeded runs repeat them).

The process's pool starts from the RSA keys of the user's cache (:mod:`simulator.usercache`)
and stores there the ones it had to generate: a one-scenario run then generates none, where it
generated two (~0.1 s of its start-up). Pooled keys never came from ``--seed`` (OpenSSL
generates them) and no report shows one, so the cache changes nothing a seed reproduces.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import random
import threading
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from simulator import usercache

P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
RSA_BITS = 2048


class KeyKind(StrEnum):
    """A key type and, through it, the algorithm its signatures use."""

    EC = "EC"
    RSA = "RSA"

    @property
    def alg(self) -> str:
        return "ES256" if self is KeyKind.EC else "RS256"

    @classmethod
    def for_alg(cls, alg: str) -> KeyKind:
        for kind in cls:
            if kind.alg == alg:
                return kind
        raise ValueError(f"no key type signs {alg!r}")


_TO_URLSAFE = bytes.maketrans(b"+/", b"-_")


def b64url(data: bytes) -> str:
    """Unpadded base64url (RFC 7515 §2); binascii directly: this runs ~20 times a sign-in."""
    return binascii.b2a_base64(data, newline=False).translate(_TO_URLSAFE).rstrip(b"=").decode("ascii")


def _uint(value: int) -> str:
    """A JWK integer (RFC 7518 §6.3.1): big-endian, no leading zero bytes."""
    return b64url(value.to_bytes((value.bit_length() + 7) // 8 or 1, "big"))


PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
PublicKey = ec.EllipticCurvePublicKey | rsa.RSAPublicKey


def public_jwk(key: PublicKey) -> dict[str, str]:
    """The public JWK members of ``key`` (no ``kid``, ``alg`` or ``use``)."""
    if isinstance(key, ec.EllipticCurvePublicKey):
        point = key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
        return {"kty": "EC", "crv": "P-256", "x": b64url(point[1:33]), "y": b64url(point[33:])}
    numbers = key.public_numbers()
    return {"kty": "RSA", "n": _uint(numbers.n), "e": _uint(numbers.e)}


def jwk_thumbprint(jwk: dict[str, str]) -> str:
    """RFC 7638 thumbprint, the key id (``kid``): SHA-256 of the required members in
    lexicographic order, no white space (base64url values need no JSON escaping)."""
    if jwk.get("kty") == "RSA":
        canonical = f'{{"e":"{jwk["e"]}","kty":"RSA","n":"{jwk["n"]}"}}'
    else:
        canonical = f'{{"crv":"{jwk["crv"]}","kty":"EC","x":"{jwk["x"]}","y":"{jwk["y"]}"}}'
    return b64url(hashlib.sha256(canonical.encode("ascii")).digest())


@dataclass(frozen=True, slots=True)
class SigningKey:
    """A private key with its public JWK and ``kid`` (= the JWK thumbprint)."""

    private: PrivateKey = field(repr=False)
    kind: KeyKind
    kid: str
    jwk: dict[str, str] = field(repr=False)

    @classmethod
    def of(cls, private: PrivateKey) -> SigningKey:
        jwk = public_jwk(private.public_key())
        kind = KeyKind.EC if isinstance(private, ec.EllipticCurvePrivateKey) else KeyKind.RSA
        return cls(private, kind, jwk_thumbprint(jwk), jwk)

    @property
    def alg(self) -> str:
        return self.kind.alg

    def __repr__(self) -> str:
        return f"SigningKey({self.alg}, kid={self.kid!r})"


def generate(kind: KeyKind, rng: random.Random | None = None) -> SigningKey:
    """A new key: P-256 drawn from ``rng`` when it is a seeded generator, else from OpenSSL."""
    if kind is KeyKind.RSA:
        return SigningKey.of(rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS))
    if rng is None or isinstance(rng, random.SystemRandom):
        return SigningKey.of(ec.generate_private_key(ec.SECP256R1()))
    return SigningKey.of(ec.derive_private_key(rng.randrange(1, P256_ORDER), ec.SECP256R1()))


class KeySource(Protocol):
    """Where the keys of one world come from."""

    def new_key(self, kind: KeyKind) -> SigningKey: ...


class FreshKeys:
    """Every key generated anew (what a real device does; slow for RSA)."""

    def __init__(self, rng: random.Random | None = None) -> None:
        self.rng = rng

    def new_key(self, kind: KeyKind) -> SigningKey:
        return generate(kind, self.rng)


#: The user-cache entry of the process pool's RSA keys, and how many keys an entry keeps at most.
RSA_CACHE_ENTRY = "rsa-2048-keys.v1.json"
RSA_CACHE_MAX = 32


def _cached_rsa_keys(entry: str) -> list[SigningKey]:
    """The RSA keys of a user-cache entry (none when it is absent or unusable)."""
    payload = usercache.read(entry)
    try:
        ders = [base64.b64decode(der, validate=True) for der in json.loads(payload or b"[]")]
        # Without OpenSSL's key check (~0.1 s a key here): the entry's digest vouches for the bytes.
        keys = [serialization.load_der_private_key(d, None, unsafe_skip_rsa_key_validation=True) for d in ders]
    except (ValueError, TypeError):  # a damaged or foreign entry: start again
        return []
    return [SigningKey.of(key) for key in keys if isinstance(key, rsa.RSAPrivateKey)]


def _store_rsa_keys(entry: str, keys: list[SigningKey]) -> None:
    kept = [
        base64.b64encode(
            k.private.private_bytes(
                serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        ).decode("ascii")
        for k in keys[:RSA_CACHE_MAX]
    ]
    usercache.write(entry, json.dumps(kept).encode("ascii"))


class KeyPool:
    """Keys generated once per process and handed to many worlds, never twice to one.

    With ``cache_entry``, the RSA keys start from that entry of the user's cache, and keys
    generated beyond it are stored there (up to :data:`RSA_CACHE_MAX`). Pools that must never
    share a key use different entries (or none).
    """

    def __init__(self, *, cache_entry: str | None = None) -> None:
        self._keys: dict[KeyKind, list[SigningKey]] = {kind: [] for kind in KeyKind}
        self._lock = threading.Lock()
        self._entry = cache_entry

    def key(self, kind: KeyKind, index: int) -> SigningKey:
        """The ``index``-th key of ``kind``, generating keys up to it when needed."""
        keys = self._keys[kind]
        if index < len(keys):
            return keys[index]
        with self._lock:
            entry = self._entry if kind is KeyKind.RSA else None
            if entry is not None and not keys:
                keys.extend(_cached_rsa_keys(entry))
            known = len(keys)
            while len(keys) <= index:
                keys.append(generate(kind))
            if entry is not None and known < len(keys) and known < RSA_CACHE_MAX:
                _store_rsa_keys(entry, keys)
        return keys[index]

    def __len__(self) -> int:
        return sum(len(keys) for keys in self._keys.values())


#: The process's pool (worker processes each grow their own), backed by the user's cache.
POOL = KeyPool(cache_entry=RSA_CACHE_ENTRY)


class PooledKeys:
    """One world's view of a :class:`KeyPool`: each call gets a key no earlier call of this
    source got, so within the world no two holders share a key."""

    def __init__(self, pool: KeyPool = POOL) -> None:
        self.pool = pool
        self._next = dict.fromkeys(KeyKind, 0)

    def new_key(self, kind: KeyKind) -> SigningKey:
        index = self._next[kind]
        self._next[kind] = index + 1
        return self.pool.key(kind, index)
