"""How a run stops: Ctrl-C, SIGTERM and the deadline of each case.

- **Ctrl-C once** (SIGINT): the case running in this process finishes, then the run stops and
  every report is written with what finished (``interrupted: true``). Cases running in worker
  processes are abandoned at once instead: they are not reported, so no report is ever half a case.
- **Ctrl-C twice**, or **SIGTERM** (CI cancelling a job, ``docker stop``, ``timeout``): stop at
  once, abandoning the running case; the reports are still written. A signal that arrives while a
  reporter is writing a case, or while the reports are being finished, waits for that write to end
  (a ``KeyboardInterrupt`` inside ``add`` left a report with half an entry).
- The run then raises :class:`RunInterrupted` (a ``KeyboardInterrupt``), whose ``signum`` gives the
  shell's exit code: 130 for SIGINT, 143 for SIGTERM.
- **Deadline**: each case runs under ``signal.setitimer`` (SIGALRM); when it passes,
  :class:`CaseDeadline` is raised inside the case, which becomes an ``error`` case. This reaches a
  case stuck in Python code or in a blocking system call (a socket read: PEP 475 runs the handler,
  which raises); a worker stuck inside C code is stopped by the pool's watchdog instead.

Signals can only be handled in the main thread: elsewhere (a run started from a thread) the
default behaviour stays and cases have no deadline.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Iterator
from types import FrameType

#: Seconds a case may take by default (``attestlab run --timeout``). A simulated case takes about
#: a millisecond; reading a live device over adb takes seconds. A minute is far beyond both.
DEFAULT_CASE_TIMEOUT = 60.0

_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class RunInterrupted(KeyboardInterrupt):
    """The run was stopped by a signal; ``128 + signum`` is the exit code a shell expects."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


class CaseDeadline(BaseException):
    """Raised inside a case whose deadline passed (a BaseException, so that the case's own
    ``except Exception`` cannot swallow it)."""


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


class Interrupts:
    """The signal handlers of one run (a context manager that installs and restores them).

    ``immediate`` makes the first Ctrl-C stop at once (set when cases run in workers, where
    nothing of the running cases would be lost that a report holds).
    """

    def __init__(self, *, immediate: bool = False) -> None:
        self.immediate = immediate
        self.signum: int | None = None
        self._count = 0
        self._holding = 0
        self._previous: dict[int, object] = {}

    def __enter__(self) -> Interrupts:
        if _in_main_thread():
            for signum in _STOP_SIGNALS:
                self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for signum, previous in self._previous.items():
            signal.signal(signum, previous)  # type: ignore[arg-type]
        self._previous.clear()

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self._count += 1
        if self.signum is None or signum == signal.SIGTERM:
            self.signum = signum
        at_once = self.immediate or self._count > 1 or signum == signal.SIGTERM
        if not at_once:
            # os.write, not print: the main thread may be inside a write to stderr right now.
            os.write(2, b"\ninterrupted: finishing the running case (Ctrl-C again to stop at once)\n")
        elif not self._holding:
            raise RunInterrupted(self.signum)

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        """Signals wait until the block ends (a reporter writing a case, reports being finished)."""
        self._holding += 1
        try:
            yield
        finally:
            self._holding -= 1

    def check(self) -> None:
        """Between cases: stop if a signal came."""
        if self.signum is not None:
            raise RunInterrupted(self.signum)


def _expired(signum: int, frame: FrameType | None) -> None:
    # A handler runs in the interrupted thread's state: exc_info is the exception that code
    # is handling. A deadline already being handled (the block's cleanup, contextlib's
    # __exit__, the caller's except) is not cut by another one, which could escape that except.
    if isinstance(sys.exc_info()[1], CaseDeadline):
        return
    raise CaseDeadline


#: Seconds between two raises of a deadline that has passed while its block still runs.
DEADLINE_AGAIN_S = 1.0


@contextlib.contextmanager
def case_deadline(seconds: float | None) -> Iterator[None]:
    """Raise :class:`CaseDeadline` in the block if it runs longer than ``seconds`` (None or 0: no
    deadline; outside the main thread: no deadline).

    Raised again every :data:`DEADLINE_AGAIN_S` (or ``seconds``, if longer) until the block has
    ended: a handler's exception raised while the interpreter runs a finalizer (a ``__del__``
    during garbage collection) is only printed, so a one-shot timer could be lost there and
    leave a stuck case, and the run, waiting for ever (seen: a stuck source read under a 0.5 s
    deadline on a loaded machine). Not while a ``CaseDeadline`` is being handled: the block's
    cleanup (its ``finally``) runs to its end, and the caller's ``except CaseDeadline`` takes
    exactly one; the ``finally`` below clears the timer."""
    if not seconds or not _in_main_thread():
        yield
        return
    previous = signal.signal(signal.SIGALRM, _expired)
    signal.setitimer(signal.ITIMER_REAL, seconds, max(seconds, DEADLINE_AGAIN_S))
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
