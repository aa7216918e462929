"""The client half of adbd's ``sync:`` service, over any byte stream: several files per session.

AOSP's ``adb pull`` (``client/file_sync_client.cpp``) opens one ``sync:`` stream for all the
files it is given and, when the device has the ``stat_v2`` feature, asks ``STA2`` before each
``RECV``: a missing or refused file is then answered with its errno and the session goes on.
adbd ends the session after a ``FAIL`` (``daemon/file_sync_service.cpp``), so a ``RECV`` that
fails anyway (no ``stat_v2``, or the file changed between the two) costs the files after it a
new session. Both live transports pull through :func:`pull_files`; they differ only in what a
stream is (a socket to the adb server, an ADB stream of adb-shell's).

Every answer is bounded: ``DATA`` chunks of at most 64 KiB, ``FAIL`` reasons of at most 4 KiB,
the file by :class:`~harness.sources.android_live.Bounded` (size and the round's deadline).
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import Protocol

from harness.errors import SourceError
from harness.sources.android_live import Bounded, Deadline
from harness.sources.transport import Answer

#: A request or a chunk header: id, little-endian ``uint32`` length (or size).
HEADER = struct.Struct("<4sI")
#: ``sync_stat_v2``: id, error (the device's errno), dev, ino, mode, nlink, uid, gid, size, atime, mtime, ctime.
STAT_V2 = struct.Struct("<4sIQQIIIIQqqq")
SYNC_DATA_MAX = 64 * 1024
MAX_REASON = 4096
#: Linux errno values as the device reports them (the host's own numbering may differ).
LINUX_ERRORS = {
    1: "Operation not permitted",
    2: "No such file or directory",
    13: "Permission denied",
    20: "Not a directory",
}


class SyncStream(Protocol):
    """One open ``sync:`` stream: bytes out, exactly ``size`` bytes in (raising when it ends)."""

    def send(self, data: bytes) -> None: ...

    def read_exact(self, size: int) -> bytes: ...


Session = Callable[[], AbstractContextManager[SyncStream]]


def pull_files(
    session: Session, paths: Sequence[str], *, stat_v2: bool, spec: str, max_bytes: int, deadline: Deadline
) -> list[Answer]:
    """Each file's bytes (status 0), or adb's error line for it (status 1), in as few sessions
    as adbd allows: one, unless a ``RECV`` fails before the last file."""
    answers: list[Answer] = []
    while len(answers) < len(paths):
        with session() as stream:
            for path in paths[len(answers) :]:
                answers.append(_pull_one(stream, path, stat_v2, Bounded(f"{spec}: pull {path}", max_bytes, deadline)))
                if answers[-1].status != 0 and not _stat_failed(answers[-1]):
                    break  # adbd has ended the session
            else:
                stream.send(HEADER.pack(b"QUIT", 0))
    return answers


def _pull_one(stream: SyncStream, path: str, stat_v2: bool, sink: Bounded) -> Answer:
    encoded = path.encode()
    if stat_v2:
        stream.send(HEADER.pack(b"STA2", len(encoded)) + encoded)
        kind, error = STAT_V2.unpack(stream.read_exact(STAT_V2.size))[:2]
        if kind != b"STA2":
            raise SourceError(f"{sink.what}: not a sync answer ({kind!r})")
        if error:
            reason = LINUX_ERRORS.get(error, f"error {error}")
            return Answer(f"adb: error: failed to stat remote object '{path}': {reason}\n".encode(), 1)
    stream.send(HEADER.pack(b"RECV", len(encoded)) + encoded)
    while True:
        kind, size = HEADER.unpack(stream.read_exact(HEADER.size))
        if kind == b"DONE":
            return Answer(bytes(sink.data), 0)
        if kind == b"FAIL":
            reason = stream.read_exact(min(size, MAX_REASON)).decode("utf-8", "replace")
            return Answer(f"adb: error: failed to pull '{path}': remote {reason}\n".encode(), 1)
        if kind != b"DATA" or size > SYNC_DATA_MAX:
            raise SourceError(f"{sink.what}: not a sync answer ({kind!r}, {size} bytes)")
        sink.add(stream.read_exact(size) if size else b"")


def _stat_failed(answer: Answer) -> bool:
    return answer.data.startswith(b"adb: error: failed to stat")
