"""The MDM's side of an iPhone from ``--mdm FILE`` exports, layered over the device's transport.

A live iPhone answers only what the device knows; what the MDM knows comes from files the admin
exported (:mod:`harness.parsers.mdm_exports`). :class:`WithMdm` answers the ``mdm.*`` requests
from those files and passes every other request to the device's (or a capture's) transport, so
the reader reads them like any answer, and ``attestlab capture`` records them as the capture
entries they stand for: the capture then replays without the files.

Each answer remembers where it came from (:meth:`WithMdm.origin`), for the facts the output
attributes to their source.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from harness.errors import InputError
from harness.parsers.ios_plists import MAX_INPUT_BYTES
from harness.parsers.mdm_exports import MdmExport, read_mdm_export
from harness.sources.transport import Answer, Transport, Wrapper

__all__ = ["WithMdm", "load_mdm_files", "with_mdm"]


def load_mdm_files(paths: Sequence[str | Path]) -> list[MdmExport]:
    """Read and recognise each file; two files standing for the same answer are refused."""
    exports: list[MdmExport] = []
    for path in map(Path, paths):
        try:
            with path.open("rb") as file:
                data = file.read(MAX_INPUT_BYTES + 1)
        except OSError as exc:
            raise InputError(f"--mdm {path}: cannot read ({exc.strerror or type(exc).__name__})") from None
        export = read_mdm_export(data, name=str(path))
        clash = next((e for e in exports if e.request == export.request), None)
        if clash is not None:
            raise InputError(
                f"--mdm {path}: gives the same answer ({export.request}) as {clash.name}; pass one of them"
            )
        exports.append(export)
    return exports


def with_mdm(transport: Transport, exports: Sequence[MdmExport]) -> Transport:
    """``transport`` with the exports' answers layered on it (itself when there are none).

    The transport is closed if the exports do not fit it (``--mdm`` on an Android source).
    """
    if not exports:
        return transport
    try:
        return WithMdm(transport, exports)
    except BaseException:
        transport.close()
        raise


class WithMdm(Wrapper):
    """A transport whose ``mdm.*`` answers come from ``--mdm`` files (they win over a capture's)."""

    def __init__(self, inner: Transport, exports: Sequence[MdmExport]) -> None:
        if inner.platform != "ios":
            raise InputError(f"--mdm is for iOS sources; {inner.spec} is an {inner.platform} device")
        super().__init__(inner)
        self.exports = {e.request: e for e in exports}

    def ask(self, request: str) -> Answer | None:
        export = self.exports.get(request)
        if export is not None:
            return Answer(export.answer, 0)
        return self.inner.ask(request)

    def origin(self, request: str) -> str:
        export = self.exports.get(request)
        if export is not None:
            return f"--mdm {export.name} ({export.kind})"
        return super().origin(request)
