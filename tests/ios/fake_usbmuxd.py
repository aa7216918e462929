"""A usbmuxd on a UNIX socket with one or more pretend iPhones behind it, for pymobiledevice3 to talk to.

There is no iPhone here, so the tests put one at the library's lowest seam: the usbmuxd socket
(``USBMUXD_SOCKET_ADDRESS``). pymobiledevice3's own code runs unchanged on top of it — usbmuxd's
plist protocol (``ReadBUID``, ``ListDevices``, ``ReadPairRecord``, ``Connect``), lockdownd's
length-prefixed plists (``QueryType``, ``GetValue``, ``StartSession`` and the TLS upgrade after
it, ``StartService``), and the services it starts (installation_proxy ``Browse`` in batches with
``ReturnAttributes`` applied; MCInstall ``GetProfileList``, ``GetCloudConfiguration``), each
over its own usbmuxd connection and TLS, as on a device.

Protocol references: libusbmuxd ``usbmuxd-proto.h`` (16-byte little-endian header: length,
version 1 = plist, message 8 = plist, tag; ``Result`` numbers 0 OK, 2 BADDEV, 3 CONNREFUSED),
libimobiledevice ``lockdown.c`` (4-byte big-endian length + XML plist, ``Request`` echoed,
``Error`` strings such as ``InvalidHostID`` and ``PasswordProtected``), ``installation_proxy.c``
(``Status: BrowsingApplications`` with ``CurrentList`` batches, then ``Status: Complete``),
``mobileconfig`` (``Status: Acknowledged``).

The pair record is made with pymobiledevice3's own ``generate_pairing_cert_chain`` from the
pretend device's RSA key: the device serves TLS with the device certificate and checks the
pair record's HostID at ``StartSession``, so an unknown host fails as on a phone.
"""

from __future__ import annotations

import functools
import os
import plistlib
import socket
import socketserver
import ssl
import struct
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.parsers.ios_plists import (
    cloud_configuration_answer,
    installed_apps_answer,
    lockdown_answer,
    profile_list_answer,
)
from simulator.device import IOSDevice

LOCKDOWN_PORT = 62078
HOST_ID = "5D9F1C2E-7A41-4B7E-9C35-0F6B2B1C3A10"
SYSTEM_BUID = "A1B2C3D4-0000-4000-8000-ATTESTLAB001"
BROWSE_BATCH = 2  # apps per CurrentList message (real devices send 20-ish; small to exercise batching)


@dataclass(frozen=True)
class Keys:
    """A pretend device's key and the pair record pymobiledevice3 would hold for it."""

    device_key_pem: bytes
    device_public_pem: bytes
    pair_record: dict[str, Any]


