"""The one exception hierarchy of attestlab.

Every error raised on purpose by :mod:`simulator` or :mod:`harness` derives from
:class:`AttestlabError`, so callers can catch one class; library exceptions (cryptography, PyYAML,
defusedxml, adb-shell, ...) are wrapped at the boundary where they occur. Messages are one line,
name the thing that is wrong (file, line, field, device) and never contain a secret value::

    AttestlabError
    ├── ConfigError          bad org file, bad EMM settings, bad scenario value
    ├── SecretPolicyError    a "use existing key" secret that Okta would refuse
    ├── VerificationError    a challenge or response that fails verification
    │   └── EnrollmentRefused  the org refused an Okta Verify enrollment (HTTP status, Okta code)
    ├── DeviceError          the simulated device cannot do what was asked
    └── AdbProtocolError     a client of the virtual phone broke the ADB wire protocol

:mod:`harness.errors` extends the same tree with input, source and capture errors.
"""

from __future__ import annotations

import errno


class AttestlabError(Exception):
    """Base class of every attestlab error."""


class ConfigError(AttestlabError):
    """A configuration (org file, EMM settings, scenario value) is invalid."""


class SecretPolicyError(ConfigError):
    """A secret key does not meet Okta's rules for "Use existing key"."""


class VerificationError(AttestlabError):
    """A challenge or challenge response failed verification.

    ``reason`` is a short machine-readable word (``signature``, ``nonce``, ``expired``,
    ``audience``, ``algorithm``, ``header``, ``claims``, ``replay``, ``malformed``,
    ``unknown_key``, ``device_deleted``, ``key_conflict``).
    """

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class EnrollmentRefused(VerificationError):
    """``POST /idp/authenticators`` refused: ``status`` is the HTTP status, ``code`` Okta's error
    code when it has one (``E0000153``: the device record was deleted)."""

    def __init__(self, reason: str, message: str, *, status: int, code: str | None = None) -> None:
        super().__init__(reason, message)
        self.status = status
        self.code = code


class DeviceError(AttestlabError):
    """An operation is impossible on the simulated device (unknown user, missing app...)."""


class AdbProtocolError(AttestlabError):
    """A peer of the virtual phone (:mod:`simulator.adbd`) broke the ADB wire protocol."""


def os_error_text(exc: OSError) -> str:
    """An OS error in the words of the tools users know (``no such file or directory``, ``is a
    directory``, ``permission denied``), never the Python class name."""
    if exc.errno == errno.ENAMETOOLONG:
        return "file name too long"
    text = exc.strerror or (errno.errorcode.get(exc.errno, "") if exc.errno else "")
    return text[:1].lower() + text[1:] if text else "cannot be read"


def unicode_error_text(exc: UnicodeError) -> str:
    """``not UTF-8 at byte N`` for a decoding error (the offset, never the bytes)."""
    start = getattr(exc, "start", None)
    return f"not UTF-8 at byte {start}" if isinstance(start, int) else "not valid UTF-8"
