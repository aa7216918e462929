"""The message codec: header layout, magic, checksums per protocol version, stream cutting."""

from __future__ import annotations

import struct

import pytest

from simulator.adbd import wire
from simulator.adbd.wire import Decoder, Message
from simulator.errors import AdbProtocolError


def test_header_is_six_little_endian_words_with_magic() -> None:
    raw = wire.encode(Message(wire.OPEN, 7, 0, b"shell:id\0"), checksummed=True)
    command, arg0, arg1, length, check, magic = struct.unpack("<6I", raw[:24])
    assert raw[:4] == b"OPEN"
    assert (command, arg0, arg1, length) == (wire.OPEN, 7, 0, 9)
    assert check == sum(b"shell:id\0")
    assert magic == command ^ 0xFFFFFFFF
    assert raw[24:] == b"shell:id\0"


def test_no_checksum_from_version_0x01000001() -> None:
    raw = wire.encode(Message(wire.WRTE, 1, 2, b"abc"), checksummed=False)
    assert struct.unpack_from("<I", raw, 16)[0] == 0


def test_decoder_cuts_a_stream_fed_byte_by_byte() -> None:
    messages = [Message(wire.OKAY, 1, 2), Message(wire.WRTE, 1, 2, b"x" * 300), Message(wire.CLSE, 1, 2)]
    stream = b"".join(wire.encode(m, checksummed=True) for m in messages)
    decoder = Decoder()
    got: list[Message] = []
    for i in range(len(stream)):
        got += decoder.feed(stream[i : i + 1])
    assert got == messages
    assert decoder.pending == 0


def test_bad_checksum_refused_only_when_checksums_are_in_force() -> None:
    raw = bytearray(wire.encode(Message(wire.WRTE, 1, 2, b"abc"), checksummed=True))
    raw[16] ^= 0xFF
    with pytest.raises(AdbProtocolError, match="checksum"):
        Decoder().feed(bytes(raw))
    lenient = Decoder()
    lenient.checksummed = False
    assert lenient.feed(bytes(raw))[0].data == b"abc"


def test_bad_magic_and_oversized_payloads_are_protocol_errors() -> None:
    raw = bytearray(wire.encode(Message(wire.OKAY, 1, 2), checksummed=True))
    raw[20] ^= 1
    with pytest.raises(AdbProtocolError, match="magic"):
        Decoder().feed(bytes(raw))
    big = struct.pack("<6I", wire.WRTE, 1, 2, wire.MAX_PAYLOAD + 1, 0, wire.WRTE ^ 0xFFFFFFFF)
    with pytest.raises(AdbProtocolError, match="exceeds"):
        Decoder().feed(big)


def test_repr_hides_payloads() -> None:
    assert "secret" not in repr(Message(wire.WRTE, 1, 2, b"secret"))
