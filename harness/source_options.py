"""What the user chose for live sources, and the bounds of a live read.

Its own module, outside the :mod:`harness.sources` package (the registry and the transports that
obey these bounds), because every run makes its :class:`SourceOptions` at once — a bad
``$ATTESTLAB_SOURCE_TIMEOUT`` is bad input before anything runs — while only a run that reads a
device needs the sources.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from harness.errors import SourceError

TIMEOUT_ENV = "ATTESTLAB_SOURCE_TIMEOUT"


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds of one live read (seconds, bytes)."""

    connect_s: float = 5.0
    #: How long the phone may take to answer AUTH: a person accepting the RSA key prompt.
    auth_s: float = 30.0
    #: Silence allowed between two packets of an answer.
    read_s: float = 10.0
    #: One round (a shell script or a sync session), end to end.
    request_s: float = 60.0
    #: Largest answer to one round (a ``dumpsys device_policy`` is tens of kilobytes).
    max_bytes: int = 16 << 20
    retries: int = 2
    backoff_s: float = 0.25

    @classmethod
    def from_env(cls) -> Limits:
        """$ATTESTLAB_SOURCE_TIMEOUT (seconds) caps every timeout: CI fails fast on a dead phone."""
        raw = os.environ.get(TIMEOUT_ENV)
        if not raw:
            return cls()
        try:
            cap = float(raw)
        except ValueError:
            raise SourceError(f"${TIMEOUT_ENV}={raw!r}: expected a number of seconds") from None
        if cap <= 0:
            raise SourceError(f"${TIMEOUT_ENV}={raw!r}: expected a positive number of seconds")
        limits = cls()
        return replace(
            limits,
            connect_s=min(limits.connect_s, cap),
            auth_s=min(limits.auth_s, cap),
            read_s=min(limits.read_s, cap),
            request_s=min(limits.request_s, cap),
        )


@dataclass(frozen=True, slots=True)
class SourceOptions:
    """What the user chose for live sources (``--adb-key FILE``), and the bounds."""

    adb_key: Path | None = None
    limits: Limits = field(default_factory=Limits.from_env)
