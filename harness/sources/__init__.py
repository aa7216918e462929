"""Where a device comes from: a capture replayed (``capture:DIR``).

All sources produce the same :mod:`simulator.device` model through the same parsers
(:mod:`harness.sources.android`, :mod:`harness.sources.ios`), so a capture and the device it was
captured from read identically. A source string names its kind before the first colon.
"""

from __future__ import annotations

from pathlib import Path

from harness.errors import InputError
from harness.sources.capture import Capture
from simulator.device import AnyDevice

KINDS = ("capture",)


def read_source(spec: str, *, base: Path | None = None) -> AnyDevice:
    """Read the device a source string names (``capture:DIR``; DIR relative to ``base``)."""
    kind, sep, rest = spec.partition(":")
    if not sep or kind not in KINDS or not rest:
        raise InputError(f"source {spec!r}: expected one of {', '.join(k + ':...' for k in KINDS)}")
    directory = Path(rest)
    if base is not None and not directory.is_absolute():
        directory = base / directory
    capture = Capture.load(directory)
    if capture.platform == "android":
        from harness.sources.android import read_android

        return read_android(capture.answer, source=spec)
    from harness.sources.ios import read_ios

    return read_ios(capture.answer, source=spec)
