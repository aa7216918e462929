"""``adb:HOST:PORT``: adb-shell straight to adbd over TCP, no adb server needed.

The one module that imports adb-shell (the ``[android]`` extra); the registry imports this
module only when an ``adb:`` source is opened. adb-shell's behaviour this module corrects:

* its TCP transport treats a closed socket as "no data yet" and spins until its read timeout;
  :class:`_Tcp` raises on EOF, so a dropped phone is noticed at once (and re-connected);
* its exceptions share no base and raw ``OSError``s leak (DOMAIN.md §8): :meth:`AdbTransport._translate`
  turns them into :class:`~harness.errors.SourceError` lines with the fix;
* ``shell()`` buffers without bound: output goes through a bounded sink instead;
* ``pull()`` opens a sync session per file and knows no STA2, so one missing file ends the
  session: files are pulled as ``adb pull`` does, all in one session (:class:`_AdbStream`,
  the one user of adb-shell's private stream calls).

The RSA key is the one adb itself would use if given (``--adb-key ~/.android/adbkey``), else
attestlab's own under the user's config directory (``$XDG_CONFIG_HOME/attestlab/adbkey``,
created on first use, private key mode 0600): the phone asks once to trust it.
"""

from __future__ import annotations

import base64
import os
import socket
import struct
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

from adb_shell import constants
from adb_shell import exceptions as adb_errors
from adb_shell.adb_device import AdbDevice
from adb_shell.adb_message import AdbMessage
from adb_shell.auth.keygen import ANDROID_PUBKEY_MODULUS_SIZE, ANDROID_RSAPUBLICKEY_STRUCT, get_user_info
from adb_shell.transport.tcp_transport import TcpTransport
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa, utils

from harness.errors import SourceError
from harness.source_options import SourceOptions
from harness.sources import sync_client
from harness.sources.android_live import AndroidLiveTransport, Bounded, Deadline, Dropped
from harness.sources.transport import Answer, port_number

KEY_NAME = "adbkey"
FIX_UNREACHABLE = (
    ": enable USB debugging on the phone, then, with it on USB, run `adb tcpip 5555` first "
    "(or read it through the adb server: adb-server:SERIAL)"
)
FIX_AUTH = "accept the RSA key prompt on the device (“Allow USB debugging?”), then try again"


def default_key_path() -> Path:
    """``$XDG_CONFIG_HOME/attestlab/adbkey`` (``~/.config`` when unset; ``%APPDATA%`` on Windows)."""
    if sys.platform == "win32" and os.environ.get("APPDATA"):
        base = Path(os.environ["APPDATA"])
    else:
        base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "attestlab" / KEY_NAME


def android_public_key(key: rsa.RSAPublicKey) -> bytes:
    """adb's ``RSAPublicKey`` struct (``android_pubkey_encode``): modulus size in words, n0inv =
    -1/n mod 2^32, n and rr = 2^(2*2048) mod n little-endian, e — what ``adbkey.pub`` holds in
    base64 (the same as adb-shell's ``encode_pubkey``, without loading the key file again)."""
    numbers = key.public_numbers()
    size = ANDROID_PUBKEY_MODULUS_SIZE
    n0inv = (1 << 32) - pow(numbers.n % (1 << 32), -1, 1 << 32)
    rr = pow(2, size * 8 * 2, numbers.n)
    return struct.pack(
        ANDROID_RSAPUBLICKEY_STRUCT,
        size // 4,
        n0inv,
        numbers.n.to_bytes(size, "little"),
        rr.to_bytes(size, "little"),
        numbers.e,
    )


class _Signer:
    """adb-shell's signer interface over a private key (the public half derived, so a key
    given with ``--adb-key`` needs no ``.pub`` beside it)."""

    def __init__(self, path: Path) -> None:
        try:
            # The key is the user's own, not input to check: cryptography's RSA validation costs
            # half a second per load, as much as a whole device read.
            key = serialization.load_pem_private_key(path.read_bytes(), None, unsafe_skip_rsa_key_validation=True)
        except OSError as exc:
            raise SourceError(f"adb key {path}: cannot read ({exc.strerror or type(exc).__name__})") from None
        except (ValueError, TypeError):
            raise SourceError(f"adb key {path}: not an unencrypted PEM private key (adb's adbkey format)") from None
        if not isinstance(key, rsa.RSAPrivateKey) or key.key_size != ANDROID_PUBKEY_MODULUS_SIZE * 8:
            raise SourceError(f"adb key {path}: not a 2048-bit RSA key (adb's key format)")
        self._key = key
        self._public = base64.b64encode(android_public_key(key.public_key())) + str(get_user_info()).encode()

    def Sign(self, data: bytes) -> bytes:  # adb-shell's name
        return self._key.sign(data, padding.PKCS1v15(), utils.Prehashed(hashes.SHA1()))

    def GetPublicKey(self) -> bytes:  # adb-shell's name
        return self._public


