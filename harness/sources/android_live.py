"""What the two live Android transports share: batching, bounds, retries, error wording.

``adb:`` (:mod:`harness.sources.adb`, adb-shell straight to adbd) and ``adb-server:``
(:mod:`harness.sources.adb_server`, adbutils through the adb server) differ only in how they
open a connection, run one ``shell:`` stream and pull files. Everything else is here, once:

* a batch of shell commands is one ``shell:`` stream (:mod:`harness.sources.shell_batch`), a
  batch of ``pull PATH`` requests one sync session, so a device read costs three OPENs;
* every round is bounded: ``Limits.request_s`` end to end, ``Limits.read_s`` of silence,
  ``Limits.max_bytes`` of output — a device that floods, stalls or trickles never hangs a run;
* a dropped connection is re-opened and the round asked again (reads have no side effects),
  ``Limits.retries`` times with doubling back-off; other failures are not retried;
* library exceptions and raw ``OSError`` become :class:`~harness.errors.SourceError`, one
  line naming the source, what failed and what to do about it.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Sequence
from typing import ClassVar, TypeVar

from harness.errors import SourceError
from harness.source_options import SourceOptions
from harness.sources import shell_batch
from harness.sources.transport import Answer, Platform, TransportBase

T = TypeVar("T")

PULL = "pull "


class Dropped(Exception):
    """The connection broke (reset, EOF, closed): worth re-opening and asking again."""


class Deadline:
    """The end of one round; ``check`` raises once it has passed."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.end = time.monotonic() + seconds

    def left(self) -> float:
        return max(0.0, self.end - time.monotonic())

    def check(self, what: str) -> None:
        if time.monotonic() > self.end:
            raise SourceError(f"{what}: no complete answer within {self.seconds:g} s (the device answers too slowly)")


class Bounded:
    """Collects a stream's chunks, refusing to grow past ``max_bytes`` or beyond the deadline."""

    def __init__(self, what: str, max_bytes: int, deadline: Deadline) -> None:
        self.what, self.max_bytes, self.deadline = what, max_bytes, deadline
        self.data = bytearray()

    def add(self, chunk: bytes) -> None:
        self.data += chunk
        if len(self.data) > self.max_bytes:
            raise SourceError(f"{self.what}: the device sent more than {self.max_bytes} bytes (output flood)")
        self.deadline.check(self.what)


class AndroidLiveTransport(TransportBase):
    """A live Android device reached over ADB; subclasses supply the connection."""

    platform: ClassVar[Platform] = "android"
    #: What the user should try when the device cannot be reached at all.
    unreachable_fix: ClassVar[str] = ""

    def __init__(self, spec: str, options: SourceOptions) -> None:
        self._spec = spec
        self.options = options
        self.limits = options.limits
        self._connected = False

    @property
    def spec(self) -> str:
        return self._spec

    # -- what a subclass provides ---------------------------------------------------------

    def _connect(self) -> None:
        """Open the connection (and authenticate); raise Dropped or SourceError."""
        raise NotImplementedError

    def _disconnect(self) -> None:
        raise NotImplementedError

    def _shell(self, command: str, sink: Bounded) -> None:
        """Run one ``shell:`` stream, feeding its output to ``sink`` until the device closes it."""
        raise NotImplementedError

    def _pull(self, paths: Sequence[str], deadline: Deadline) -> list[Answer]:
        """Read files by sync: status 0 and the bytes, or status 1 and adbd's reason."""
        raise NotImplementedError

    def _translate(self, exc: Exception, connecting: bool) -> Exception | None:
        """A library exception (raised while ``connecting`` or later) as Dropped or
        SourceError; None when it is not the library's."""
        return None

    # -- Transport ------------------------------------------------------------------------

    def ask(self, request: str) -> Answer | None:
        return self.ask_many([request])[0]

    def ask_many(self, requests: Sequence[str]) -> list[Answer | None]:
        answers: dict[str, Answer] = {}
        commands = [r for r in requests if not r.startswith(PULL)]
        paths = [r.removeprefix(PULL) for r in requests if r.startswith(PULL)]
        if commands:
            answers |= zip(commands, self._round(lambda: self._batch(commands), commands), strict=True)
        if paths:
            pulled = self._round(lambda: self._pull(paths, Deadline(self.limits.request_s)), paths)
            answers |= zip((PULL + p for p in paths), pulled, strict=True)
        return [answers[r] for r in requests]

    def close(self) -> None:
        if self._connected:
            self._connected = False
            with contextlib.suppress(Exception):  # closing a broken connection must not hide the first error
                self._disconnect()

    # -- internals --------------------------------------------------------------------------

    def _batch(self, commands: Sequence[str]) -> list[Answer]:
        nonce = shell_batch.new_nonce()
        sink = Bounded(f"{self.spec}: {_describe(commands)}", self.limits.max_bytes, Deadline(self.limits.request_s))
        self._shell(shell_batch.script(commands, nonce), sink)
        try:
            return shell_batch.split(bytes(sink.data), commands, nonce)
        except shell_batch.BatchCutShort as cut:
            raise Dropped(f"the shell stream ended before {commands[cut.index]!r} finished") from None

    def _round(self, attempt: Callable[[], list[T]], asked: Sequence[str]) -> list[T]:
        """Run one round, re-connecting and asking again while the connection drops."""
        tries = 0
        while True:
            connecting = not self._connected
            try:
                if connecting:
                    self._connect()
                    self._connected = True
                return attempt()
            except SourceError:
                self.close()
                raise
            except Exception as exc:
                self.close()
                error = self._classify(exc, connecting)
                if not isinstance(error, Dropped):
                    raise error from None
                tries += 1
                if tries > self.limits.retries:
                    raise SourceError(
                        f"{self.spec}: connection lost while asking {_describe(asked)} ({error}; "
                        f"{tries} attempts){self.unreachable_fix if connecting else ''}"
                    ) from None
                time.sleep(self.limits.backoff_s * 2 ** (tries - 1))

    def _classify(self, exc: Exception, connecting: bool) -> Exception:
        """Dropped (ask again), a SourceError, or the exception itself when nobody knows it."""
        if isinstance(exc, Dropped):
            return exc
        translated = self._translate(exc, connecting)
        if translated is not None:
            return translated
        if isinstance(exc, OSError):
            return Dropped(exc.strerror or type(exc).__name__)
        return exc


def _describe(requests: Sequence[str]) -> str:
    first = repr(requests[0])
    return first if len(requests) == 1 else f"{first} and {len(requests) - 1} more"
