"""The compact JWS reader/writer against PyJWT, the reference implementation."""

from __future__ import annotations

import random

import jwt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.errors import VerificationError
from simulator.protocol import SigningKey, parse_jws, sign_es256

KEY = SigningKey.generate(random.Random(7))
OTHER = SigningKey.generate(random.Random(8))

claims_strategy = st.dictionaries(
    st.text(min_size=1, max_size=12).map(lambda k: "x-" + k),  # not a registered claim PyJWT checks
    st.one_of(
        st.text(max_size=40), st.integers(-(2**40), 2**40), st.booleans(), st.lists(st.text(max_size=8), max_size=3)
    ),
    max_size=6,
)


@settings(max_examples=40, deadline=None)
@given(claims=claims_strategy)
def test_our_tokens_verify_with_pyjwt_and_theirs_with_ours(claims: dict[str, object]) -> None:
    ours = sign_es256(claims, KEY.private, {"kid": KEY.kid, "typ": "JWT"})
    decoded = jwt.decode(
        ours, KEY.private.public_key(), algorithms=["ES256"], options={"verify_aud": False, "verify_exp": False}
    )
    assert decoded == claims
    assert jwt.get_unverified_header(ours) == {"alg": "ES256", "kid": KEY.kid, "typ": "JWT"}
    theirs = jwt.encode(claims, KEY.private, algorithm="ES256", headers={"kid": KEY.kid})
    parsed = parse_jws(theirs)
    assert parsed.claims == claims and parsed.header["kid"] == KEY.kid
    assert parsed.verify_es256(KEY.private.public_key())
    assert not parsed.verify_es256(OTHER.private.public_key())


@pytest.mark.parametrize(
    "token",
    ["", "a.b", "a.b.c.d", "!!!!.e30.", "e30.!!!!.", "e30.e30.!!", "W10.e30.", "e30.W10.", "eyJ.e30.", "x" * 70000],
)
def test_malformed_tokens_are_refused(token: str) -> None:
    with pytest.raises(VerificationError) as info:
        parse_jws(token)
    assert info.value.reason == "malformed"


def test_a_signature_of_the_wrong_length_does_not_verify() -> None:
    token = sign_es256({"a": 1}, KEY.private, {"kid": KEY.kid})
    head, body, _ = token.split(".")
    assert not parse_jws(f"{head}.{body}.AAAA").verify_es256(KEY.private.public_key())
