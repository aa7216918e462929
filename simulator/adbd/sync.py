"""The ``sync:`` service (AOSP ``daemon/file_sync_service.cpp``), without I/O.

Requests are an 8-byte header — 4-byte id, little-endian ``uint32`` length — and a path of at
most 1024 bytes; the service loops over requests until ``QUIT`` or a failure, after which adbd
closes the stream. Answered here, from :class:`~simulator.adbd.phone.Phone`'s file system:

* ``STAT`` (lstat v1): ``STAT`` + mode, size, mtime (``uint32``); all zero when lstat fails.
* ``STA2``/``LST2`` (feature ``stat_v2``): ``STA2``/``LST2`` + error (Linux errno), dev, ino
  (``uint64``), mode, nlink, uid, gid (``uint32``), size, atime, mtime, ctime (``uint64``).
* ``LIST``: ``DENT`` + mode, size, mtime, namelen + name per entry, then ``DONE`` with zeros;
  a directory that cannot be opened lists nothing.
* ``RECV``: ``DATA`` + length + at most 65528 bytes per chunk, then ``DONE`` + 0; a file that
  cannot be opened is ``FAIL`` + length + ``open failed: <strerror>`` (the client adds
  ``remote ``), and the stream closes.
* ``SEND``: the phone's file system is read-only here: ``FAIL couldn't create file: Read-only
  file system``. Other ids: ``FAIL unknown command <hex>``.
"""

from __future__ import annotations

import errno
import struct
import zlib

from simulator.adbd.phone import FileAccessError, Phone

SYNC_DATA_MAX = 64 * 1024
_REQUEST = struct.Struct("<4sI")
_STAT_V1 = struct.Struct("<4sIII")
_STAT_V2 = struct.Struct("<4sIQQIIIIQqqq")
_DENT_V1 = struct.Struct("<4sIIII")
_MAX_PATH = 1024


def _fail(reason: str) -> bytes:
    data = reason.encode()
    return _REQUEST.pack(b"FAIL", len(data)) + data


class SyncService:
    """One ``sync:`` stream: feed it the client's bytes, send what it returns."""

    def __init__(self, phone: Phone) -> None:
        self.phone = phone
        self.finished = False
        self._buffer = bytearray()

    @property
    def as_root(self) -> bool:
        return self.phone.adbd_is_root

    def start(self) -> bytes:
        return b""

    def feed(self, data: bytes) -> bytes:
        self._buffer += data
        out = bytearray()
        while not self.finished and len(self._buffer) >= _REQUEST.size:
            ident, length = _REQUEST.unpack_from(self._buffer)
            if length > _MAX_PATH:
                self.finished = True
                out += _fail("path too long")
                break
            if len(self._buffer) < _REQUEST.size + length:
                break
            path = bytes(self._buffer[_REQUEST.size : _REQUEST.size + length]).decode("utf-8", "replace")
            del self._buffer[: _REQUEST.size + length]
            out += self.request(ident, path)
        return bytes(out)

    def request(self, ident: bytes, path: str) -> bytes:
        if ident == b"STAT":
            try:
                st = self.phone.stat(path, as_root=self.as_root)
            except FileAccessError:
                return _STAT_V1.pack(b"STAT", 0, 0, 0)
            return _STAT_V1.pack(b"STAT", st.mode, st.size, st.mtime)
        if ident in (b"STA2", b"LST2"):
            try:
                st = self.phone.stat(path, as_root=self.as_root)
            except FileAccessError as exc:
                return _STAT_V2.pack(ident, exc.errno, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
            inode = zlib.crc32(path.encode())
            return _STAT_V2.pack(
                ident, 0, 0xFD00, inode, st.mode, 1, st.uid, st.gid, st.size, st.mtime, st.mtime, st.mtime
            )
        if ident == b"LIST":
            out = bytearray()
            try:
                entries = self.phone.list(path, as_root=self.as_root)
            except FileAccessError:
                entries = {}
            for name, st in sorted(entries.items()):
                raw = name.encode()
                out += _DENT_V1.pack(b"DENT", st.mode, st.size, st.mtime, len(raw)) + raw
            return bytes(out + _DENT_V1.pack(b"DONE", 0, 0, 0, 0))
        if ident == b"RECV":
            try:
                data = self.phone.read(path, as_root=self.as_root)
            except FileAccessError as exc:
                self.finished = True
                return _fail(f"open failed: {exc.strerror}")
            out = bytearray()
            step = SYNC_DATA_MAX - _REQUEST.size
            for start in range(0, len(data), step):
                chunk = data[start : start + step]
                out += _REQUEST.pack(b"DATA", len(chunk)) + chunk
            return bytes(out + _REQUEST.pack(b"DONE", 0))
        self.finished = True
        if ident == b"QUIT":
            return b""
        if ident == b"SEND":
            return _fail(f"couldn't create file: {FileAccessError(errno.EROFS).strerror}")
        return _fail(f"unknown command {int.from_bytes(ident, 'little'):08x}")
