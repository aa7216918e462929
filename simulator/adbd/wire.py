"""The ADB wire protocol: 24-byte message headers, payload checksums, an incremental decoder.

AOSP ``packages/modules/adb/protocol.txt`` (``docs/dev/protocol.md``): every message is a header
of six little-endian ``uint32`` — command, arg0, arg1, data_length, data_check, magic — and
``data_length`` payload bytes. ``magic`` is ``command ^ 0xffffffff``. ``data_check`` is the byte
sum of the payload for protocol version ``0x01000000``; since ``0x01000001``
(``A_VERSION_SKIP_CHECKSUM``, Android 9) it is not computed (sent as 0) nor checked. The version in
force is the smaller of the two CNXN versions, and until CNXN is done it is ``0x01000000``.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from simulator.errors import AdbProtocolError

HEADER = struct.Struct("<6I")

CNXN = 0x4E584E43
AUTH = 0x48545541
OPEN = 0x4E45504F
OKAY = 0x59414B4F
CLSE = 0x45534C43
WRTE = 0x45545257
SYNC = 0x434E5953
STLS = 0x534C5453
COMMANDS = {
    CNXN: "CNXN",
    AUTH: "AUTH",
    OPEN: "OPEN",
    OKAY: "OKAY",
    CLSE: "CLSE",
    WRTE: "WRTE",
    SYNC: "SYNC",
    STLS: "STLS",
}

VERSION_MIN = 0x01000000  # payload checksums
VERSION_SKIP_CHECKSUM = 0x01000001

#: adbd's ``MAX_PAYLOAD`` since Android 9 (1 MiB); ``MAX_PAYLOAD_V1`` was 4 KiB.
MAX_PAYLOAD = 1024 * 1024
MAX_PAYLOAD_V1 = 4 * 1024

# AUTH arg0.
AUTH_TOKEN = 1
AUTH_SIGNATURE = 2
AUTH_RSAPUBLICKEY = 3


@dataclass(frozen=True, slots=True)
class Message:
    command: int
    arg0: int
    arg1: int
    data: bytes = b""

    @property
    def name(self) -> str:
        return COMMANDS.get(self.command, f"0x{self.command:08x}")

    def __repr__(self) -> str:
        # Payloads carry shell output and files, which may hold secrets: show only their size.
        return f"Message({self.name}, {self.arg0:#x}, {self.arg1:#x}, <{len(self.data)} bytes>)"


def checksum(data: bytes) -> int:
    """``calculate_apacket_checksum``: the sum of the payload bytes, modulo 2**32."""
    return sum(data) & 0xFFFFFFFF


def encode(message: Message, *, checksummed: bool) -> bytes:
    """The header and payload of ``message``; ``checksummed`` for protocol version 0x01000000."""
    check = checksum(message.data) if checksummed else 0
    header = HEADER.pack(
        message.command, message.arg0, message.arg1, len(message.data), check, message.command ^ 0xFFFFFFFF
    )
    return header + message.data


class Decoder:
    """Cuts a byte stream into messages, checking magic, size and (when asked) checksums.

    ``checksummed`` may change between messages (after CNXN), so it is read on every header.
    A broken header is a protocol error: adbd drops such a connection.
    """

    def __init__(self, *, max_payload: int = MAX_PAYLOAD) -> None:
        self.max_payload = max_payload
        self.checksummed = True
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[Message]:
        self._buffer += data
        messages: list[Message] = []
        while len(self._buffer) >= HEADER.size:
            command, arg0, arg1, length, check, magic = HEADER.unpack_from(self._buffer)
            if magic != command ^ 0xFFFFFFFF:
                raise AdbProtocolError(f"bad magic {magic:#010x} for command {command:#010x}")
            if command not in COMMANDS:
                raise AdbProtocolError(f"unknown command {command:#010x}")
            if length > self.max_payload:
                raise AdbProtocolError(f"payload of {length} bytes exceeds the {self.max_payload}-byte maximum")
            if len(self._buffer) < HEADER.size + length:
                break
            payload = bytes(self._buffer[HEADER.size : HEADER.size + length])
            del self._buffer[: HEADER.size + length]
            if self.checksummed and check != checksum(payload):
                raise AdbProtocolError(f"{COMMANDS[command]}: payload checksum {check:#x} is wrong")
            messages.append(Message(command, arg0, arg1, payload))
        return messages

    @property
    def pending(self) -> int:
        """Bytes received that do not yet form a whole message."""
        return len(self._buffer)
