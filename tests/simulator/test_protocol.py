"""The compact JWS reader/writer: against PyJWT (the reference implementation) and the RFCs."""

from __future__ import annotations

import base64
import json
import random

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.errors import VerificationError
from simulator.keys import POOL, FreshKeys, KeyKind, SigningKey, b64url, jwk_thumbprint
from simulator.protocol import (
    RESPONSE_TYP,
    b64json,
    check_times,
    parse_jws,
    public_key_from_jwk,
    sign_jws,
)

EC_KEY = FreshKeys(random.Random(7)).new_key(KeyKind.EC)
EC_OTHER = FreshKeys(random.Random(8)).new_key(KeyKind.EC)
RSA_KEY = POOL.key(KeyKind.RSA, 0)
RSA_OTHER = POOL.key(KeyKind.RSA, 1)
P256_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551

claims_strategy = st.dictionaries(
    st.text(min_size=1, max_size=12).map(lambda k: "x-" + k),  # not a registered claim PyJWT checks
    st.one_of(
        st.text(max_size=40), st.integers(-(2**40), 2**40), st.booleans(), st.lists(st.text(max_size=8), max_size=3)
    ),
    max_size=6,
)


@pytest.mark.parametrize(("key", "other"), [(EC_KEY, EC_OTHER), (RSA_KEY, RSA_OTHER)], ids=["ES256", "RS256"])
@settings(max_examples=15, deadline=None)
@given(claims=claims_strategy)
def test_our_tokens_verify_with_pyjwt_and_theirs_with_ours(
    key: SigningKey, other: SigningKey, claims: dict[str, object]
) -> None:
    ours = sign_jws(claims, key, {"kid": key.kid, "typ": "JWT"})
    public = key.private.public_key()
    decoded = jwt.decode(ours, public, algorithms=[key.alg], options={"verify_aud": False, "verify_exp": False})
    assert decoded == claims
    assert jwt.get_unverified_header(ours) == {"alg": key.alg, "kid": key.kid, "typ": "JWT"}
    theirs = jwt.encode(claims, key.private, algorithm=key.alg, headers={"kid": key.kid})
    parsed = parse_jws(theirs)
    assert parsed.claims == claims and parsed.header["kid"] == key.kid
    if key.kind is KeyKind.EC and int.from_bytes(parsed.signature[32:], "big") > P256_N // 2:
        assert not parsed.verify(public)  # PyJWT does not normalise s; we accept low-S only
    else:
        assert parsed.verify(public)
    assert not parsed.verify(other.private.public_key())


def test_the_algorithm_is_the_keys_not_the_headers() -> None:
    """An ES256 token does not verify with an RSA key nor the reverse, whatever the header says."""
    es = parse_jws(sign_jws({"a": 1}, EC_KEY, {"kid": "k"}))
    rs = parse_jws(sign_jws({"a": 1}, RSA_KEY, {"kid": "k"}))
    assert es.verify(EC_KEY.private.public_key()) and rs.verify(RSA_KEY.private.public_key())
    assert not es.verify(RSA_KEY.private.public_key())
    assert not rs.verify(EC_KEY.private.public_key())
    relabelled = parse_jws(f"{b64json({'alg': 'RS256', 'kid': 'k'})}.{b64json({'a': 1})}.{b64url(es.signature)}")
    assert not relabelled.verify(EC_KEY.private.public_key())


def test_only_low_s_ecdsa_signatures_verify() -> None:
    token = sign_jws({"a": 1}, EC_KEY, {"kid": "k"})
    head, body, sig = token.split(".")
    raw = base64.urlsafe_b64decode(sig + "==")
    r, s = raw[:32], int.from_bytes(raw[32:], "big")
    assert s <= P256_N // 2  # our signer normalises
    high = f"{head}.{body}.{b64url(r + (P256_N - s).to_bytes(32, 'big'))}"  # the same signature, malleated
    assert parse_jws(token).verify(EC_KEY.private.public_key())
    assert not parse_jws(high).verify(EC_KEY.private.public_key())


@pytest.mark.parametrize(
    "token",
    [
        "",
        "a.b",
        "a.b.c.d",
        "!!!!.e30.",
        "e30.!!!!.",
        "e30.e30.!!",
        "W10.e30.",
        "e30.W10.",
        "eyJ.e30.",
        "x" * 70000,
        "e30=.e30.",  # padding is not base64url
        "e30.e30.é",
        "e3+0.e30.",
        "e3/0.e30.",
        "e 30.e30.",
        "e31.e30.",  # non-canonical: stray bits in the last character ("{}" is e30)
        "e30.e31.",
        b64url(b'{"a":NaN}') + ".e30.",
        "e30." + b64url(b'{"exp":Infinity}') + ".",
        b64url(b'{"a":1,"a":2}') + ".e30.",  # duplicate header member
        b64url(b"[" * 100_000 + b"]" * 100_000) + ".e30.",  # deep nesting: no RecursionError
        "e30." + b64url(b'{"a":"\xff"}') + ".",
    ],
)
def test_malformed_tokens_are_refused(token: str) -> None:
    with pytest.raises(VerificationError) as info:
        parse_jws(token)
    assert info.value.reason == "malformed"