@functools.cache
def keys() -> Keys:
    """Made once per process: RSA keys cost ~0.1 s each."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from pymobiledevice3.ca import generate_pairing_cert_chain

    device_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    device_key_pem = device_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    )
    public_pem = device_key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.PKCS1)
    host_cert, host_key, device_cert, root_cert, root_key = generate_pairing_cert_chain(public_pem)
    record = {
        "DeviceCertificate": device_cert,
        "HostCertificate": host_cert,
        "HostPrivateKey": host_key,
        "RootCertificate": root_cert,
        "RootPrivateKey": root_key,
        "HostID": HOST_ID,
        "SystemBUID": SYSTEM_BUID,
        "EscrowBag": b"\0" * 32,
        "WiFiMACAddress": "00:00:5e:00:53:01",
    }
    return Keys(device_key_pem, public_pem, record)


@dataclass
class FakeDevice:
    """What one pretend device answers. Answers are the objects a device returns (plist-able)."""

    udid: str
    all_values: dict[str, Any]
    apps: list[dict[str, Any]] = field(default_factory=list)
    profile_list: dict[str, Any] = field(default_factory=dict)
    cloud_configuration: dict[str, Any] | None = None
    #: usbmuxd holds a pair record for it (else: "not paired").
    paired: bool = True
    #: The device rejects the host's record (it was removed on the device: "Forget this computer").
    knows_host: bool = True
    #: Passcode-locked: lockdownd refuses to start services (``PasswordProtected``).
    locked: bool = False
    #: Accept usbmuxd connections but never answer lockdownd (a wedged device).
    silent: bool = False
    connection_type: str = "USB"
    #: Every request seen, for assertions: ("usbmuxd"|"lockdown"|service name, request name).
    seen: list[tuple[str, str]] = field(default_factory=list)


class FakeUsbmuxd:
    """``with FakeUsbmuxd(path, devices) as mux:`` serves until the block ends (threads joined)."""

    def __init__(self, path: Path, devices: list[FakeDevice]) -> None:
        self.path = path
        self.devices = {i + 1: d for i, d in enumerate(devices)}
        self._services: dict[tuple[int, int], tuple[str, bool]] = {}
        self._next_port = 49152
        self._lock = threading.Lock()
        outer = self

        self._clients: list[socket.socket] = []

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                with outer._lock:
                    outer._clients.append(self.request.dup())  # survives the TLS wrap's detach
                # the client went away, or the test ended: normal at close
                with suppress(OSError, ssl.SSLError, EOFError):
                    outer._serve(self.request)

        class Server(socketserver.ThreadingUnixStreamServer):
            daemon_threads = False
            block_on_close = True  # server_close() joins every handler thread

        self._server = Server(str(path), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), name="fake-usbmuxd")

    def __enter__(self) -> FakeUsbmuxd:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        with self._lock:
            for client in self._clients:  # wake handlers blocked in recv (a silent device's)
                with suppress(OSError):
                    client.shutdown(socket.SHUT_RDWR)
                client.close()
        self._server.server_close()
        self._thread.join()

    # -- usbmuxd -----------------------------------------------------------------------------

    def _serve(self, sock: socket.socket) -> None:
        while True:
            header = _recv_exactly(sock, 16)
            length, _version, _message, tag = struct.unpack("<IIII", header)
            body = plistlib.loads(_recv_exactly(sock, length - 16))
            kind = body.get("MessageType")
            device_id = body.get("DeviceID")
            device = self.devices.get(device_id) if isinstance(device_id, int) else None
            for d in self.devices.values():
                d.seen.append(("usbmuxd", str(kind)))
            if kind == "ReadBUID":
                _reply(sock, tag, {"BUID": SYSTEM_BUID})
            elif kind == "ListDevices":
                _reply(sock, tag, {"DeviceList": [self._attached(i, d) for i, d in self.devices.items()]})
            elif kind == "ReadPairRecord":
                found = next((d for d in self.devices.values() if d.udid == body.get("PairRecordID")), None)
                if found is None or not found.paired:
                    _reply(sock, tag, {"MessageType": "Result", "Number": 2})
                else:
                    _reply(sock, tag, {"PairRecordData": plistlib.dumps(keys().pair_record)})
            elif kind == "Connect":
                port = socket.ntohs(body.get("PortNumber", 0))
                if device is None:
                    _reply(sock, tag, {"MessageType": "Result", "Number": 2})
                    continue
                service = self._services.get((device_id, port)) if port != LOCKDOWN_PORT else ("lockdown", False)
                if service is None:
                    _reply(sock, tag, {"MessageType": "Result", "Number": 3})
                    continue
                _reply(sock, tag, {"MessageType": "Result", "Number": 0})
                self._device_stream(sock, device_id, device, *service)
                return
            else:
                _reply(sock, tag, {"MessageType": "Result", "Number": 1})

    @staticmethod
    def _attached(device_id: int, device: FakeDevice) -> dict[str, Any]:
        return {
            "MessageType": "Attached",
            "DeviceID": device_id,
            "Properties": {
                "ConnectionType": device.connection_type,
                "DeviceID": device_id,
                "LocationID": 0,
                "ProductID": 0x12A8,
                "SerialNumber": device.udid,
            },
        }

    # -- behind Connect: lockdownd and its services ------------------------------------------------

    def _device_stream(self, sock: socket.socket, device_id: int, device: FakeDevice, name: str, tls: bool) -> None:
        stream: socket.socket | ssl.SSLSocket = _device_tls().wrap_socket(sock, server_side=True) if tls else sock
        try:
            if name == "lockdown":
                self._lockdown(stream, device_id, device)
            elif name == "com.apple.mobile.installation_proxy":
                self._installation_proxy(stream, device)
            elif name == "com.apple.mobile.MCInstall":
                self._mcinstall(stream, device)
        finally:
            _close(stream)

    def _lockdown(self, stream: socket.socket | ssl.SSLSocket, device_id: int, device: FakeDevice) -> None:
        while True:
            request = _recv_plist(stream)
            name = str(request.get("Request"))
            device.seen.append(("lockdown", name))
            if device.silent:
                continue
            answer: dict[str, Any] = {"Request": name}
            if name == "QueryType":
                answer["Type"] = "com.apple.mobile.lockdown"
            elif name == "GetValue":
                key = request.get("Key")
                values = device.all_values | {"DevicePublicKey": keys().device_public_pem}
                if key is None:
                    answer["Value"] = values
                elif key in values:
                    answer |= {"Key": key, "Value": values[key]}
                else:
                    answer["Error"] = "MissingValue"
            elif name == "StartSession":
                if request.get("HostID") != HOST_ID or not device.knows_host:
                    answer["Error"] = "InvalidHostID"
                else:
                    answer |= {"SessionID": "F0E1D2C3-SESSION", "EnableSessionSSL": True}
                    _send_plist(stream, answer)
                    secure = _device_tls().wrap_socket(stream, server_side=True)
                    try:
                        self._lockdown(secure, device_id, device)
                    finally:
                        _close(secure)
                    return
            elif name == "StartService":
                service = str(request.get("Service"))
                if device.locked:
                    answer["Error"] = "PasswordProtected"
                elif service not in ("com.apple.mobile.installation_proxy", "com.apple.mobile.MCInstall"):
                    answer["Error"] = "InvalidService"
                else:
                    with self._lock:
                        port = self._next_port
                        self._next_port += 1
                        self._services[(device_id, port)] = (service, True)
                    answer |= {"Service": service, "Port": port, "EnableServiceSSL": True}
            elif name == "StopSession":
                answer["Result"] = "Success"
            else:
                answer["Error"] = "InvalidRequest"
            _send_plist(stream, answer)

    def _installation_proxy(self, stream: socket.socket | ssl.SSLSocket, device: FakeDevice) -> None:
        while True:
            self._browse(stream, device, _recv_plist(stream))

    def _browse(self, stream: socket.socket | ssl.SSLSocket, device: FakeDevice, request: dict[str, Any]) -> None:
        device.seen.append(("com.apple.mobile.installation_proxy", str(request.get("Command"))))
        options = request.get("ClientOptions", {})
        wanted = options.get("ApplicationType", "Any")
        attributes = options.get("ReturnAttributes")
        apps = [a for a in device.apps if wanted in ("Any", a.get("ApplicationType", "User"))]
        if attributes:
            apps = [{k: v for k, v in a.items() if k in attributes} for a in apps]
        for start in range(0, len(apps), BROWSE_BATCH):
            batch = apps[start : start + BROWSE_BATCH]
            _send_plist(
                stream,
                {
                    "Status": "BrowsingApplications",
                    "CurrentIndex": start,
                    "CurrentAmount": len(batch),
                    "Total": len(apps),
                    "CurrentList": batch,
                },
            )
        _send_plist(stream, {"Status": "Complete"})

    def _mcinstall(self, stream: socket.socket | ssl.SSLSocket, device: FakeDevice) -> None:
        while True:
            request = _recv_plist(stream)
            kind = str(request.get("RequestType"))
            device.seen.append(("com.apple.mobile.MCInstall", kind))
            if kind == "GetProfileList":
                _send_plist(stream, {"Status": "Acknowledged"} | device.profile_list)
            elif kind == "GetCloudConfiguration":
                answer: dict[str, Any] = {"Status": "Acknowledged"}
                if device.cloud_configuration is not None:
                    answer["CloudConfiguration"] = device.cloud_configuration
                _send_plist(stream, answer)
            else:
                _send_plist(stream, {"Status": "Error", "ErrorChain": [{"ErrorCode": 1}]})


@functools.cache
def _device_tls() -> ssl.SSLContext:
    """The device side of lockdown TLS, serving the device certificate of the pair record.

    The host certificate is not verified: pymobiledevice3 (like libimobiledevice) makes root and
    host certificates with empty subject names, which OpenSSL's chain check takes for self-signed.
    """
    record = keys().pair_record
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    with tempfile.NamedTemporaryFile("wb", suffix=".pem", delete=False) as f:
        f.write(record["DeviceCertificate"] + b"\n" + keys().device_key_pem)
    try:
        context.load_cert_chain(f.name)
    finally:
        os.unlink(f.name)
    return context


def _close(stream: socket.socket | ssl.SSLSocket) -> None:
    """Close as a device does: a TLS close_notify first, which the client's close waits for."""
    if isinstance(stream, ssl.SSLSocket):
        try:
            stream.settimeout(1)
            stream.unwrap()
        except (OSError, ssl.SSLError, ValueError):
            pass
    stream.close()


