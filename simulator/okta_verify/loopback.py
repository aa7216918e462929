"""The loopback channel: how a browser on the phone reaches Okta Verify (DOMAIN.md §4).

Okta Verify listens on ``127.0.0.1`` (ports such as 6511-6513); the sign-in page calls
``GET /probe`` then ``POST /challenge {"challengeRequest": "<jwt>"}``. Loopback is shared by all
Android profiles, so when Okta Verify is installed in two profiles the copy started first holds
the port; it answers **503** to a browser running in another profile (Android lets it see the
caller's uid). Here the caller's user id travels in the ``X-Caller-User`` header, the model of
that uid lookup.

:class:`LoopbackPort` is the in-process endpoint; :class:`LoopbackServer` serves it over real
HTTP on an OS-assigned port.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from simulator.okta_verify.agent import Answer, OktaVerify

CALLER_HEADER = "X-Caller-User"
MAX_BODY = 64 * 1024
#: Ports Okta Verify tries, in order.
OKTA_VERIFY_PORTS = (6511, 6512, 6513)


class LoopbackPort:
    """The port on one device, held by the first copy of Okta Verify that started."""

    def __init__(self, agents: list[OktaVerify]) -> None:
        self.agents = agents

    @property
    def holder(self) -> OktaVerify | None:
        return self.agents[0] if self.agents else None

    def _refuses(self, caller_user: int | None) -> bool:
        holder = self.holder
        return (
            holder is not None
            and holder.user_id is not None
            and caller_user is not None
            and caller_user != holder.user_id
        )

    def probe(self, caller_user: int | None) -> int | None:
        """HTTP status of ``GET /probe``; None when nothing listens (connection refused)."""
        if self.holder is None:
            return None
        return 503 if self._refuses(caller_user) else 200

    def challenge(self, request: dict[str, Any], caller_user: int | None) -> Answer | None:
        holder = self.holder
        if holder is None:
            return None
        if self._refuses(caller_user):
            return Answer(503, {"error": "wrong_profile"})
        token = request.get("challengeRequest")
        if not isinstance(token, str):
            return Answer(400, {"error": "challengeRequest missing"})
        return holder.answer(token)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the default stderr access log (challenges must not be printed)."""

    def _caller(self) -> int | None:
        value = self.headers.get(CALLER_HEADER)
        return int(value) if value and value.isdigit() else None

    def _send(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        if self.path != "/probe":
            self._send(404, {"error": "not_found"})
            return
        status = self.server.port.probe(self._caller())
        self._send(status or 503, {})

    def do_POST(self) -> None:
        if self.path != "/challenge":
            self._send(404, {"error": "not_found"})
            return
        declared = self.headers.get("Content-Length") or "0"
        if not (declared.isascii() and declared.isdigit()) or int(declared) > MAX_BODY:
            # The body is left unread: close, or its bytes would be parsed as the next request.
            self.close_connection = True
            too_large = declared.isascii() and declared.isdigit()
            self._send(413 if too_large else 400, {"error": "too_large" if too_large else "bad_length"})
            return
        length = int(declared)
        try:
            request = json.loads(self.rfile.read(length) or b"{}")
        except json.JSONDecodeError:
            self._send(400, {"error": "not_json"})
            return
        answer = self.server.port.challenge(request if isinstance(request, dict) else {}, self._caller())
        if answer is None:
            self._send(503, {"error": "not_listening"})
        else:
            self._send(answer.status, answer.body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], port: LoopbackPort) -> None:
        super().__init__(address, _Handler)
        self.port = port


class LoopbackServer:
    """Serve a :class:`LoopbackPort` over HTTP on ``127.0.0.1`` (port 0 = OS-assigned).

    Use as a context manager; :attr:`url` is ``http://127.0.0.1:<port>``.
    """

    def __init__(self, port: LoopbackPort, host: str = "127.0.0.1", listen_port: int = 0) -> None:
        self._server = _Server((host, listen_port), port)
        # A short poll interval: ``shutdown`` waits for it, and tests start one server per case.
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="okta-verify-loopback", daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> LoopbackServer:
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
