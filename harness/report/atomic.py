"""Where a report goes: a file that appears complete or not at all, a device or FIFO, or stdout.

The runner calls ``finish`` in a ``finally`` after Ctrl-C, and a process can die at any byte, so
a report bound for a regular file is never written in place: the text goes to a hidden
``.NAME.PID-RANDOM.part`` file in the target's directory (same filesystem, so the rename is
atomic) and :func:`os.replace` puts it where the user asked once it is whole. An old report at
the target stays intact until then.

What the user names decides how (:func:`open_report`), and nothing the user did not ask to
replace is ever replaced:

- ``-``: standard output, written as the report is produced (the CLI then prints its terminal
  summary on stderr, and refuses a second report on ``-``).
- a symlink: written through to its target (atomically when that is a regular file or does not
  exist yet), the link itself kept, as ``>`` in a shell does.
- an existing character device (``/dev/null``, ``/dev/full``, a terminal) or FIFO: written
  directly, never replaced by a regular file (as root, a rename over ``/dev/full`` would replace
  the device node). A FIFO no process is reading is refused rather than waited on.
- a directory, socket or block device: refused.
- a path whose directory does not exist: the directory is created.

Every failure (no permission, disk full at any write, the rename) becomes one
:class:`~harness.errors.InputError` naming the target; the ``.part`` file is removed first.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import secrets
import stat
import sys
import tempfile
from pathlib import Path
from types import TracebackType
from typing import IO

from harness.errors import InputError

#: The path that means standard output.
STDOUT = "-"


def is_stdout(target: Path | str) -> bool:
    return str(target) == STDOUT


def _cannot_write(name: object, exc: OSError, what: str = "report") -> InputError:
    return InputError(f"{name}: cannot write {what}: {exc.strerror or exc}")


class Output:
    """A report being written: :meth:`write` as it is produced, then :meth:`commit` or
    :meth:`discard`. Any ``OSError`` becomes one :class:`InputError` naming ``name``; after a
    failure the output is discarded and further writes are ignored (the error was raised once,
    and :meth:`commit` raises it again so that a failed report is never reported as written)."""

    def __init__(self, name: str, stream: IO[str], what: str = "report") -> None:
        self.name = name
        self.stream = stream
        self.what = what
        self.error: InputError | None = None

    def write(self, text: str) -> None:
        if self.error is not None:
            return
        try:
            self.stream.write(text)
        except OSError as exc:
            self._fail(exc)

    def copy_from(self, scratch: Output, chunk: int = 1 << 16) -> None:
        """Append everything written to ``scratch`` (see :func:`scratch_file`)."""
        try:
            scratch.stream.seek(0)
            while block := scratch.stream.read(chunk):
                self.write(block)
        except OSError as exc:
            self._fail(exc)

    def commit(self) -> None:
        """Make the report final (flush, and for a file, rename it into place)."""
        if self.error is not None:
            raise self.error
        try:
            self._commit()
        except OSError as exc:
            self._fail(exc)
        except BaseException:
            self.discard()
            raise

    def discard(self) -> None:
        """Drop what was written where that is possible; a previous report at the target stays."""

    def _commit(self) -> None:
        self.stream.flush()

    def _fail(self, exc: OSError) -> None:
        self.discard()
        self.error = _cannot_write(self.name, exc, self.what)
        raise self.error from exc

    def __enter__(self) -> Output:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if kind is None:
            self.commit()
        else:
            self.discard()


class AtomicFile(Output):
    """A UTF-8 text file written under a hidden temporary name and renamed onto ``target``.

    ``target`` is the real file (symlinks already resolved by :func:`open_report`); ``name`` is
    what the user wrote, for messages. The temporary file is created with mode 0o666 through
    ``os.open`` so the user's umask applies, as for any file the user creates
    (``tempfile.mkstemp`` would force 0o600). ``mode`` replaces an existing file keeping its
    permissions (an org file holding secret keys must not become readable by all); ``what``
    names the file in errors.
    """

    def __init__(self, target: Path, name: str | None = None, *, mode: int | None = None, what: str = "report") -> None:
        self.target = target
        self._part = target.with_name(f".{target.name}.{os.getpid()}-{secrets.token_hex(4)}.part")
        name = name or str(target)
        _make_parent(target, name)
        try:
            fd = os.open(self._part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666 if mode is None else 0o600)
        except OSError as exc:
            raise _cannot_write(name, exc, what) from exc
        if mode is not None:
            try:
                os.fchmod(fd, stat.S_IMODE(mode))
            except OSError as exc:
                os.close(fd)
                self._part.unlink(missing_ok=True)
                raise _cannot_write(name, exc, what) from exc
        super().__init__(name, os.fdopen(fd, "w", encoding="utf-8", newline="\n"), what)

    def _commit(self) -> None:
        self.stream.flush()
        os.fsync(self.stream.fileno())
        self.stream.close()
        os.replace(self._part, self.target)

    def discard(self) -> None:
        with contextlib.suppress(OSError):  # the buffered text could not be flushed: it is dropped anyway
            self.stream.close()
        self._part.unlink(missing_ok=True)


class _DirectFile(Output):
    """An existing device or FIFO, written in place (there is nothing to rename over)."""

    def _commit(self) -> None:
        self.stream.flush()
        self.stream.close()

    def discard(self) -> None:
        with contextlib.suppress(OSError):
            self.stream.close()


class _StandardOutput(Output):
    """``-``: the process's standard output, which stays open after the report."""

    def __init__(self) -> None:
        super().__init__("standard output", sys.stdout)


