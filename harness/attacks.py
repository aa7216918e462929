"""Attacks on the verifier, played from a compromised browser or app (the ``security/`` catalog).

Each builds a challenge response (or an enrollment) the way an attacker could and submits it; a
correct verifier answers every forged response with ``challenge_invalid`` and refuses every
forged enrollment, so that the genuine phone's own sign-in stays managed. The forged tokens are
assembled by hand (base64url, HMAC, ``cryptography``) because JOSE libraries, rightly, refuse to
produce most of them. The set follows the classic JWS verifier attacks: ``alg: none``, HS256
keyed with the public key's PEM, an algorithm of the other key family (an RS256 header on an EC
enrollment and the reverse), keys injected through ``jwk``/``jku``/``x5u``, a ``kid`` that names a
file, a ``crit`` extension the verifier does not know, and an enrollment that names a victim's
``kid``.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
from collections.abc import Callable
from typing import Any

from cryptography.hazmat.primitives import serialization

from simulator.chain import Chain
from simulator.errors import EnrollmentRefused
from simulator.keys import KeyKind, KeyPool, SigningKey, b64url
from simulator.okta_verify.agent import Enrollment, OktaVerify
from simulator.protocol import (
    CHALLENGE_LIFETIME_S,
    LEEWAY_S,
    METHOD_SIGNED_NONCE,
    RESPONSE_TYP,
    b64json,
    parse_jws,
    sign_jws,
)
from simulator.verdict import Decision, Reason
from simulator.verifier.org import Org

#: The attacker's keys: a pool of its own, so never a key of any world (those come from
#: :data:`simulator.keys.POOL`, cached in another entry), one key per type. A fresh RSA-2048 key
#: per attack cost ~50 ms, about half the CPU of a run of the bundled catalog, and one per worker
#: process most of what starting two workers cost; every attack happens in a world of its own,
#: so reusing the attacker's key hides nothing.
_ATTACKER = KeyPool(cache_entry="attacker-rsa-2048-keys.v1.json")


def _attacker_key(kind: KeyKind) -> SigningKey:
    """The attacker's key of ``kind``."""
    return _ATTACKER.key(kind, 0)


def _submit(org: Org, tx: str, token: str) -> Decision:
    org.submit(tx, {"method": METHOD_SIGNED_NONCE, "challengeResponse": token})
    return org.result(tx) or org.abandon(tx, Reason.CHALLENGE_INVALID)


def _unsigned(header: dict[str, Any], claims: dict[str, Any]) -> str:
    return f"{b64json(header)}.{b64json(claims)}"


def _hmac(header: dict[str, Any], claims: dict[str, Any], secret: bytes) -> str:
    signing_input = _unsigned(header, claims)
    return f"{signing_input}.{b64url(hmac.new(secret, signing_input.encode(), hashlib.sha256).digest())}"


def _pem(enrollment: Enrollment) -> bytes:
    return enrollment.key.private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _own_key(enrollment: Enrollment, other_family: bool = False) -> SigningKey:
    kind = enrollment.key.kind
    if other_family:
        kind = KeyKind.RSA if kind is KeyKind.EC else KeyKind.EC
    return _attacker_key(kind)


Forger = Callable[[dict[str, Any], Enrollment], str]


def _tampered(claims: dict[str, Any], enrollment: Enrollment) -> str:
    genuine = sign_jws(claims, enrollment.key, {"kid": enrollment.key.kid, "typ": RESPONSE_TYP})
    header, _, signature = genuine.split(".")
    forged = {**claims, "deviceSignals": {**claims["deviceSignals"]}}
    forged["deviceSignals"]["deviceAttestation"] = {
        **forged["deviceSignals"]["deviceAttestation"],
        "managementHint": "forged-by-attacker",
    }
    return f"{header}.{b64json(forged)}.{signature}"


def _wrong_key(claims: dict[str, Any], enrollment: Enrollment) -> str:
    return sign_jws(claims, _own_key(enrollment), {"kid": enrollment.key.kid, "typ": RESPONSE_TYP})


