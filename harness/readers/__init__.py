"""Readers: turn a transport's answers into the :mod:`simulator.device` model.

One reader per platform decides which requests to make, in what order and with what fallbacks;
a capture and a live device read identically because they run the same reader.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from harness.sources import SourceOptions, SourceSpec, Transport, open_source
from harness.sources.transport import Answer, origin_of
from simulator.device import AndroidDevice, AnyDevice

#: How a capture writes one answer (request, answer as read -> answer as written).
Redaction = Callable[[str, Answer], Answer]


def read_device(transport: Transport) -> AnyDevice:
    """Read the device behind an open transport with its platform's reader."""
    if transport.platform == "android":
        from harness.readers.android import read_android

        return read_android(transport.ask_many, source=transport.spec)
    from harness.readers.ios import read_ios

    return read_ios(transport.ask, source=transport.spec, origin=lambda request: origin_of(transport, request))


def read_source(
    spec: str | SourceSpec,
    *,
    base: Path | None = None,
    options: SourceOptions | None = None,
    mdm: Sequence[str | Path] = (),
) -> AnyDevice:
    """Open a SOURCE, read its device (with the MDM's answers from ``mdm`` files, iOS), close it."""
    from harness.sources.mdm import load_mdm_files, with_mdm

    exports = load_mdm_files(mdm)  # a bad file is reported before any device is reached
    with with_mdm(open_source(spec, base=base, options=options), exports) as transport:
        return read_device(transport)


def capture_redaction(device: AnyDevice) -> Redaction:
    """What ``attestlab capture`` writes of each answer it recorded from ``device``: Android
    answers other than the restriction files lose the hint (the reader's
    :func:`~harness.readers.android.redact_for_capture`); iOS answers are written as read."""
    if not isinstance(device, AndroidDevice):
        return lambda request, answer: answer
    from harness.readers.android import hints_of, redact_for_capture

    hints = hints_of(device)
    return lambda request, answer: redact_for_capture(request, answer, hints)