_signers: dict[tuple[Path, int], _Signer] = {}


def load_key(path: Path | None) -> _Signer:
    """The key given, or attestlab's own (created the first time, readable only by the user);
    loaded once per process."""
    path = path if path is not None else _own_key()
    try:
        stamp = path.stat().st_mtime_ns
    except OSError as exc:
        raise SourceError(f"adb key {path}: cannot read ({exc.strerror or type(exc).__name__})") from None
    if (path, stamp) not in _signers:
        _signers[(path, stamp)] = _Signer(path)
    return _signers[(path, stamp)]


def _own_key() -> Path:
    path = default_key_path()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        partial = path.with_name(f"{KEY_NAME}.{os.getpid()}.tmp")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(pem)
        os.replace(partial, path)  # atomic: parallel first uses all end with one whole key
    return path


class _Tcp(TcpTransport):  # type: ignore[misc]
    """adb-shell's TCP transport, but a closed socket is a dropped connection, not silence, and
    connecting has its own timeout (adb-shell uses the read timeout). While ``handshake`` is a
    buffer, what the device sends is kept there too: adb-shell drops the device's CNXN banner,
    which says what the device can do (``features=...``)."""

    def __init__(self, host: str, port: int, connect_s: float) -> None:
        super().__init__(host, port)
        self.connect_s = connect_s
        self.handshake: bytearray | None = None

    def connect(self, transport_timeout_s: float | None) -> None:
        super().connect(self.connect_s)

    def bulk_read(self, numbytes: int, transport_timeout_s: float | None) -> bytes:
        data: bytes = super().bulk_read(numbytes, transport_timeout_s)
        if not data:
            raise Dropped("the device closed the connection")
        if self.handshake is not None:
            self.handshake += data
        return data


#: An ADB packet header: command, arg0, arg1, data length, data checksum, magic.
PACKET_HEADER = struct.Struct("<6I")
CNXN = int.from_bytes(b"CNXN", "little")


def device_features(handshake: bytes) -> frozenset[str]:
    """The features in the device's last CNXN banner among the packets of ``handshake``
    (``device::ro.product.name=..;..;features=shell_v2,stat_v2,..``); none when absent, as
    ``adb`` assumes for an old adbd."""
    banner = b""
    position = 0
    while position + PACKET_HEADER.size <= len(handshake):
        command, _, _, length = PACKET_HEADER.unpack_from(handshake, position)[:4]
        start = position + PACKET_HEADER.size
        if command == CNXN:
            banner = handshake[start : start + length]
        position = start + length
    _, _, properties = banner.decode("utf-8", "replace").partition("::")
    for field in properties.rstrip("\0").split(";"):
        if field.startswith("features="):
            return frozenset(filter(None, field.removeprefix("features=").split(",")))
    return frozenset()


