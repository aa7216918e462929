"""Worker processes for ``attestlab run --workers N``, which survive losing one.

``multiprocessing.Pool`` waits forever for the tasks of a worker killed by the OOM killer
(``kill -9``): it replaces the process but the task is gone. This pool knows which cases each
worker holds, because workers send one result per case, in order, over their own pipe. When a
worker disappears (its pipe closes or its process sentinel fires), the case it was running becomes
an ``error`` case that says how the worker ended, the cases it had not started go back to the queue,
and a new worker takes its place while work remains. A worker that sends nothing for longer than
the case deadline plus :data:`WATCHDOG_GRACE_S` (stuck where SIGALRM cannot reach) is killed and
handled the same way.

Workers receive the plan once, at start (inherited by ``fork``, pickled under ``spawn``), then
only chunks of (scenario, device) index pairs; each keeps two chunks in flight so that it never
waits for the parent, and chunks shrink as the queue drains so that the workers finish together.
Workers ignore SIGINT (a Ctrl-C on the terminal reaches the whole process group; the parent
decides) and die on SIGTERM, which is how the parent stops them.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import signal
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import TYPE_CHECKING, Any

from harness.results import CaseResult

if TYPE_CHECKING:
    from harness.runner import Plan

#: Seconds past the case deadline before the parent kills a worker that has gone silent.
WATCHDOG_GRACE_S = 5.0

Case = tuple[int, int]
RunOne = Callable[["Plan", Case, int, float | None], CaseResult]
Lost = Callable[["Plan", Case, str], CaseResult]


def _worker_main(conn: Connection, plan: Plan, seed: int, timeout: float | None, run_one: RunOne) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        while (chunk := conn.recv()) is not None:
            for case in chunk:
                conn.send(run_one(plan, case, seed, timeout))
    except (EOFError, BrokenPipeError):
        pass  # the parent is gone or closed the pipe: nothing left to do


@dataclass(eq=False)
class _Worker:
    process: BaseProcess
    conn: Connection
    assigned: deque[Case] = field(default_factory=deque)
    heard: float = field(default_factory=time.monotonic)


def _how_it_ended(process: BaseProcess) -> str:
    code = process.exitcode
    if code is not None and code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exited with status {code}" if code is not None else "stopped answering"


class WorkerPool:
    """Runs the cases of a plan in ``workers`` processes; iterate :meth:`results`."""

    def __init__(
        self,
        plan: Plan,
        cases: list[Case],
        *,
        seed: int,
        workers: int,
        timeout: float | None,
        run_one: RunOne,
        lost: Lost,
        chunk: int,
    ) -> None:
        self._plan, self._seed, self._timeout = plan, seed, timeout
        self._run_one, self._lost, self._chunk = run_one, lost, chunk
        self._queue: deque[Case] = deque(cases)
        self._size = workers
        methods = multiprocessing.get_all_start_methods()
        self._ctx = multiprocessing.get_context("fork") if "fork" in methods else multiprocessing.get_context("spawn")
        self._workers: list[_Worker] = []

    def _start_worker(self) -> None:
        ours, theirs = self._ctx.Pipe()
        args: tuple[Any, ...] = (theirs, self._plan, self._seed, self._timeout, self._run_one)
        process = self._ctx.Process(target=_worker_main, args=args, daemon=True)
        process.start()
        theirs.close()
        worker = _Worker(process, ours)
        self._workers.append(worker)
        self._feed(worker)
        self._feed(worker)

    def _chunk_now(self) -> int:
        return max(1, min(self._chunk, len(self._queue) // (2 * self._size)))

    def _feed(self, worker: _Worker) -> None:
        """Send the next chunk of the queue to ``worker``: at most ``chunk`` cases, fewer as the
        queue drains (a share of what is left, down to one case), so that the workers finish
        together. With fixed chunks, the last ones held up to two chunks of the catalog's
        slowest scenarios (the attacks, sorted last) while the other worker had nothing left."""
        if not self._queue:
            return
        chunk = [self._queue.popleft() for _ in range(min(self._chunk_now(), len(self._queue)))]
        worker.assigned.extend(chunk)
        with contextlib.suppress(OSError):  # it died meanwhile: its sentinel says so, and the chunk is requeued
            worker.conn.send(chunk)

    def _bury(self, worker: _Worker, why: str) -> Iterator[CaseResult]:
        """A worker is gone: its running case is an error, its other cases go back to the queue."""
        self._workers.remove(worker)
        worker.conn.close()
        worker.process.join(timeout=5)
        if worker.assigned:
            running = worker.assigned.popleft()
            self._queue.extendleft(reversed(worker.assigned))
            yield self._lost(self._plan, running, f"worker process lost ({why}) while running this case")
        if self._queue:
            self._start_worker()

    def _receive(self, worker: _Worker) -> Iterator[CaseResult]:
        """Everything ``worker`` has sent; its end if it died."""
        try:
            while worker.conn.poll():
                result: CaseResult = worker.conn.recv()
                worker.assigned.popleft()
                worker.heard = time.monotonic()
                if len(worker.assigned) <= self._chunk_now():
                    self._feed(worker)
                yield result
        except (EOFError, OSError):
            worker.process.join(timeout=5)
            yield from self._bury(worker, _how_it_ended(worker.process))
            return
        if not worker.process.is_alive():
            yield from self._bury(worker, _how_it_ended(worker.process))

    def _watchdog(self) -> Iterator[CaseResult]:
        if not self._timeout:
            return
        limit = time.monotonic() - self._timeout - WATCHDOG_GRACE_S
        for worker in [w for w in self._workers if w.assigned and w.heard < limit]:
            worker.process.kill()
            worker.process.join(timeout=5)
            yield from self._bury(worker, f"silent for more than {self._timeout:g}s past the case deadline, killed")

    def results(self) -> Iterator[CaseResult]:
        """Yield results as they arrive; stopping the iteration (or an exception) stops the workers."""
        try:
            for _ in range(min(self._size, len(self._queue))):
                self._start_worker()
            while any(w.assigned for w in self._workers):
                tick = self._timeout + WATCHDOG_GRACE_S if self._timeout else None
                ready = wait([w.conn for w in self._workers] + [w.process.sentinel for w in self._workers], tick)
                for worker in list(self._workers):
                    if worker.conn in ready or worker.process.sentinel in ready:
                        yield from self._receive(worker)
                yield from self._watchdog()
        finally:
            self.stop()

    def stop(self) -> None:
        for worker in self._workers:
            if worker.process.is_alive():
                worker.process.terminate()
        for worker in self._workers:
            worker.process.join(timeout=5)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join()
            worker.conn.close()
        self._workers.clear()
