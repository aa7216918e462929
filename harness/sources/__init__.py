"""Where a device's answers come from: transports only (DESIGN.md §1).

A SOURCE spec names its kind before the first colon. This module is the one registry of those
spellings: the CLI, the scenario loader and the matrix ask it, and nothing else parses a spec.
Each kind opens a :class:`~harness.sources.transport.Transport`; what to ask it is the readers'
business (:mod:`harness.readers`).

=============  ==============================================================================
``capture:``   a capture directory replayed (:mod:`harness.sources.capture`)
``ios:``       a live iPhone through usbmuxd (:mod:`harness.sources.ios_device`, the ``[ios]``
               extra); ``ios:`` alone picks the only device attached
=============  ==============================================================================
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from harness.errors import InputError
from harness.sources.transport import Answer, Platform, Transport

__all__ = ["KINDS", "Answer", "Platform", "SourceSpec", "Transport", "open_source", "parse_spec"]


@dataclass(frozen=True, slots=True)
class SourceSpec:
    """A parsed SOURCE: its kind and the rest (a directory, ``HOST:PORT``, a serial, a UDID)."""

    kind: str
    target: str

    def __str__(self) -> str:
        return f"{self.kind}:{self.target}"

    @property
    def is_path(self) -> bool:
        """Whether the target is a path on this machine (resolved against a base directory)."""
        return self.kind == "capture"

    @property
    def label(self) -> str:
        """``capture:/a/b/pixel6`` -> ``capture:pixel6``: short, and the same wherever the checkout is."""
        if self.is_path:
            return f"{self.kind}:{Path(self.target).name or self.target}"
        return str(self)

    def resolved(self, base: Path | None = None) -> SourceSpec:
        """The spec with a path target made absolute (relative to ``base``, else the working dir)."""
        if not self.is_path:
            return self
        path = Path(self.target).expanduser()
        if base is not None and not path.is_absolute():
            path = base / path
        return SourceSpec(self.kind, str(path.resolve()))


def _open_capture(spec: SourceSpec) -> Transport:
    from harness.sources.capture import Capture

    return Capture.load(spec.target)


def _open_ios(spec: SourceSpec) -> Transport:
    from harness.sources.ios_device import open_ios

    return open_ios(spec.target)


#: kind -> (usage shown in messages, opener)
KINDS: dict[str, tuple[str, Callable[[SourceSpec], Transport]]] = {
    "capture": ("capture:DIR", _open_capture),
    "ios": ("ios:UDID", _open_ios),
}
#: Kinds whose target may be empty (``ios:``: the only device attached).
EMPTY_TARGET_OK = frozenset({"ios"})


def usage() -> str:
    """The accepted spellings, for help texts and error messages."""
    return ", ".join(usage for usage, _ in KINDS.values())


def parse_spec(spec: str) -> SourceSpec:
    """Split and check a SOURCE spec; an unknown kind or an empty target is an InputError."""
    kind, sep, rest = spec.partition(":")
    if not sep or kind not in KINDS or not (rest or kind in EMPTY_TARGET_OK):
        raise InputError(f"source {spec!r}: expected one of {usage()}")
    return SourceSpec(kind, rest)


def open_source(spec: str | SourceSpec, *, base: Path | None = None) -> Transport:
    """Open the transport a SOURCE names (a relative capture path is taken from ``base``)."""
    parsed = (spec if isinstance(spec, SourceSpec) else parse_spec(spec)).resolved(base)
    return KINDS[parsed.kind][1](parsed)