class AdbTransport(AndroidLiveTransport):
    """One adbd over TCP, connected on first use and kept for the whole read."""

    unreachable_fix: ClassVar[str] = FIX_UNREACHABLE

    def __init__(self, spec: str, host: str, port: int, options: SourceOptions) -> None:
        super().__init__(spec, options)
        self.host, self.port = host, port
        self._device: Any = None
        self._features: frozenset[str] = frozenset()

    def _connect(self) -> None:
        signer = load_key(self.options.adb_key)
        tcp = _Tcp(self.host, self.port, self.limits.connect_s)
        tcp.handshake = bytearray()
        device = AdbDevice(tcp)
        device.connect(
            rsa_keys=[signer],
            transport_timeout_s=self.limits.read_s,
            auth_timeout_s=self.limits.auth_s,
            read_timeout_s=self.limits.read_s,
        )
        self._features = device_features(bytes(tcp.handshake))
        tcp.handshake = None
        self._device = device

    def _disconnect(self) -> None:
        device, self._device = self._device, None
        if device is not None:
            device.close()

    def _shell(self, command: str, sink: Bounded) -> None:
        for chunk in self._device.streaming_shell(
            command, transport_timeout_s=self.limits.read_s, read_timeout_s=self.limits.read_s, decode=False
        ):
            sink.add(chunk)

    def _pull(self, paths: Sequence[str], deadline: Deadline) -> list[Answer]:
        """All files in one sync session where adbd allows it, as ``adb pull`` does
        (:mod:`.sync_client`): adb-shell's ``pull`` opens a session per file and knows no STA2."""
        return sync_client.pull_files(
            lambda: _AdbStream(self._device, self.limits.read_s),
            paths,
            stat_v2="stat_v2" in self._features,
            spec=self.spec,
            max_bytes=self.limits.max_bytes,
            deadline=deadline,
        )

    def _translate(self, exc: Exception, connecting: bool) -> Exception | None:
        where = f"{self.spec}"
        if isinstance(exc, ConnectionRefusedError | socket.gaierror) or (
            connecting and isinstance(exc, OSError) and not isinstance(exc, ConnectionResetError)
        ):
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
            return SourceError(f"{where}: cannot connect ({reason}){FIX_UNREACHABLE}")
        if isinstance(exc, adb_errors.DeviceAuthError):
            return SourceError(f"{where}: the device requires authentication and refused the key: {FIX_AUTH}")
        if isinstance(exc, adb_errors.TcpTimeoutException | adb_errors.AdbTimeoutError):
            if connecting:
                return SourceError(f"{where}: no answer to the ADB handshake (CNXN/AUTH) in time: {FIX_AUTH}")
            return SourceError(f"{where}: the device stopped answering (nothing for {self.limits.read_s:g} s)")
        if isinstance(exc, adb_errors.InvalidChecksumError):
            return SourceError(f"{where}: corrupt ADB packet from the device (bad checksum); check the network")
        if isinstance(exc, adb_errors.InvalidCommandError | adb_errors.InvalidResponseError):
            return SourceError(f"{where}: not an ADB daemon, or it broke the protocol ({exc})"[:300])
        if isinstance(exc, adb_errors.AdbConnectionError):
            return Dropped("not connected")
        return None


class _AdbStream:
    """One ``sync:`` stream over adb-shell's connection, as :class:`~.sync_client.SyncStream`.

    adb-shell has no public call for a stream that stays open across requests, so this is the
    one place that uses its private ones (``AdbDevice._open``, ``_read_until``, ``_clse``,
    ``_io_manager.send``, ``_maxdata``; adb-shell's version is pinned to the range they were
    checked in, pyproject.toml). ADB streams are flow-controlled: each WRTE waits for the
    device's OKAY, and each WRTE of the device is acknowledged (``_read_until`` does).
    """

    def __init__(self, device: Any, read_s: float) -> None:
        self._device = device
        self._buffer = bytearray()
        self._closed = False
        self._info = device._open(b"sync:", read_s, read_s, None)

    def send(self, data: bytes) -> None:
        step = self._device._maxdata
        for start in range(0, len(data), step):
            message = AdbMessage(constants.WRTE, self._info.local_id, self._info.remote_id, data[start : start + step])
            self._device._io_manager.send(message, self._info)
            while self._next() != constants.OKAY:
                pass  # the device's answer may come before its OKAY: kept in the buffer

    def read_exact(self, size: int) -> bytes:
        while len(self._buffer) < size:
            self._next()
        data = bytes(self._buffer[:size])
        del self._buffer[:size]
        return data

    def _next(self) -> bytes:
        command, data = self._device._read_until([constants.OKAY, constants.WRTE, constants.CLSE], self._info)
        if command == constants.CLSE:
            self._closed = True
            raise Dropped("the device closed the sync stream early")
        if command == constants.WRTE:
            self._buffer += data
        return bytes(command)

    def __enter__(self) -> _AdbStream:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *_: object) -> None:
        # After QUIT or a FAIL adbd closes the stream: close ours and wait for its CLSE, as
        # ``adb`` waits for the orderly shutdown. After an error the connection is dropped anyway.
        if exc_type is None and not self._closed:
            self._device._clse(self._info)


def open_adb(spec: str, target: str, options: SourceOptions) -> AdbTransport:
    """``HOST:PORT`` (``[v6addr]:PORT`` for IPv6) -> a transport; connects on the first request."""
    host, sep, port = target.rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    number = port_number(port)
    if not sep or not host or not number:
        raise SourceError(f"source {spec!r}: expected adb:HOST:PORT, e.g. adb:192.168.1.20:5555")
    return AdbTransport(spec, host, number, options)
