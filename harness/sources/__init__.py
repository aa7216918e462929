"""Where a device's answers come from: transports only (DESIGN.md §1).

A SOURCE spec names its kind before the first colon. This module is the one registry of those
spellings: the CLI, the scenario loader and the matrix ask it, and nothing else parses a spec.
Each kind opens a :class:`~harness.sources.transport.Transport`; what to ask it is the readers'
business (:mod:`harness.readers`).

=================  ==========================================================================
``capture:``       a capture directory replayed (:mod:`harness.sources.capture`)
``adb:``           adbd straight over TCP, with adb-shell (:mod:`harness.sources.adb`)
``adb-server:``    a device of the adb server, with adbutils (:mod:`harness.sources.adb_server`)
``ios:``           a live iPhone through usbmuxd (:mod:`harness.sources.ios_device`, the
                   ``[ios]`` extra); ``ios:`` alone picks the only device attached
=================  ==========================================================================

The live kinds need an optional extra; their modules (the only ones importing the device
libraries) are imported when such a source is opened, so the core runs without them and a
missing extra is one line naming it.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from harness.errors import InputError, SourceError
from harness.source_options import SourceOptions
from harness.sources.transport import Answer, Platform, Transport
from simulator.secret import shown

__all__ = [
    "KINDS",
    "Answer",
    "Kind",
    "Platform",
    "SourceOptions",
    "SourceSpec",
    "Transport",
    "open_source",
    "parse_spec",
]


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


def _open_capture(spec: SourceSpec, options: SourceOptions) -> Transport:
    from harness.sources.capture import Capture

    return Capture.load(spec.target)


def _open_ios(spec: SourceSpec, options: SourceOptions) -> Transport:
    from harness.sources.ios_device import open_ios

    return open_ios(spec.target)


def _with_extra(module: str, library: tuple[str, str], extra: str, spec: SourceSpec) -> ModuleType:
    """Import a live source's module; without its device library (import name, distribution
    name), say which extra installs it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        if exc.name is None or exc.name.split(".")[0] != library[0]:
            raise
        raise SourceError(
            f"source {str(spec)!r} needs {library[1]}, which is not installed: pip install 'attestlab[{extra}]'"
        ) from None


def _open_adb(spec: SourceSpec, options: SourceOptions) -> Transport:
    transport: Transport = _with_extra("harness.sources.adb", ("adb_shell", "adb-shell"), "android", spec).open_adb(
        str(spec), spec.target, options
    )
    return transport


def _open_adb_server(spec: SourceSpec, options: SourceOptions) -> Transport:
    transport: Transport = _with_extra(
        "harness.sources.adb_server", ("adbutils", "adbutils"), "android", spec
    ).open_adb_server(str(spec), spec.target, options)
    return transport


@dataclass(frozen=True, slots=True)
class Kind:
    """One SOURCE spelling: its usage line, how to open it, and its platform when the kind
    alone tells it (a capture says its own in capture.json)."""

    usage: str
    open: Callable[[SourceSpec, SourceOptions], Transport]
    platform: Platform | None = None


KINDS: dict[str, Kind] = {
    "capture": Kind("capture:DIR", _open_capture),
    "adb": Kind("adb:HOST:PORT", _open_adb, "android"),
    "adb-server": Kind("adb-server:SERIAL", _open_adb_server, "android"),
    "ios": Kind("ios:UDID", _open_ios, "ios"),
}
#: Kinds whose target may be empty (``ios:``: the only device attached).
EMPTY_TARGET_OK = frozenset({"ios"})


def usage() -> str:
    """The accepted spellings, for help texts and error messages."""
    return ", ".join(kind.usage for kind in KINDS.values())


def parse_spec(spec: str) -> SourceSpec:
    """Split and check a SOURCE spec; an unknown kind or an empty target is an InputError."""
    kind, sep, rest = spec.partition(":")
    if not sep or kind not in KINDS or not (rest or kind in EMPTY_TARGET_OK):
        raise InputError(f"source {shown(spec)}: expected one of {usage()}")
    return SourceSpec(kind, rest)


def open_source(spec: str | SourceSpec, *, base: Path | None = None, options: SourceOptions | None = None) -> Transport:
    """Open the transport a SOURCE names (a relative capture path is taken from ``base``).
    Live transports connect on their first request."""
    parsed = (spec if isinstance(spec, SourceSpec) else parse_spec(spec)).resolved(base)
    return KINDS[parsed.kind].open(parsed, options or SourceOptions())
