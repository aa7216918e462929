"""``adb-server:SERIAL``: a device through the adb server, with adbutils.

The normal path for emulators in CI (``emulator-5554``), phones on USB and device farms. The one
module that imports adbutils (the ``[android]`` extra). The server is the one ``adb`` itself
would use: ``$ADB_SERVER_SOCKET`` (``tcp:HOST:PORT``, a shared lab host or a DeviceFarmer/STF
server) or ``127.0.0.1:$ANDROID_ADB_SERVER_PORT`` (default 5037).

adbutils gives the server's framing (``host:transport:``, OKAY/FAIL, length-prefixed strings);
the streams themselves are read here, under the bounds of :mod:`harness.sources.android_live`,
because adbutils' ``sync`` reads without a timeout and one file per connection, and its
connection starts a local adb server when none answers (a wrong address must be an error, not a
new server).
"""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Iterator, Sequence
from typing import Any, ClassVar

from adbutils import AdbClient
from adbutils.errors import AdbError, AdbTimeout

from harness.errors import SourceError
from harness.source_options import SourceOptions
from harness.sources import sync_client
from harness.sources.android_live import AndroidLiveTransport, Bounded, Deadline, Dropped
from harness.sources.transport import Answer, port_number

SOCKET_ENV = "ADB_SERVER_SOCKET"
PORT_ENV = "ANDROID_ADB_SERVER_PORT"
DEFAULT_PORT = 5037
CHUNK = 64 * 1024


def server_address() -> tuple[str, int]:
    """Where the adb server listens, as ``adb`` decides it."""
    configured = os.environ.get(SOCKET_ENV)
    if configured:
        kind, _, rest = configured.partition(":")
        host, sep, port = rest.rpartition(":")
        number = port_number(port)
        if kind != "tcp" or not sep or number is None:
            raise SourceError(f"${SOCKET_ENV}={configured!r}: expected tcp:HOST:PORT")
        return host or "127.0.0.1", number
    port_text = os.environ.get(PORT_ENV)
    if port_text:
        number = port_number(port_text)
        if not number:
            raise SourceError(f"${PORT_ENV}={port_text!r}: expected a port number")
        return "127.0.0.1", number
    return "127.0.0.1", DEFAULT_PORT


#: The server's refusals (``device 'X' not found``, ``device unauthorized``...) and what to do.
FIXES = (
    ("unauthorized", "accept the RSA key prompt on the device (“Allow USB debugging?”)"),
    ("not found", "is it listed by `adb devices`? enable USB debugging, or `adb connect HOST:PORT` it first"),
    ("offline", "the device is offline: reconnect it (unplug, or `adb reconnect`)"),
    ("more than one", "name the device by its serial from `adb devices`"),
)


class AdbServerTransport(AndroidLiveTransport):
    """One device of an adb server; every round is one connection to the server."""

    unreachable_fix: ClassVar[str] = ""

    def __init__(self, spec: str, serial: str, options: SourceOptions) -> None:
        super().__init__(spec, options)
        self.serial = serial
        self.host, self.port = server_address()
        self._client: Any = None
        self._stat_v2 = False

    def _connect(self) -> None:
        # A plain connect first: adbutils would start a local server when none answers.
        try:
            socket.create_connection((self.host, self.port), timeout=self.limits.connect_s).close()
        except OSError as exc:
            raise SourceError(
                f"{self.spec}: no adb server at {self.host}:{self.port} ({exc.strerror or type(exc).__name__}): "
                f"start one with `adb start-server`, or point ${SOCKET_ENV}=tcp:HOST:PORT at yours"
            ) from None
        self._client = AdbClient(self.host, self.port, socket_timeout=self.limits.read_s)
        # One question tells both: the server refuses it for a device not ready (not found,
        # unauthorized, offline), and the features say whether sync has STA2.
        with _closing(self._client.make_connection(timeout=self.limits.read_s)) as connection:
            connection.send_command(f"host-serial:{self.serial}:features")
            connection.check_okay()
            features = connection.read_string_block()
        self._stat_v2 = "stat_v2" in features.split(",")

    def _disconnect(self) -> None:
        self._client = None

    def _service(self, service: str) -> Any:
        """A server connection switched to the device and to ``service``."""
        connection = self._client.make_connection(timeout=self.limits.read_s)
        try:
            connection.send_command(f"host:transport:{self.serial}")
            connection.check_okay()
            connection.send_command(service)
            connection.check_okay()
        except BaseException:
            _close(connection)
            raise
        return connection

    def _shell(self, command: str, sink: Bounded) -> None:
        with _closing(self._service(f"shell:{command}")) as connection:
            while chunk := connection.conn.recv(CHUNK):
                sink.add(chunk)

    def _pull(self, paths: Sequence[str], deadline: Deadline) -> list[Answer]:
        """All files in sync sessions of one server connection each (:mod:`.sync_client`)."""
        return sync_client.pull_files(
            self._sync_session,
            paths,
            stat_v2=self._stat_v2,
            spec=self.spec,
            max_bytes=self.limits.max_bytes,
            deadline=deadline,
        )

    @contextlib.contextmanager
    def _sync_session(self) -> Iterator[sync_client.SyncStream]:
        with _closing(self._service("sync:")) as connection:
            yield _SocketStream(connection)

    def _refused(self, message: str) -> SourceError:
        fix = next((fix for needle, fix in FIXES if needle in message), "check `adb devices`")
        return SourceError(f"{self.spec}: the adb server at {self.host}:{self.port} says {message!r}: {fix}")

    def _translate(self, exc: Exception, connecting: bool) -> Exception | None:
        if isinstance(exc, AdbTimeout | TimeoutError):
            return SourceError(f"{self.spec}: the device stopped answering (nothing for {self.limits.read_s:g} s)")
        if isinstance(exc, EOFError):
            return Dropped("the adb server closed the connection")
        if isinstance(exc, AdbError):
            message = str(exc.args[0]) if exc.args else type(exc).__name__
            if "closed" in message.lower():
                return Dropped(message)
            return self._refused(message[:200])
        return None


def _close(connection: Any) -> None:
    """Close the socket at once (adbutils' ``close`` sleeps 10 ms for the server's sake, which
    five connections per read turned into a third of the read)."""
    with contextlib.suppress(OSError):
        connection.conn.close()


@contextlib.contextmanager
def _closing(connection: Any) -> Iterator[Any]:
    try:
        yield connection
    finally:
        _close(connection)


class _SocketStream:
    """A server connection switched to ``sync:``, as :class:`~.sync_client.SyncStream`."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection

    def send(self, data: bytes) -> None:
        self.connection.conn.sendall(data)

    def read_exact(self, size: int) -> bytes:
        data = self.connection.read_exact(size) if size else b""
        assert isinstance(data, bytes)
        return data


def open_adb_server(spec: str, serial: str, options: SourceOptions) -> AdbServerTransport:
    return AdbServerTransport(spec, serial, options)