def _alg_none(claims: dict[str, Any], enrollment: Enrollment) -> str:
    return _unsigned({"alg": "none", "kid": enrollment.key.kid, "typ": RESPONSE_TYP}, claims) + "."


def _hs256_public_key(claims: dict[str, Any], enrollment: Enrollment) -> str:
    return _hmac({"alg": "HS256", "kid": enrollment.key.kid, "typ": RESPONSE_TYP}, claims, _pem(enrollment))


def _alg_mismatch(claims: dict[str, Any], enrollment: Enrollment) -> str:
    """RS256 on an EC enrollment, ES256 on an RSA one, validly signed by a key of that family."""
    return sign_jws(claims, _own_key(enrollment, other_family=True), {"kid": enrollment.key.kid, "typ": RESPONSE_TYP})


def _key_header(member: str) -> Forger:
    def forge(claims: dict[str, Any], enrollment: Enrollment) -> str:
        key = _own_key(enrollment)
        value: Any = key.jwk if member == "jwk" else f"https://attacker.example/{member}/{key.kid}"
        return sign_jws(claims, key, {"kid": enrollment.key.kid, "typ": RESPONSE_TYP, member: value})

    return forge


def _kid_injection(claims: dict[str, Any], enrollment: Enrollment) -> str:
    """A ``kid`` a naive verifier resolves as a file (/dev/null: an empty HMAC key)."""
    return _hmac({"alg": "HS256", "kid": "../../../../../../dev/null", "typ": RESPONSE_TYP}, claims, b"")


def _crit(claims: dict[str, Any], enrollment: Enrollment) -> str:
    """Genuinely signed, but marks an extension the verifier must understand and does not."""
    extension = "urn:attestlab:must-understand"
    headers: dict[str, Any] = {"kid": enrollment.key.kid, "typ": RESPONSE_TYP, "crit": [extension], extension: True}
    return sign_jws(claims, enrollment.key, headers)


_FORGERS: dict[str, Forger] = {
    "tampered_signals": _tampered,
    "wrong_key": _wrong_key,
    "alg_none": _alg_none,
    "hs256_public_key": _hs256_public_key,
    "alg_mismatch": _alg_mismatch,
    "jwk_header": _key_header("jwk"),
    "jku_header": _key_header("jku"),
    "x5u_header": _key_header("x5u"),
    "kid_injection": _kid_injection,
    "crit": _crit,
}


def _kid_takeover(chain: Chain, victim: OktaVerify) -> None:
    """Enroll an attacker's key under the victim's ``kid``, then the victim's own public key
    (which the attacker can read): both must be refused, or the victim's mapping is taken over."""
    own = victim.enrollments[chain.org.org_url].key
    attacker = _attacker_key(own.kind)
    signals = victim.signals()
    for jwk in ({**attacker.jwk, "kid": own.kid}, {**own.jwk, "kid": own.kid}):
        # A correct org refuses both; an accepted one shows in the victim's next sign-in.
        with contextlib.suppress(EnrollmentRefused):
            chain.org.enroll({"key": jwk, "kid": own.kid, "user": "attacker@example.com", "device": signals})


def attack_sign_in(chain: Chain, attack: str, advance_clock: Callable[[float], None]) -> Decision:
    """One sign-in in which the answer is forged, replayed or late (or one after a forged
    enrollment, for ``kid_takeover``)."""
    org = chain.org
    agent = chain.answering()
    enrolled = agent is not None and org.org_url in agent.enrollments
    if attack == "kid_takeover" and agent is not None and enrolled:
        _kid_takeover(chain, agent)
        return chain.sign_in()
    attempt = org.start_sign_in(chain.device.platform)
    if attempt.decision is not None:
        return attempt.decision
    assert attempt.transaction_id is not None and attempt.challenge is not None
    if agent is None or not enrolled:
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
        token = forge(parse_jws(token).claims, enrollment)
    return _submit(org, attempt.transaction_id, token)
