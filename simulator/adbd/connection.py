"""One ADB connection, device side, as a state machine without I/O.

Bytes from the host go in (:meth:`Connection.receive`), bytes for the host come out; the TCP
server and the in-memory link (:mod:`simulator.adbd.server`) only move them. This follows adbd
(AOSP ``adb.cpp`` ``handle_packet``, ``transport.cpp``, ``sockets.cpp``):

* ``CNXN`` (version, max payload, ``host::...``): both sides then use the smaller version and
  payload. With authentication on, the answer is ``AUTH TOKEN``; otherwise (or once
  authenticated) ``CNXN`` with the device's version, the negotiated payload size and the banner
  ``device::ro.product.name=..;ro.product.model=..;ro.product.device=..;features=..``.
* ``AUTH SIGNATURE``: a signature by a trusted key makes the connection online, any other
  gets a new token. ``AUTH RSAPUBLICKEY``: the prompt (:class:`~simulator.adbd.auth.AuthPolicy`).
* Online: ``OPEN(remote-id, 0, "service\\0")`` is answered ``OKAY(local-id, remote-id)`` or, for
  a service the phone does not have, ``CLSE(0, remote-id)``. A service's output goes out as
  ``WRTE`` messages of at most the negotiated payload, each after the host's ``OKAY`` for the
  previous one; the host's ``WRTE`` is acknowledged with ``OKAY`` before its data is handled.
  When a service is done and its output acknowledged, the phone sends ``CLSE``; a ``CLSE`` from
  the host is answered with ``CLSE`` (adbd's socket shutdown), as clients wait for it. Packets that
  arrive before the connection is online are dropped, as adbd does.

Services: ``shell:COMMAND`` and ``exec:COMMAND`` (raw, stdout and stderr merged, no exit
status: feature ``shell_v2`` is not offered), ``shell:`` alone (an interactive shell on a pty),
``sync:`` (with ``stat_v2``). Anything else is refused.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Protocol

from simulator.adbd import wire
from simulator.adbd.auth import AuthPolicy
from simulator.adbd.phone import Phone
from simulator.adbd.shell import Shell
from simulator.adbd.sync import SyncService
from simulator.adbd.wire import Message

#: Features this adbd implements (``transport.cpp`` names). Nothing that changes the framing
#: (``shell_v2``, ``ls_v2``, ``sendrecv_v2``, ``delayed_ack``) is claimed.
FEATURES = ("stat_v2",)
#: Streams one connection may hold open (model: a bound, so a host cannot pile up output).
MAX_STREAMS = 256


class Service(Protocol):
    finished: bool

    def start(self) -> bytes: ...

    def feed(self, data: bytes) -> bytes: ...


class ShellService:
    """``shell:COMMAND``: the whole output at once, then the stream closes."""

    def __init__(self, phone: Phone, command: str) -> None:
        self.phone = phone
        self.command = command
        self.finished = True

    def start(self) -> bytes:
        return Shell(self.phone).run(self.command)

    def feed(self, data: bytes) -> bytes:
        return b""  # stdin of a finished command: discarded


class InteractiveShell:
    """``shell:`` with no command: mksh on a pty, line by line.

    The pty echoes what the host types and turns ``\n`` into ``\r\n`` (``ONLCR``); the prompt
    is mksh's Android ``PS1``, ``<ro.product.device>:/ $ `` (``#`` as root). Each line runs as
    one ``sh -c`` of the subset (``$?`` carries over); ``exit`` or end of input closes it.
    """

    _MAX_LINE = 64 * 1024

    def __init__(self, phone: Phone) -> None:
        self.phone = phone
        self.shell = Shell(phone)
        self.finished = False
        self._line = bytearray()

    def prompt(self) -> bytes:
        device = self.phone.properties().get("ro.product.device", "android")
        return f"{device}:/ {'#' if self.shell.as_root else '$'} ".encode()

    def start(self) -> bytes:
        return self.prompt()

    def feed(self, data: bytes) -> bytes:
        out = bytearray()
        for byte in data:
            if self.finished:
                break
            if byte in (0x0D, 0x0A):
                out += b"\r\n"
                line = self._line.decode("utf-8", "replace")
                self._line.clear()
                if line.strip() in ("exit", "logout") or line.strip().startswith("exit "):
                    self.finished = True
                    break
                out += self.shell.run(line).replace(b"\n", b"\r\n") + self.prompt()
            elif byte == 0x04 and not self._line:  # ^D on an empty line
                self.finished = True
            elif byte in (0x7F, 0x08):
                if self._line:
                    del self._line[-1]
                    out += b"\b \b"
            elif len(self._line) < self._MAX_LINE:
                self._line.append(byte)
                out.append(byte)
        return bytes(out)


def open_service(phone: Phone, name: str) -> Service | None:
    """The service an OPEN names, or None when this phone has no such service."""
    kind, sep, rest = name.partition(":")
    if not sep:
        return None
    base, *options = kind.split(",")
    if base in ("shell", "exec") and rest and not set(options) - {"raw"}:
        return ShellService(phone, rest)
    if base == "shell" and not rest and not set(options) - {"pty"} - {o for o in options if o.startswith("TERM=")}:
        return InteractiveShell(phone)
    if kind == "sync" and not rest:
        return SyncService(phone)
    return None


@dataclass(slots=True)
class _Stream:
    local_id: int
    remote_id: int
    service: Service
    pending: deque[bytes] = field(default_factory=deque)
    #: Whether the host acknowledged our last WRTE (and may take another).
    ready: bool = True


class Connection:
    """A host's connection to the phone. ``version`` is this adbd's ``A_VERSION``."""

    def __init__(
        self,
        phone: Phone,
        auth: AuthPolicy | None = None,
        *,
        version: int = wire.VERSION_SKIP_CHECKSUM,
        max_payload: int = wire.MAX_PAYLOAD,
        features: tuple[str, ...] = FEATURES,
    ) -> None:
        self.phone = phone
        self.auth = auth or AuthPolicy()
        self.own_version = version
        self.own_max_payload = max_payload
        self.features = features
        self.version = wire.VERSION_MIN
        self.max_payload = wire.MAX_PAYLOAD_V1
        self.online = False
        self.host_banner = ""
        self.opens = 0
        self._decoder = wire.Decoder(max_payload=max_payload)
        self._token: bytes | None = None
        self._streams: dict[int, _Stream] = {}
        self._next_id = 1
        self._out = bytearray()

    @property
    def streams(self) -> int:
        return len(self._streams)

    def banner(self) -> bytes:
        props = self.phone.properties()
        fields = [f"{key}={props.get(key, '')}" for key in ("ro.product.name", "ro.product.model", "ro.product.device")]
        fields.append("features=" + ",".join(self.features))
        return ("device::" + ";".join(fields)).encode()

    def receive(self, data: bytes) -> bytes:
        """Handle the host's bytes; returns the bytes to send back (possibly none)."""
        for message in self._decoder.feed(data):
            self._handle(message)
        out = bytes(self._out)
        self._out.clear()
        return out

    # -- sending --------------------------------------------------------------------------

    def _send(self, command: int, arg0: int, arg1: int, data: bytes = b"") -> None:
        checksummed = self.version < wire.VERSION_SKIP_CHECKSUM
        self._out += wire.encode(Message(command, arg0, arg1, data), checksummed=checksummed)

    def _send_cnxn(self) -> None:
        self.online = True
        self._send(wire.CNXN, self.own_version, self.max_payload, self.banner())

    def _pump(self, stream: _Stream) -> None:
        if stream.ready and stream.pending:
            stream.ready = False
            self._send(wire.WRTE, stream.local_id, stream.remote_id, stream.pending.popleft())
        elif stream.ready and stream.service.finished:
            self._send(wire.CLSE, stream.local_id, stream.remote_id)
            del self._streams[stream.local_id]

    def _queue(self, stream: _Stream, data: bytes) -> None:
        step = self.max_payload
        stream.pending.extend(data[i : i + step] for i in range(0, len(data), step))

    # -- receiving ------------------------------------------------------------------------

    def _handle(self, message: Message) -> None:
        command = message.command
        if command == wire.CNXN:
            self._connect(message)
        elif command == wire.AUTH:
            self._authenticate(message)
        elif not self.online:
            return  # adbd drops everything else until the host is authenticated
        elif command == wire.OPEN:
            self._open(message)
        elif command == wire.OKAY:
            stream = self._streams.get(message.arg1)
            if stream is not None and stream.remote_id == message.arg0:
                stream.ready = True
                self._pump(stream)
        elif command == wire.WRTE:
            stream = self._streams.get(message.arg1)
            if stream is not None and stream.remote_id == message.arg0:
                self._send(wire.OKAY, stream.local_id, stream.remote_id)
                self._queue(stream, stream.service.feed(message.data))
                self._pump(stream)
        elif command == wire.CLSE:
            stream = self._streams.get(message.arg1)
            if stream is not None and message.arg0 in (0, stream.remote_id):
                # The host closed first: adbd closes its socket, whose shutdown sends CLSE.
                del self._streams[stream.local_id]
                self._send(wire.CLSE, stream.local_id, stream.remote_id)

    def _connect(self, message: Message) -> None:
        self._streams.clear()  # a new CNXN restarts the transport
        self.version = min(message.arg0, self.own_version)
        self.max_payload = max(wire.MAX_PAYLOAD_V1, min(message.arg1, self.own_max_payload))
        self._decoder.checksummed = self.version < wire.VERSION_SKIP_CHECKSUM
        self.host_banner = message.data.rstrip(b"\0").decode("utf-8", "replace")
        self.online = False
        if not self.auth.required:
            self._send_cnxn()
            return
        self._send_token()

    def _send_token(self) -> None:
        self._token = self.auth.new_token()
        self._send(wire.AUTH, wire.AUTH_TOKEN, 0, self._token)

    def _authenticate(self, message: Message) -> None:
        if self.online or self._token is None:
            return
        if message.arg0 == wire.AUTH_SIGNATURE:
            if self.auth.check_signature(self._token, message.data):
                self._send_cnxn()
            else:
                self._send_token()
        elif message.arg0 == wire.AUTH_RSAPUBLICKEY and self.auth.offer_key(message.data):
            self._send_cnxn()

    def _open(self, message: Message) -> None:
        self.opens += 1
        name = message.data.rstrip(b"\0").decode("utf-8", "replace")
        service = open_service(self.phone, name)
        if service is None or message.arg0 == 0 or len(self._streams) >= MAX_STREAMS:
            self._send(wire.CLSE, 0, message.arg0)
            return
        stream = _Stream(self._next_id, message.arg0, service)
        self._next_id += 1
        self._streams[stream.local_id] = stream
        self._send(wire.OKAY, stream.local_id, stream.remote_id)
        self._queue(stream, service.start())
        self._pump(stream)
