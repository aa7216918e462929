"""Secret values (``managementHint``, org secret keys): redacted when shown, compared in constant time.

A :class:`Secret` never reveals its value through ``str``, ``repr``, formatting, pickling into
logs or exception text; only :meth:`Secret.reveal` does, and only code that must put the value on
the wire (the EMM delivery, the JWT claim) calls it.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from typing import Any

from simulator.ids import MANAGEMENT_HINT

#: "Use existing key" accepts 8-256 characters (okta-help); attestlab also refuses spaces, control
#: and non-ASCII characters (:func:`simulator.verifier.configs.check_existing_key`).
MIN_KEY_LENGTH, MAX_KEY_LENGTH = 8, 256
KEY_CHARACTERS = re.compile(r"[\x21-\x7e]+")


def redact(value: str) -> str:
    """Show a secret as its first two characters, an ellipsis and its length: ``3z…(37)``.

    Values shorter than 8 characters show no characters at all, since two of them would be a
    large share of the secret.
    """
    if len(value) < 8:
        return f"…({len(value)})"
    return f"{value[:2]}…({len(value)})"


def redact_leaves(value: Any) -> Any:
    """The same tree (mappings, lists, tuples) with every string leaf redacted, bytes by their
    length: a configuration or a step's arguments as a ``repr`` or a log may show them."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    if isinstance(value, Mapping):
        return {k: redact_leaves(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact_leaves(v) for v in value]
    if isinstance(value, tuple):
        return tuple(redact_leaves(v) for v in value)
    return value


def redact_secrets(config: Mapping[str, Any]) -> dict[str, Any]:
    """A managed configuration as ``inspect`` may show it: the hint redacted, the rest readable.

    The value of ``managementHint`` — and of a key equal to it but for case or white space, which
    holds the same secret (``hint_key_case``) — is redacted whatever its shape: an unresolved
    ``{Lookup}`` there may be the secret itself. Any other text that :func:`could_be_secret` is
    redacted too (a key pasted under the wrong name); names, URLs of lower-case hosts, numbers and
    booleans (``domainName: acme.okta.com``) are what an admin needs to read and stay as they are.
    """

    def shown_value(value: Any, hint: bool) -> Any:
        if isinstance(value, str):
            return redact(value) if hint or could_be_secret(value) else value
        if isinstance(value, bytes):
            return f"<{len(value)} bytes>"
        if isinstance(value, Mapping):
            return {k: shown_value(v, hint or _is_hint_key(k)) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [shown_value(v, hint) for v in value]
        return value

    return {k: shown_value(v, _is_hint_key(k)) for k, v in config.items()}


def _is_hint_key(key: object) -> bool:
    return isinstance(key, str) and key.strip().casefold() == MANAGEMENT_HINT.casefold()


_UPPER = re.compile(r"[A-Z]")
_LOWER = re.compile(r"[a-z]")
_NOT_LETTER = re.compile(r"[^A-Za-z]")


def could_be_secret(text: str) -> bool:
    """Whether ``text`` could be a secret key, so that no message may show it.

    (model) "Use existing key" takes 8-256 characters and Okta asks for mixed case and symbols;
    the keys it generates always mix cases, digits and symbols. Text of that shape — 8-256
    printable characters without spaces, upper and lower case letters, and a digit or a symbol
    — is never shown. Anything else is taken for a name or a typo (``intune-androd``,
    ``platfrom``, ``managementHint``) and may be: a message that says what was typed is worth
    more than hiding a word no Okta org would accept as its key.
    """
    return (
        MIN_KEY_LENGTH <= len(text) <= MAX_KEY_LENGTH
        and KEY_CHARACTERS.fullmatch(text) is not None
        and _UPPER.search(text) is not None
        and _LOWER.search(text) is not None
        and _NOT_LETTER.search(text) is not None
    )


def shown(value: object) -> str:
    """A rejected value as an error message may quote it.

    A user who typed a value in the wrong field (a secret where a configuration name or a choice
    goes) must not see it echoed into a CI log: text that could be a secret key is redacted
    (``'3z…(37)'``), anything that could not (``'andriod'``, ``'Pixel 8'``) is quoted as written.
    Numbers follow the same rule by their text; other values show their type only.
    """
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, int | float):
        text = repr(value)
        return text if not could_be_secret(text) else f"'{redact(text)}'"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    if not isinstance(value, str):
        return f"a {type(value).__name__}"
    if could_be_secret(value):
        return f"'{redact(value)}'"
    quoted = repr(value)
    return quoted if len(quoted) <= 80 else quoted[:78] + "…'"


def sha256_hex(value: str) -> str:
    """The SHA-256 of a secret's UTF-8 bytes, as Okta stores it (model: the org keeps only this)."""
    # surrogatepass: a hint is device input, and a lone surrogate must mismatch, not crash.
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


def constant_time_equal(a: str | bytes, b: str | bytes) -> bool:
    """Compare two values without leaking where they differ through timing."""
    a_bytes = a.encode("utf-8", "surrogatepass") if isinstance(a, str) else a
    b_bytes = b.encode("utf-8", "surrogatepass") if isinstance(b, str) else b
    return hmac.compare_digest(a_bytes, b_bytes)


class Secret:
    """A string that must not leak.  Equality is constant-time; hashing is refused."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if not isinstance(value, str):
            raise TypeError("Secret wraps a str")
        self._value = value

    def reveal(self) -> str:
        """The raw value, for the few places that must send it."""
        return self._value

    @property
    def sha256(self) -> str:
        return sha256_hex(self._value)

    def __len__(self) -> int:
        return len(self._value)

    def __repr__(self) -> str:
        return f"Secret({redact(self._value)})"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return format(repr(self), spec)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Secret):
            return constant_time_equal(self._value, other._value)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __reduce__(self) -> Any:
        # Pickling is how values cross process boundaries (``--workers``); keep that working.
        return (Secret, (self._value,))