def _make_parent(target: Path, name: str) -> None:
    """A report directory that does not exist is created (``--json out/run-42/r.json``)."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise InputError(f"{name}: cannot write report: {target.parent} is not a directory") from None
    except OSError as exc:
        raise InputError(f"{name}: cannot create report directory {target.parent}: {exc.strerror or exc}") from exc


def _open_direct(target: Path, mode: int) -> Output:
    flags = os.O_WRONLY | os.O_NOCTTY
    if stat.S_ISFIFO(mode):
        flags |= os.O_NONBLOCK  # fails at once (ENXIO) when no process reads the FIFO
    try:
        fd = os.open(target, flags)
    except OSError as exc:
        if exc.errno == errno.ENXIO:
            raise InputError(f"{target}: cannot write report: no process is reading this FIFO") from exc
        raise _cannot_write(target, exc) from exc
    if flags & os.O_NONBLOCK:
        fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) & ~os.O_NONBLOCK)
    return _DirectFile(str(target), os.fdopen(fd, "w", encoding="utf-8", newline="\n"))


def open_report(target: Path | str) -> Output:
    """Open the output for a report the user asked to be written at ``target`` (see the module)."""
    if is_stdout(target):
        return _StandardOutput()
    target = Path(target)
    try:
        mode = os.stat(target).st_mode  # follows symlinks: what the path leads to
    except FileNotFoundError:
        mode = None
    except OSError as exc:
        raise _cannot_write(target, exc) from exc
    if mode is None or stat.S_ISREG(mode):
        # A new or regular file, possibly through symlinks (a dangling link creates its target).
        return AtomicFile(Path(os.path.realpath(target)), str(target))
    if stat.S_ISCHR(mode) or stat.S_ISFIFO(mode):
        return _open_direct(target, mode)
    kind = "a directory" if stat.S_ISDIR(mode) else "a socket" if stat.S_ISSOCK(mode) else "a block device"
    raise InputError(f"{target}: cannot write report: is {kind}, not a file")


class _Scratch(Output):
    """A scratch file: "committing" it means it was copied and can go."""

    def _commit(self) -> None:
        self.stream.close()

    def discard(self) -> None:
        self.stream.close()


def scratch_file(output: Output) -> Output:
    """An anonymous temporary text file for the parts of ``output`` assembled at the end.

    It has no name on disk (unlinked at creation), so a crash leaves nothing behind. It lives
    next to a file report (same disk as the result), elsewhere in the system's temporary
    directory (a device's directory is no place for it). Its errors name ``output``: a full
    disk while a JUnit file is being assembled is that file's failure.
    """
    where = output.target.parent if isinstance(output, AtomicFile) else None
    try:
        stream = tempfile.TemporaryFile("w+", encoding="utf-8", newline="\n", dir=where)  # noqa: SIM115 - kept open
    except OSError as exc:
        output.discard()
        raise _cannot_write(output.name, exc) from exc
    return _Scratch(output.name, stream)
