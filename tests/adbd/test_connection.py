"""The connection state machine, driven over the in-memory link as a host would drive it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

from simulator.adbd import AuthPolicy, MemoryLink, Phone, wire
from simulator.adbd.auth import decode_public_key, encode_public_key
from simulator.adbd.wire import Decoder, Message
from simulator.errors import AdbProtocolError


class Host:
    """The host side of a link: sends messages, decodes what the phone answers."""

    def __init__(self, link: MemoryLink, *, version: int = wire.VERSION_SKIP_CHECKSUM) -> None:
        self.link = link
        self.version = version
        self.decoder = Decoder()

    @property
    def checksummed(self) -> bool:
        return self.link.connection.version < wire.VERSION_SKIP_CHECKSUM

    def send(self, command: int, arg0: int, arg1: int, data: bytes = b"") -> list[Message]:
        self.link.write(wire.encode(Message(command, arg0, arg1, data), checksummed=self.checksummed))
        self.decoder.checksummed = self.checksummed
        return self.decoder.feed(self.link.read(1 << 30))

    def connect(self, max_payload: int = wire.MAX_PAYLOAD) -> list[Message]:
        return self.send(wire.CNXN, self.version, max_payload, b"host::features=shell_v2,cmd\0")

    def run(self, local_id: int, service: str) -> bytes:
        """OPEN a service, acknowledge every WRTE, return the data until the phone's CLSE."""
        replies = self.send(wire.OPEN, local_id, 0, service.encode() + b"\0")
        assert replies[0].command == wire.OKAY and replies[0].arg1 == local_id
        remote = replies[0].arg0
        data = b""
        while True:
            for message in replies:
                if message.command == wire.WRTE:
                    data += message.data
                if message.command == wire.CLSE:
                    return data
            replies = self.send(wire.OKAY, local_id, remote)


