"""Stopping the adbd server ends every connection, whatever its peer does."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable

from simulator.adbd import AdbdServer, Phone, wire
from simulator.adbd.wire import Message


def _until(holds: Callable[[], bool]) -> None:
    while not holds():
        threading.Event().wait(0.002)  # polling the server thread's state


def test_stop_ends_a_connection_whose_peer_half_closed_without_reading(
    adbd: Callable[..., AdbdServer], phone: Callable[..., Phone]
) -> None:
    """The host sends 600 CNXN (44 bytes of answer each), closes its side and reads nothing:
    with both sockets' buffers small, ~20 KB of answers stay in the transport (under its 64 KB
    high-water mark, so the read loop goes on to the EOF), and wait_closed never ends by itself."""
    server = adbd(phone())
    host = socket.socket()
    try:
        host.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        host.connect(server.address)
        _until(lambda: bool(server._open))
        (writer,) = server._open
        writer.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
        cnxn = Message(wire.CNXN, wire.VERSION_SKIP_CHECKSUM, wire.MAX_PAYLOAD, b"host::features=shell_v2,cmd\0")
        host.sendall(wire.encode(cnxn, checksummed=True) * 600)
        host.shutdown(socket.SHUT_WR)
        _until(writer.is_closing)  # the read loop saw the EOF: the server is closing its side
        assert writer.transport.get_write_buffer_size() > 0  # what the host never read
        stopping = threading.Thread(target=server.stop, daemon=True)
        stopping.start()
        stopping.join(30)  # only bounds a failure: stop() aborts the transport at once
        assert not stopping.is_alive()
    finally:
        host.close()
