"""The loopback channel over real HTTP on 127.0.0.1, on ports the OS assigns.

The browser side is :class:`~simulator.signin.HttpChannel` (httpx); the Okta Verify side is
:class:`~simulator.okta_verify.loopback.LoopbackServer` serving the chain's port.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from simulator.device import AndroidDevice, AnyDevice, Platform
from simulator.emm import Intune
from simulator.ids import OKTA_VERIFY_ANDROID
from simulator.okta_verify.loopback import CALLER_HEADER, MAX_BODY, LoopbackServer
from simulator.signin import HttpChannel
from simulator.verdict import Outcome, Reason

Provision = Callable[..., Any]


@pytest.fixture
def managed(provision: Provision, platform: Platform) -> Any:
    return provision(platform, Intune)


@pytest.fixture
def server(managed: Any) -> Iterator[LoopbackServer]:
    with LoopbackServer(managed.chain.port()) as running:
        yield running


@pytest.fixture
def channel(server: LoopbackServer) -> Iterator[HttpChannel]:
    http = HttpChannel(server.url, timeout=5.0)
    yield http
    http.close()


@pytest.fixture
def client(server: LoopbackServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=5.0) as http:
        yield http


def test_listens_on_an_os_assigned_loopback_port(server: LoopbackServer) -> None:
    assert server.url.startswith("http://127.0.0.1:")
    assert int(server.url.rsplit(":", 1)[1]) > 0


def test_probe(channel: HttpChannel, managed: Any) -> None:
    from simulator.signin import default_browser_user

    assert channel.probe(default_browser_user(managed.device)) == 200


def test_managed_sign_in_over_http(channel: HttpChannel, managed: Any) -> None:
    decision = managed.chain.sign_in(channel=channel)

    assert decision.outcome is Outcome.MANAGED
    assert decision.matched_config == managed.config.name
    assert managed.chain.inventory_status() is Outcome.MANAGED


def test_probe_and_challenge_from_another_profile_get_503(provision: Provision) -> None:
    s = provision(Platform.ANDROID, Intune)
    with LoopbackServer(s.chain.port()) as server, httpx.Client(base_url=server.url) as http:
        probe = http.get("/probe", headers={CALLER_HEADER: "0"})
        challenge = http.post("/challenge", json={"challengeRequest": "x"}, headers={CALLER_HEADER: "0"})
        channel = HttpChannel(server.url)
        try:
            decision = s.chain.sign_in(browser_user=0, channel=channel)
        finally:
            channel.close()

    assert probe.status_code == 503
    assert challenge.status_code == 503
    assert decision.reason is Reason.APP_NOT_IN_WORK_PROFILE


def test_personal_copy_holds_the_port_over_http(provision: Provision) -> None:
    def also_personal(device: AnyDevice) -> None:
        assert isinstance(device, AndroidDevice)
        device.install(OKTA_VERIFY_ANDROID, 0)

    s = provision(Platform.ANDROID, Intune, prepare=also_personal)
    with LoopbackServer(s.chain.port()) as server:
        channel = HttpChannel(server.url)
        try:
            from_work = s.chain.sign_in(channel=channel)
            from_personal = s.chain.sign_in(browser_user=0, channel=channel)
        finally:
            channel.close()

    assert from_work.reason is Reason.APP_NOT_IN_WORK_PROFILE
    assert from_personal.reason is Reason.APP_NOT_IN_WORK_PROFILE


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/"), ("GET", "/challenge"), ("POST", "/probe"), ("GET", "/probe/"), ("POST", "/nope")],
)
def test_unknown_paths_are_404(client: httpx.Client, method: str, path: str) -> None:
    response = client.request(method, path, json={} if method == "POST" else None)

    assert response.status_code == 404
    assert response.json() == {"error": "not_found"}


def test_oversize_body_is_413(client: httpx.Client) -> None:
    body = b'{"challengeRequest": "' + b"A" * MAX_BODY + b'"}'

    response = client.post("/challenge", content=body, headers={"Content-Type": "application/json"})

    assert response.status_code == 413


def test_oversize_bodies_do_not_desynchronize_the_connection(client: httpx.Client) -> None:
    """The unread body must not be parsed as the next request on a kept-alive connection."""
    body = b"A" * (MAX_BODY + 1)

    statuses = [client.post("/challenge", content=body).status_code for _ in range(10)]
    probe = client.get("/probe")

    assert statuses == [413] * 10
    assert probe.status_code == 200


@pytest.mark.parametrize("length", ["abc", "-1", "1e3"])
def test_invalid_content_length_is_400(server: LoopbackServer, length: str) -> None:
    host, port = server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as raw:
        raw.sendall(f"POST /challenge HTTP/1.1\r\nHost: {host}\r\nContent-Length: {length}\r\n\r\n{{}}".encode())
        reply = raw.recv(4096)

    assert reply.startswith(b"HTTP/1.1 400 ")


@pytest.mark.parametrize(
    ("body", "error"),
    [(b"{not json", "not_json"), (b"[1, 2]", "challengeRequest missing"), (b"{}", "challengeRequest missing")],
)
def test_bad_challenge_bodies_are_400(client: httpx.Client, body: bytes, error: str) -> None:
    response = client.post("/challenge", content=body)

    assert response.status_code == 400
    assert response.json() == {"error": error}


def test_nothing_listening_is_app_not_installed(managed: Any) -> None:
    with socket.socket() as placeholder:
        placeholder.bind(("127.0.0.1", 0))
        port = placeholder.getsockname()[1]
    channel = HttpChannel(f"http://127.0.0.1:{port}", timeout=2.0)
    try:
        decision = managed.chain.sign_in(channel=channel)
    finally:
        channel.close()

    assert decision.outcome is Outcome.NOT_MANAGED
    assert decision.reason is Reason.APP_NOT_INSTALLED


def test_server_stops_listening_on_exit(managed: Any) -> None:
    with LoopbackServer(managed.chain.port()) as server:
        url = server.url
    channel = HttpChannel(url, timeout=2.0)
    try:
        assert channel.probe(None) is None
    finally:
        channel.close()
