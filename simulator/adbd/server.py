"""Serving the virtual phone: over TCP (asyncio), or over an in-memory link for tests.

:class:`AdbdServer` listens on ``host:port`` (port 0: the OS picks; :attr:`AdbdServer.address`
tells which) and gives every TCP connection its own :class:`~simulator.adbd.connection.
Connection` on the shared :class:`~simulator.adbd.phone.Phone` and
:class:`~simulator.adbd.auth.AuthPolicy`, so several hosts and streams are served at once.
It runs in the caller's event loop (:meth:`AdbdServer.serve_forever`, used by ``attestlab
device serve``) or in a background thread (:meth:`AdbdServer.start` / :meth:`AdbdServer.stop`,
or as a context manager, used by tests and benchmarks). A connection that breaks the protocol
is dropped, as adbd drops it; the others go on.

:class:`MemoryLink` is the same state machine without sockets: ``write`` the host's bytes,
``read`` the phone's answer — what an adb client library's custom transport needs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import threading
from types import TracebackType
from typing import Self

from simulator.adbd import wire
from simulator.adbd.auth import AuthPolicy
from simulator.adbd.connection import FEATURES, Connection
from simulator.adbd.phone import Phone
from simulator.errors import AdbProtocolError

log = logging.getLogger(__name__)

_READ_SIZE = 256 * 1024
#: Seconds stop() waits for the connections' tasks to end before it cancels what is left.
_SHUTDOWN_S = 1.0


class AdbdServer:
    def __init__(
        self,
        phone: Phone,
        auth: AuthPolicy | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        version: int = wire.VERSION_SKIP_CHECKSUM,
        features: tuple[str, ...] = FEATURES,
    ) -> None:
        self.phone = phone
        self.auth = auth or AuthPolicy()
        self.host = host
        self.port = port
        self.version = version
        #: What the CNXN banner advertises (``()``: an old adbd, without ``stat_v2``).
        self.features = features
        #: Counters over all connections (for tests and benchmarks).
        self.connections = 0
        self.opens = 0
        self._server: asyncio.Server | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._open: set[asyncio.StreamWriter] = set()

    @property
    def address(self) -> tuple[str, int]:
        if self._server is None:
            raise RuntimeError("the server is not listening")
        host, port = self._server.sockets[0].getsockname()[:2]
        return str(host), int(port)

    @property
    def spec(self) -> str:
        """``HOST:PORT``, as ``adb connect`` and the ``adb:`` source take it."""
        host, port = self.address
        return f"{host}:{port}"

    async def listen(self) -> None:
        self._server = await asyncio.start_server(self._serve, self.host, self.port)

    async def serve_forever(self) -> None:
        if self._server is None:
            await self.listen()
        assert self._server is not None
        async with self._server:
            await self._server.serve_forever()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self._open.add(writer)
        connection = Connection(self.phone, self.auth, version=self.version, features=self.features)
        sock = writer.get_extra_info("socket")
        try:
            while data := await reader.read(_READ_SIZE):
                quick_ack(sock)
                before = connection.opens
                out = connection.receive(data)
                self.opens += connection.opens - before
                if out:
                    writer.write(out)
                    await writer.drain()
                    quick_ack(sock)
        except AdbProtocolError as exc:
            log.info("adbd: dropping a connection: %s", exc)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            # Still in _open while it closes: a peer that half-closed without reading what is
            # left to send keeps wait_closed waiting, until _shutdown aborts the transport.
            try:
                writer.close()
                with contextlib.suppress(ConnectionError, OSError):
                    await writer.wait_closed()
            finally:
                self._open.discard(writer)

    # -- in a background thread -----------------------------------------------------------

    def start(self) -> Self:
        """Listen and serve from a daemon thread; returns once the address is known."""
        self._thread = threading.Thread(target=self._run, name="attestlab-adbd", daemon=True)
        self._thread.start()
        self._ready.wait()
        if self._error is not None:
            raise self._error
        return self

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self.listen())
        except BaseException as exc:  # reported to start()'s caller
            self._error = exc
            self._ready.set()
            loop.close()
            return
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(self._shutdown())
            loop.close()

    async def _shutdown(self) -> None:
        """End every task of this loop (all of them this server's) before the loop closes.

        Closing the sockets ends each connection's read loop (cancelling its task instead trips
        asyncio's stream callback in Python 3.11). A connection accepted just before the close
        may start its handler only now, so the sockets are closed again until no task is left:
        a task left pending when the loop closes is destroyed mid-``await`` ("Task was destroyed
        but it is pending", and its coroutine's ``finally`` raising at garbage collection).
        Bounded: what is left after :data:`_SHUTDOWN_S` is cancelled, so ``stop()`` always ends."""
        if self._server is not None:
            self._server.close()
        current = asyncio.current_task()
        loop = asyncio.get_running_loop()
        give_up = loop.time() + _SHUTDOWN_S
        while tasks := [task for task in asyncio.all_tasks() if task is not current]:
            if loop.time() > give_up:
                for task in tasks:
                    task.cancel()
                await asyncio.wait(tasks, timeout=_SHUTDOWN_S)
                break
            for writer in list(self._open):
                writer.transport.abort()
            await asyncio.wait(tasks, timeout=0.05)
        if self._server is not None:
            await self._server.wait_closed()

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join()
            self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def quick_ack(sock: socket.socket | None) -> None:
    """Acknowledge the host's segments at once (Linux ``TCP_QUICKACK``, which the kernel clears
    again by itself, hence after every read).

    Clients that write a message's header and payload in two ``send`` calls (adb-shell does)
    otherwise wait for the delayed ACK of the header before Nagle lets the payload go: 40 ms
    per message on Linux loopback.
    """
    if sock is not None and hasattr(socket, "TCP_QUICKACK"):
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)


class MemoryLink:
    """One connection to the phone held in memory: the host writes, then reads the answer."""

    def __init__(self, phone: Phone, auth: AuthPolicy | None = None, **options: int) -> None:
        self.connection = Connection(phone, auth, **options)  # type: ignore[arg-type]
        self._inbound = bytearray()

    def write(self, data: bytes) -> None:
        self._inbound += self.connection.receive(data)

    def read(self, size: int) -> bytes:
        data = bytes(self._inbound[:size])
        del self._inbound[:size]
        return data

    @property
    def available(self) -> int:
        return len(self._inbound)