def test_a_signature_of_the_wrong_length_does_not_verify() -> None:
    for key in (EC_KEY, RSA_KEY):
        head, body, _ = sign_jws({"a": 1}, key, {"kid": key.kid}).split(".")
        assert not parse_jws(f"{head}.{body}.AAAA").verify(key.private.public_key())


@pytest.mark.parametrize(
    ("extra", "reason"),
    [
        ({"typ": "JWT"}, "malformed"),
        ({"crit": ["exp"]}, "header"),
        ({"crit": []}, "header"),
        ({"b64": False, "crit": ["b64"]}, "header"),
        ({"b64": False}, "header"),
        ({"jwk": {"kty": "EC"}}, "header"),
        ({"jku": "https://evil.example/jwks"}, "header"),
        ({"x5u": "https://evil.example/cert"}, "header"),
        ({"x5c": ["MIIB"]}, "header"),
        ({"kid": 7}, "unknown_key"),
    ],
)
def test_headers_a_strict_verifier_refuses(extra: dict[str, object], reason: str) -> None:
    token = sign_jws({"a": 1}, EC_KEY, {"kid": EC_KEY.kid, "typ": RESPONSE_TYP, **extra})  # type: ignore[dict-item]
    with pytest.raises(VerificationError) as info:
        parse_jws(token).check_header(RESPONSE_TYP)
    assert info.value.reason == reason


NOW = 1_800_000_000


@pytest.mark.parametrize(
    ("claims", "problem"),
    [
        ({"exp": NOW + 10, "iat": NOW, "nbf": NOW - 300}, None),
        ({"exp": NOW - 61, "iat": NOW - 400}, "expired"),
        ({"exp": NOW - 59, "iat": NOW - 400}, None),  # within the leeway
        ({"exp": NOW + 10**9, "iat": NOW, "nbf": NOW + 10**6}, "not yet valid (nbf)"),  # nbf alone counts
        ({"exp": NOW + 300, "iat": NOW + 120}, "issued in the future (iat)"),
        ({"exp": NOW + 300, "iat": NOW - 1, "nbf": NOW + 61}, "not yet valid (nbf)"),
        ({"iat": NOW}, "exp missing"),
        ({"exp": NOW + 1}, "iat missing"),
    ],
)
def test_times_are_checked_each_on_its_own(claims: dict[str, object], problem: str | None) -> None:
    assert check_times(claims, NOW) == problem


@pytest.mark.parametrize(
    "value", [10**19, -1, 2**53, float("nan"), float("inf"), float("-inf"), "123", True, None, [1], 1e308]
)
def test_bad_times_are_refused_without_raising_anything_else(value: object) -> None:
    claims = {"exp": value, "iat": NOW} if value is not None else {"exp": NOW + 1, "iat": NOW, "nbf": {}}
    with pytest.raises(VerificationError) as info:
        check_times(claims, NOW)
    assert info.value.reason == "malformed"


def test_jwk_thumbprint_rfc7638_example() -> None:
    """RFC 7638 §3.1: the RSA example key's thumbprint."""
    n = (
        "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMs"
        "tn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpb"
        "ISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"
    )
    assert jwk_thumbprint({"kty": "RSA", "n": n, "e": "AQAB"}) == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"


def test_jwks_round_trip_and_strict_loading() -> None:
    for key in (EC_KEY, RSA_KEY):
        public, kind = public_key_from_jwk(key.jwk)
        assert kind is key.kind
        assert public.public_numbers() == key.private.public_key().public_numbers()  # type: ignore[comparison-overlap]
    bad = [
        {"kty": "EC", "crv": "P-384", "x": EC_KEY.jwk["x"], "y": EC_KEY.jwk["y"]},
        {**EC_KEY.jwk, "x": EC_KEY.jwk["x"] + "="},
        {**EC_KEY.jwk, "x": EC_KEY.jwk["x"][:-2]},
        {**RSA_KEY.jwk, "e": "AAEAAQ"},  # leading zero byte
        {**RSA_KEY.jwk, "n": b64url((2**1023 + 1).to_bytes(128, "big"))},  # 1024 bits
        {**RSA_KEY.jwk, "d": "AQAB"},  # a private key is not a public JWK
        {"kty": "oct", "k": "c2VjcmV0"},
        "not a jwk",
    ]
    for jwk in bad:
        with pytest.raises(ValueError):
            public_key_from_jwk(jwk)


def test_a_point_off_the_curve_is_refused() -> None:
    jwk = {
        **EC_KEY.jwk,
        "y": b64url(
            ((int.from_bytes(base64.urlsafe_b64decode(EC_KEY.jwk["y"] + "="), "big") + 1) % 2**256).to_bytes(32, "big")
        ),
    }
    with pytest.raises(ValueError):
        public_key_from_jwk(jwk)


def test_signature_is_over_the_exact_bytes() -> None:
    """Re-encoding the payload (same JSON, other spacing) breaks the signature."""
    token = sign_jws({"a": 1}, EC_KEY, {"kid": "k"})
    head, _, sig = token.split(".")
    respaced = b64url(json.dumps({"a": 1}).encode())
    assert not parse_jws(f"{head}.{respaced}.{sig}").verify(EC_KEY.private.public_key())
    assert isinstance(EC_KEY.private, ec.EllipticCurvePrivateKey)
