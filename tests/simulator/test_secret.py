"""Secrets: how they are shown, compared, stored and validated."""

from __future__ import annotations

import logging
import pickle
import random
import string

import pytest

from simulator.appconfig import AppConfig
from simulator.errors import SecretPolicyError
from simulator.secret import Secret, constant_time_equal, redact, redact_secrets, sha256_hex
from simulator.verifier.configs import (
    SECRET_ALPHABET,
    SECRET_LENGTH,
    check_existing_key,
    generate_secret,
)

OKTA_EXAMPLE = "3zr7Q~vw4C16FS2bH8UfS1gJ5cL6sj~x_U9PQ"


@pytest.mark.parametrize(
    ("value", "shown"),
    [(OKTA_EXAMPLE, "3z…(37)"), ("12345678", "12…(8)"), ("1234567", "…(7)"), ("", "…(0)")],
)
def test_redact(value: str, shown: str) -> None:
    assert redact(value) == shown


def test_secret_never_shows_its_value() -> None:
    secret = Secret(OKTA_EXAMPLE)

    shown = [repr(secret), str(secret), f"{secret}", f"{secret!r}", f"{secret:>60}", format(secret, "")]

    assert all(OKTA_EXAMPLE not in text for text in shown)
    assert repr(secret) == "Secret(3z…(37))"
    assert secret.reveal() == OKTA_EXAMPLE
    assert len(secret) == 37


def test_secret_in_a_log_record(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="simulator"):
        logging.getLogger("simulator.test").debug("key is %s / %r", Secret(OKTA_EXAMPLE), Secret(OKTA_EXAMPLE))

    assert OKTA_EXAMPLE not in caplog.text
    assert "3z…(37)" in caplog.text


def test_secret_equality_and_hashing() -> None:
    assert Secret(OKTA_EXAMPLE) == Secret(OKTA_EXAMPLE)
    assert Secret(OKTA_EXAMPLE) != Secret(OKTA_EXAMPLE[:-1] + "R")
    assert Secret(OKTA_EXAMPLE) != OKTA_EXAMPLE  # not equal to the bare string
    with pytest.raises(TypeError):
        hash(Secret(OKTA_EXAMPLE))
    with pytest.raises(TypeError):
        Secret(b"bytes")  # type: ignore[arg-type]


def test_secret_survives_pickling() -> None:
    """Workers receive secrets by pickle; the value must come back intact."""
    assert pickle.loads(pickle.dumps(Secret(OKTA_EXAMPLE))).reveal() == OKTA_EXAMPLE


def test_sha256_hex_is_the_hash_of_the_utf8_bytes() -> None:
    assert sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert Secret("abc").sha256 == sha256_hex("abc")


def test_lone_surrogates_hash_and_compare_without_error() -> None:
    """A hint is device input: a lone surrogate (valid in JSON ``\\ud800``) must not crash the org."""
    assert sha256_hex("ab\ud800cd") != sha256_hex("abcd")
    assert not constant_time_equal("\ud800", "x")
    assert constant_time_equal("\udfff", "\udfff")


@pytest.mark.parametrize(
    ("a", "b", "equal"),
    [("abc", "abc", True), ("abc", "abd", False), ("abc", "abcd", False), (b"ab", "ab", True), ("é", "é", True)],
)
def test_constant_time_equal(a: str | bytes, b: str | bytes, equal: bool) -> None:
    assert constant_time_equal(a, b) is equal


@pytest.mark.parametrize(
    "value",
    ["12345678", OKTA_EXAMPLE, "x" * 256, string.punctuation, "Aa1~Aa1~"],
    ids=["min-length", "okta-example", "max-length", "all-punctuation", "mixed"],
)
def test_existing_key_accepted(value: str) -> None:
    assert check_existing_key(value).reveal() == value


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("1234567", "8-256 characters, got 7"),
        ("x" * 257, "8-256 characters, got 257"),
        ("", "got 0"),
        ("with space", "printable ASCII"),
        ("tab\there1", "printable ASCII"),
        ("newline\n1", "printable ASCII"),
        ("café-secret", "printable ASCII"),
        ("nul\x00secret", "printable ASCII"),
    ],
)
def test_existing_key_refused_without_echoing_it(value: str, words: str) -> None:
    with pytest.raises(SecretPolicyError) as caught:
        check_existing_key(value)

    assert words in str(caught.value)
    if value:
        assert value not in str(caught.value)


def test_generated_secrets_look_like_the_console_s() -> None:
    rng = random.Random(7)
    secrets = [generate_secret(rng).reveal() for _ in range(50)]

    assert all(len(s) == SECRET_LENGTH and set(s) <= set(SECRET_ALPHABET) for s in secrets)
    assert len(set(secrets)) == 50
    assert all(check_existing_key(s) for s in secrets)  # a generated key is a valid existing key


def test_appconfig_redacts_every_string_leaf() -> None:
    config = AppConfig(
        {
            "managementHint": OKTA_EXAMPLE,
            "nested": {"deep": OKTA_EXAMPLE, "list": [{"x": OKTA_EXAMPLE}]},
            "array": (OKTA_EXAMPLE, "short"),
            "blob": OKTA_EXAMPLE.encode(),
            "count": 3,
            "flag": True,
        }
    )

    for text in (repr(config), str(config), f"{config}", repr(config.redacted())):
        assert OKTA_EXAMPLE not in text
    assert config.redacted()["count"] == 3 and config.redacted()["flag"] is True
    assert config.redacted()["blob"] == "<37 bytes>"


def test_appconfig_keeps_types_and_round_trips() -> None:
    config = AppConfig({"b": {"k": "v"}, "ba": [{"k": 1}], "sa": ["a", "b"], "t": ("c",)})

    assert isinstance(config["b"], AppConfig)
    assert isinstance(config["ba"], list) and isinstance(config["ba"][0], AppConfig)
    assert config["sa"] == ("a", "b")
    assert config.to_plain() == {"b": {"k": "v"}, "ba": [{"k": 1}], "sa": ["a", "b"], "t": ["c"]}
    assert AppConfig(config.to_plain()) == config


def test_redact_secrets_keeps_what_an_admin_reads_and_hides_the_hint() -> None:
    config = AppConfig(
        {
            "managementHint": "{DeviceSerialNumber}",  # a lookup may be the secret itself
            " ManagementHINT": "short",  # the same secret under a mistyped key
            "domainName": "acme.okta.com",
            "note": "3zr7Q~vw4C16FS2bH8UfS1gJ5cL6sj~x_U9PQ",  # a key pasted under another name
            "bundle": {"managementHint": ["a", "b"], "count": 3, "on": True},
        }
    )
    assert redact_secrets(config) == {
        "managementHint": "{D…(20)",
        " ManagementHINT": "…(5)",
        "domainName": "acme.okta.com",
        "note": "3z…(37)",
        "bundle": {"managementHint": ["…(1)", "…(1)"], "count": 3, "on": True},
    }
