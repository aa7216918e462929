"""Report files that appear complete or not at all.

The runner calls ``finish`` in a ``finally`` after Ctrl-C, and a process can die at any byte, so
no report is ever written in place: the text goes to a temporary file in the target's directory
(same filesystem, so the rename is atomic) and :func:`os.replace` puts it where the user asked
once it is whole. An old report at the target stays intact until then.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path
from types import TracebackType
from typing import IO

from harness.errors import InputError


def _cannot_write(target: Path, exc: OSError) -> InputError:
    return InputError(f"{target}: cannot write report: {exc.strerror or exc}")


def _prepare(target: Path) -> None:
    """Fail at the start of a run, not after it, when the report could never be written."""
    if target.is_dir():
        raise InputError(f"{target}: cannot write report: is a directory")
    target.parent.mkdir(parents=True, exist_ok=True)


def scratch_file(target: Path) -> IO[str]:
    """An anonymous temporary text file next to ``target``, for parts assembled at the end.

    It has no name on disk (unlinked at creation), so a crash leaves nothing behind.
    """
    try:
        _prepare(target)
        return tempfile.TemporaryFile("w+", encoding="utf-8", newline="\n", dir=target.parent)
    except OSError as exc:
        raise _cannot_write(target, exc) from exc


class AtomicFile:
    """A UTF-8 text file written under a hidden temporary name and renamed onto ``target``.

    The temporary file is created with mode 0o666 through ``os.open`` so the user's umask
    applies, as for any file the user creates (``tempfile.mkstemp`` would force 0o600).
    Used as a context manager, it commits when the block ends normally and discards otherwise.
    """

    def __init__(self, target: Path) -> None:
        self.target = target
        self._part = target.with_name(f".{target.name}.{os.getpid()}-{secrets.token_hex(4)}.part")
        try:
            _prepare(target)
            fd = os.open(self._part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except OSError as exc:
            raise _cannot_write(target, exc) from exc
        self.stream: IO[str] = os.fdopen(fd, "w", encoding="utf-8", newline="\n")

    def __enter__(self) -> IO[str]:
        return self.stream

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if kind is None:
            self.commit()
        else:
            self.discard()

    def commit(self) -> None:
        """Flush to disk and move into place; on any failure the target is left untouched."""
        try:
            self.stream.flush()
            os.fsync(self.stream.fileno())
            self.stream.close()
            os.replace(self._part, self.target)
        except OSError as exc:
            self.discard()
            raise _cannot_write(self.target, exc) from exc
        except BaseException:
            self.discard()
            raise

    def discard(self) -> None:
        """Drop what was written; the target is left as it was."""
        self.stream.close()
        self._part.unlink(missing_ok=True)