def key_pair() -> tuple[rsa.RSAPrivateKey, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key, encode_public_key(key.public_key()) + b"\0"


def sign(key: rsa.RSAPrivateKey, token: bytes) -> bytes:
    return key.sign(token, padding.PKCS1v15(), Prehashed(hashes.SHA1()))


def test_without_auth_cnxn_is_answered_with_the_banner(phone: Callable[..., Phone]) -> None:
    host = Host(MemoryLink(phone(), AuthPolicy(required=False)))
    (cnxn,) = host.connect(max_payload=8192)
    assert (cnxn.command, cnxn.arg0, cnxn.arg1) == (wire.CNXN, wire.VERSION_SKIP_CHECKSUM, 8192)
    banner = cnxn.data.decode()
    assert banner == "device::ro.product.name=pixel8;ro.product.model=Pixel 8;ro.product.device=pixel8;features=stat_v2"


def test_signature_path_accepts_a_trusted_key_and_retries_a_wrong_one(phone: Callable[..., Phone]) -> None:
    trusted, _ = key_pair()
    stranger, _ = key_pair()
    policy = AuthPolicy(accept_new_keys=False, trusted=[trusted.public_key()])
    host = Host(MemoryLink(phone(), policy))
    (token,) = host.connect()
    assert (token.command, token.arg0, len(token.data)) == (wire.AUTH, wire.AUTH_TOKEN, 20)
    (again,) = host.send(wire.AUTH, wire.AUTH_SIGNATURE, 0, sign(stranger, token.data))
    assert again.arg0 == wire.AUTH_TOKEN and again.data != token.data  # a new token each time
    assert host.send(wire.OPEN, 1, 0, b"shell:id\0") == []  # dropped while unauthorized
    (cnxn,) = host.send(wire.AUTH, wire.AUTH_SIGNATURE, 0, sign(trusted, again.data))
    assert cnxn.command == wire.CNXN and host.link.connection.online


def test_public_key_path_prompt_allows_or_stays_unanswered(phone: Callable[..., Phone]) -> None:
    key, public = key_pair()
    refusing = Host(MemoryLink(phone(), AuthPolicy(accept_new_keys=False)))
    refusing.connect()
    assert refusing.send(wire.AUTH, wire.AUTH_RSAPUBLICKEY, 0, public) == []
    assert not refusing.link.connection.online

    policy = AuthPolicy(accept_new_keys=True)
    host = Host(MemoryLink(phone(), policy))
    host.connect()
    (cnxn,) = host.send(wire.AUTH, wire.AUTH_RSAPUBLICKEY, 0, public)
    assert cnxn.command == wire.CNXN
    # "Always allow": the next connection gets in by signature.
    second = Host(MemoryLink(phone(), policy))
    (token,) = second.connect()
    assert second.send(wire.AUTH, wire.AUTH_SIGNATURE, 0, sign(key, token.data))[0].command == wire.CNXN


def test_public_key_codec_round_trips_and_rejects_garbage() -> None:
    key, public = key_pair()
    assert decode_public_key(public).public_numbers() == key.public_key().public_numbers()
    with pytest.raises(AdbProtocolError):
        decode_public_key(b"not base64!\0")


@pytest.mark.parametrize("version", [wire.VERSION_MIN, wire.VERSION_SKIP_CHECKSUM])
def test_checksums_follow_the_negotiated_version(phone: Callable[..., Phone], version: int) -> None:
    link = MemoryLink(phone(), AuthPolicy(required=False))
    link.write(wire.encode(Message(wire.CNXN, version, 4096, b"host::\0"), checksummed=True))
    raw = link.read(1 << 20)
    assert link.connection.version == version
    check = int.from_bytes(raw[16:20], "little")
    assert check == (sum(raw[24:]) if version == wire.VERSION_MIN else 0)
    if version == wire.VERSION_MIN:
        bad = bytearray(wire.encode(Message(wire.OPEN, 1, 0, b"shell:id\0"), checksummed=True))
        bad[16] ^= 1
        with pytest.raises(AdbProtocolError, match="checksum"):
            link.write(bytes(bad))


def test_output_is_cut_to_the_payload_size_and_waits_for_each_okay(phone: Callable[..., Phone]) -> None:
    host = Host(MemoryLink(phone(), AuthPolicy(required=False)))
    host.connect(max_payload=4096)
    script = "getprop; " * 30  # ~ 13 kB of output
    replies = host.send(wire.OPEN, 5, 0, f"shell:{script}\0".encode())
    assert [m.command for m in replies] == [wire.OKAY, wire.WRTE]  # one WRTE until acknowledged
    assert len(replies[1].data) == 4096
    host2 = Host(MemoryLink(phone(), AuthPolicy(required=False)))
    host2.connect(max_payload=4096)
    assert len(host2.run(5, f"shell:{script}")) > 3 * 4096


def test_several_streams_at_once_keep_their_ids(phone: Callable[..., Phone]) -> None:
    host = Host(MemoryLink(phone(), AuthPolicy(required=False)))
    host.connect(max_payload=4096)
    first = host.send(wire.OPEN, 11, 0, b"shell:getprop; getprop; getprop\0")
    second = host.send(wire.OPEN, 12, 0, b"shell:echo two\0")
    (okay1, wrte1), (okay2, wrte2) = first, second
    assert okay1.arg0 != okay2.arg0 and (okay1.arg1, okay2.arg1) == (11, 12)
    assert (wrte1.arg1, wrte2.arg1, wrte2.data) == (11, 12, b"two\n")
    (clse2,) = host.send(wire.OKAY, 12, okay2.arg0)  # the phone closes once its data is acknowledged
    assert (clse2.command, clse2.arg0, clse2.arg1) == (wire.CLSE, okay2.arg0, 12)
    assert host.link.connection.streams == 1


def test_unknown_service_is_refused_with_clse_zero(phone: Callable[..., Phone]) -> None:
    host = Host(MemoryLink(phone(), AuthPolicy(required=False)))
    host.connect()
    for service in (b"reverse:list\0", b"shell,v2:id\0", b"framebuffer:\0"):
        (clse,) = host.send(wire.OPEN, 3, 0, service)
        assert (clse.command, clse.arg0, clse.arg1) == (wire.CLSE, 0, 3)


def test_host_close_is_answered_and_sync_serves_over_writes(phone: Callable[..., Phone]) -> None:
    host = Host(MemoryLink(phone(), AuthPolicy(required=False)))
    host.connect()
    okay, *_ = host.send(wire.OPEN, 9, 0, b"sync:\0")
    path = b"/data/system/users/10"
    okay_w, wrte = host.send(wire.WRTE, 9, okay.arg0, b"STAT" + len(path).to_bytes(4, "little") + path)
    assert okay_w.command == wire.OKAY and wrte.data[:4] == b"STAT"
    assert int.from_bytes(wrte.data[4:8], "little") == 0  # uid 2000 cannot stat below users/: zeros
    (clse,) = host.send(wire.CLSE, 9, okay.arg0)
    assert (clse.command, clse.arg1) == (wire.CLSE, 9)
    assert host.link.connection.streams == 0


def test_interactive_shell_echoes_runs_lines_and_exits(phone: Callable[..., Phone]) -> None:
    host = Host(MemoryLink(phone(), AuthPolicy(required=False)))
    host.connect()
    okay, prompt = host.send(wire.OPEN, 4, 0, b"shell:\0")
    assert prompt.data == b"pixel8:/ $ "
    host.send(wire.OKAY, 4, okay.arg0)
    _, echoed = host.send(wire.WRTE, 4, okay.arg0, b"false; echo $?\n")
    assert echoed.data == b"false; echo $?\r\n1\r\npixel8:/ $ "  # pty echo, ONLCR, the prompt again
    host.send(wire.OKAY, 4, okay.arg0)
    _, last = host.send(wire.WRTE, 4, okay.arg0, b"exit\n")
    assert last.data == b"exit\r\n"
    (clse,) = host.send(wire.OKAY, 4, okay.arg0)
    assert (clse.command, clse.arg1, host.link.connection.streams) == (wire.CLSE, 4, 0)
