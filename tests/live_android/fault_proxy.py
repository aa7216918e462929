"""A TCP proxy that speaks just enough of the ADB wire protocol to break it on purpose.

It sits between a client (adb-shell, or the real adb server after ``adb connect``) and a
virtual phone, forwards every packet (24-byte header ``<6I`` + payload, AOSP protocol.md) and
injects one fault, the way a real phone or network fails:

``drop``          close both sockets as soon as the phone sends stream data (every connection)
``no_auth``       answer the client's CNXN with an AUTH token and then never answer again
``slow``          answer the first stream's first data packet with output that trickles in, a few
                  bytes every ``delay`` seconds, for at least ``TRICKLE_PIECES * delay`` seconds
                  (then the connection ends): each packet comes in time, the answer never completes
``bad_checksum``  corrupt the checksum of the phone's first data packet of each connection
``close_early``   replace the phone's first data packet of each stream by a CLSE
``flood``         answer the first stream's first data packet with endless output

It also counts the OPENs the client sends (round trips, for the benchmark).
"""

from __future__ import annotations

import contextlib
import os
import socket
import struct
import threading
import time
from dataclasses import dataclass, field

from simulator.adbd.server import quick_ack

HEADER = struct.Struct("<6I")
CNXN, AUTH, OPEN, WRTE, CLSE, OKAY = (
    int.from_bytes(c, "little") for c in (b"CNXN", b"AUTH", b"OPEN", b"WRTE", b"CLSE", b"OKAY")
)
#: How many pieces ``slow`` trickles before it gives up: with the default delay, 10 s at least
#: (load only makes it longer), far beyond the short round deadline a test gives it.
TRICKLE_PIECES = 500
FAULTS = ("drop", "no_auth", "slow", "bad_checksum", "close_early", "flood")


def packet(command: int, arg0: int, arg1: int, data: bytes = b"") -> bytes:
    return HEADER.pack(command, arg0, arg1, len(data), sum(data) & 0xFFFFFFFF, command ^ 0xFFFFFFFF) + data


def _read_exact(sock: socket.socket, size: int) -> bytes:
    data = bytearray()
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
        quick_ack(sock)  # adb-shell sends a header and its payload apart: no 40 ms delayed ACK
    return bytes(data)


def read_packet(sock: socket.socket) -> tuple[tuple[int, ...], bytes]:
    header = HEADER.unpack(_read_exact(sock, HEADER.size))
    return header, _read_exact(sock, header[3]) if header[3] else b""


@dataclass
class FaultProxy:
    upstream: tuple[str, int]
    fault: str | None = None
    #: ``slow``: seconds between two pieces of its output (far below any read timeout)
    delay: float = 0.02
    opens: int = 0
    _listener: socket.socket = field(init=False)
    _sockets: list[socket.socket] = field(default_factory=list, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    def __post_init__(self) -> None:
        if self.fault is not None and self.fault not in FAULTS:
            raise ValueError(self.fault)
        self._listener = socket.create_server(("127.0.0.1", 0))
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def port(self) -> int:
        return int(self._listener.getsockname()[1])

    @property
    def spec(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _track(self, *sockets: socket.socket) -> None:
        for sock in sockets:  # packets go out whole, one sendall each: no need to hold them back
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self._lock:
            self._sockets.extend(sockets)

    def _serve(self, client: socket.socket) -> None:
        self._track(client)
        if self.fault == "no_auth":
            self._never_authenticate(client)
            return
        try:
            phone = socket.create_connection(self.upstream)
        except OSError:
            client.close()
            return
        self._track(phone)
        threading.Thread(target=self._pump_to_phone, args=(client, phone), daemon=True).start()
        self._pump_to_client(phone, client)

    def _never_authenticate(self, client: socket.socket) -> None:
        try:
            read_packet(client)  # CNXN
            client.sendall(packet(AUTH, 1, 0, os.urandom(20)))
            while read_packet(client):  # signatures and public keys, never answered
                pass
        except OSError:
            pass
        finally:
            client.close()

    def _pump_to_phone(self, client: socket.socket, phone: socket.socket) -> None:
        try:
            while True:
                header, data = read_packet(client)
                if header[0] == OPEN:
                    with self._lock:
                        self.opens += 1
                if self.fault in ("flood", "slow") and header[0] == OKAY:
                    continue  # the endless output is ours: its acknowledgements stay here
                phone.sendall(HEADER.pack(*header) + data)
        except OSError:
            pass
        finally:
            _close(client, phone)

    def _pump_to_client(self, phone: socket.socket, client: socket.socket) -> None:
        corrupted = False
        closed_streams: set[int] = set()
        try:
            while True:
                header, data = read_packet(phone)
                command, arg0, arg1 = header[:3]
                if command == WRTE and data:
                    if self.fault == "drop":
                        return
                    if self.fault == "bad_checksum" and not corrupted:
                        corrupted = True
                        header = (*header[:4], (header[4] + 1) & 0xFFFFFFFF, header[5])
                    elif self.fault == "close_early" and arg1 not in closed_streams:
                        closed_streams.add(arg1)
                        client.sendall(packet(CLSE, arg0, arg1))
                        continue
                    elif self.fault == "close_early":
                        continue  # the rest of a stream the client believes closed
                    elif self.fault == "flood":
                        chunk = b"A" * 65536
                        while True:
                            client.sendall(packet(WRTE, arg0, arg1, chunk))
                    elif self.fault == "slow":
                        for _ in range(TRICKLE_PIECES):
                            client.sendall(packet(WRTE, arg0, arg1, b"x\n"))
                            time.sleep(self.delay)
                        return  # a client that never gave up: the connection ends, so its test fails
                client.sendall(HEADER.pack(*header) + data)
        except OSError:
            pass
        finally:
            _close(client, phone)

    def close(self) -> None:
        self._listener.close()
        with self._lock:
            sockets, self._sockets = self._sockets, []
        _close(*sockets)


def _close(*sockets: socket.socket) -> None:
    for sock in sockets:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        sock.close()
