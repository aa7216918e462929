"""Readers: turn a transport's answers into the :mod:`simulator.device` model.

One reader per platform decides which requests to make, in what order and with what fallbacks;
a capture and a live device read identically because they run the same reader.
"""

from __future__ import annotations

from pathlib import Path

from harness.sources import SourceOptions, SourceSpec, Transport, open_source
from simulator.device import AnyDevice


def read_device(transport: Transport) -> AnyDevice:
    """Read the device behind an open transport with its platform's reader."""
    if transport.platform == "android":
        from harness.readers.android import read_android

        return read_android(transport.ask_many, source=transport.spec)
    from harness.readers.ios import read_ios

    return read_ios(transport.ask, source=transport.spec)


def read_source(spec: str | SourceSpec, *, base: Path | None = None, options: SourceOptions | None = None) -> AnyDevice:
    """Open a SOURCE, read its device, close it."""
    with open_source(spec, base=base, options=options) as transport:
        return read_device(transport)