def _recv_exactly(sock: socket.socket | ssl.SSLSocket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data


def _reply(sock: socket.socket, tag: int, body: dict[str, Any]) -> None:
    payload = plistlib.dumps(body)
    sock.sendall(struct.pack("<IIII", 16 + len(payload), 1, 8, tag) + payload)


def _recv_plist(stream: socket.socket | ssl.SSLSocket) -> dict[str, Any]:
    (length,) = struct.unpack(">I", _recv_exactly(stream, 4))
    value = plistlib.loads(_recv_exactly(stream, length))
    assert isinstance(value, dict)
    return value


def _send_plist(stream: socket.socket | ssl.SSLSocket, value: dict[str, Any]) -> None:
    payload = plistlib.dumps(value)
    stream.sendall(struct.pack(">I", len(payload)) + payload)


@contextmanager
def serving(path: Path, *devices: FakeDevice) -> Iterator[FakeUsbmuxd]:
    with FakeUsbmuxd(path, list(devices)) as mux:
        yield mux


def fake_device(device: IOSDevice, **kwargs: Any) -> Any:
    """The pretend phone answering what ``device`` (the model) would answer a host."""
    apps = installed_apps_answer(device)
    return FakeDevice(
        udid=device.identity.udid,
        all_values=lockdown_answer(device) | {"BuildVersion": "21F90", "UniqueChipID": 0x1E38002E},
        apps=[*apps, {"ApplicationType": "System", "CFBundleIdentifier": "com.apple.mobilesafari"}],
        profile_list=profile_list_answer(device),
        cloud_configuration=cloud_configuration_answer(device),
        **kwargs,
    )
