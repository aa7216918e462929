"""Endpoint-management configurations ("Add platform") and their secret keys.

Okta shows a configuration's secret once, when it is created or reset, and keeps only what it
needs to check it: here a SHA-256 hash (model: Okta's storage is not public). Matching a hint
therefore hashes the hint and compares digests in constant time.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from simulator.device import Platform
from simulator.errors import SecretPolicyError
from simulator.secret import KEY_CHARACTERS, MAX_KEY_LENGTH, MIN_KEY_LENGTH, Secret, constant_time_equal, sha256_hex


class MultipleConfigs(StrEnum):
    """Which configurations of a platform a hint is checked against (DOMAIN.md §3, model)."""

    ANY_MATCH = "any-match"
    EARLIEST_ONLY = "earliest-only"


#: Characters of generated keys, as in Okta's example ``3zr7Q~vw4C16FS2bH8UfS1gJ5cL6sj~x_U9PQ``.
SECRET_ALPHABET = string.ascii_letters + string.digits + "~_.-"
SECRET_LENGTH = 37


def generate_secret(rng: random.Random) -> Secret:
    """A new secret key like the Admin Console's "Copy" button gives."""
    return Secret("".join(rng.choice(SECRET_ALPHABET) for _ in range(SECRET_LENGTH)))


def check_existing_key(value: str) -> Secret:
    """Validate a "Use existing key" value: 8-256 printable ASCII characters, no spaces.

    (model) Okta documents the length and asks for mixed case and symbols; we refuse what
    could never survive an EMM console round trip (spaces, control and non-ASCII characters) and
    accept any mix otherwise, so that weak keys can still be tested.
    """
    if not MIN_KEY_LENGTH <= len(value) <= MAX_KEY_LENGTH:
        raise SecretPolicyError(f"secret key must be {MIN_KEY_LENGTH}-{MAX_KEY_LENGTH} characters, got {len(value)}")
    if not KEY_CHARACTERS.fullmatch(value):
        raise SecretPolicyError("secret key may contain only printable ASCII without spaces")
    return Secret(value)


@dataclass(slots=True, repr=False)
class EndpointConfig:
    """One "Endpoint management" platform configuration of the org."""

    name: str
    platform: Platform
    provider: str
    enrollment_link: str
    secret_sha256: str
    created: datetime

    def matches(self, hint: str) -> bool:
        """Constant-time check of a hint against the stored hash."""
        return constant_time_equal(sha256_hex(hint), self.secret_sha256)

    def __repr__(self) -> str:
        # The hash is not the secret, but a hash of a short key can be brute-forced: keep it out.
        return (
            f"EndpointConfig(name={self.name!r}, platform={self.platform.value!r}, "
            f"provider={self.provider!r}, created={self.created.isoformat()!r})"
        )
