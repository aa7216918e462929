"""One FastPass sign-in, end to end: the org challenges, the browser relays, Okta Verify answers.

The browser side only relays: it starts the sign-in, probes the loopback port, posts the
challenge, then reads the org's decision. When Okta Verify cannot be reached the browser tells
the org why (nothing listening, wrong profile, not enrolled), as Okta's sign-in widget does.
"""

from __future__ import annotations

from typing import Protocol

import httpx

from simulator.device import AndroidDevice, AnyDevice, Platform
from simulator.okta_verify.loopback import CALLER_HEADER, LoopbackPort
from simulator.verdict import Decision, Reason
from simulator.verifier.org import Org


class Channel(Protocol):
    """How the browser reaches Okta Verify: ``probe`` and ``challenge`` return HTTP statuses,
    None when nothing answers."""

    def probe(self, caller_user: int | None) -> int | None: ...

    def challenge(self, token: str, caller_user: int | None) -> int | None: ...


class InProcessChannel:
    """Calls the :class:`LoopbackPort` directly: the fast path for matrices."""

    def __init__(self, port: LoopbackPort) -> None:
        self.port = port

    def probe(self, caller_user: int | None) -> int | None:
        return self.port.probe(caller_user)

    def challenge(self, token: str, caller_user: int | None) -> int | None:
        answer = self.port.challenge({"challengeRequest": token}, caller_user)
        return answer.status if answer else None


class HttpChannel:
    """Real HTTP to a :class:`~simulator.okta_verify.loopback.LoopbackServer`."""

    def __init__(self, base_url: str, *, timeout: float = 5.0) -> None:
        self.client = httpx.Client(base_url=base_url, timeout=timeout)

    def _headers(self, caller_user: int | None) -> dict[str, str]:
        return {CALLER_HEADER: str(caller_user)} if caller_user is not None else {}

    def probe(self, caller_user: int | None) -> int | None:
        try:
            return self.client.get("/probe", headers=self._headers(caller_user)).status_code
        except httpx.TransportError:
            return None

    def challenge(self, token: str, caller_user: int | None) -> int | None:
        try:
            response = self.client.post(
                "/challenge", json={"challengeRequest": token}, headers=self._headers(caller_user)
            )
        except httpx.TransportError:
            return None
        return response.status_code

    def close(self) -> None:
        self.client.close()


def default_browser_user(device: AnyDevice) -> int | None:
    """Where the browser runs: the work profile if there is one (work apps open work Chrome)."""
    if isinstance(device, AndroidDevice):
        profile = device.work_profile
        return profile.id if profile is not None else 0
    return None


def sign_in(org: Org, platform: Platform, channel: Channel, caller_user: int | None) -> Decision:
    """Run one sign-in and return the org's decision."""
    attempt = org.start_sign_in(platform)
    if attempt.decision is not None:
        return attempt.decision
    assert attempt.transaction_id is not None and attempt.challenge is not None
    tx = attempt.transaction_id
    probe = channel.probe(caller_user)
    if probe is None:
        return org.abandon(tx, Reason.APP_NOT_INSTALLED)
    if probe == 503:
        return org.abandon(tx, Reason.APP_NOT_IN_WORK_PROFILE)
    status = channel.challenge(attempt.challenge, caller_user)
    decided = org.result(tx)
    if decided is not None:
        return decided
    if status == 404:
        return org.abandon(tx, Reason.NOT_REGISTERED)
    if status == 503:
        return org.abandon(tx, Reason.APP_NOT_IN_WORK_PROFILE)
    return org.abandon(tx, Reason.CHALLENGE_INVALID)
