"""The whole chain on one phone, wired in process: device, its Okta Verify copies, one org.

This is what tests and the scenario runner drive: install, enroll, sign in, check the inventory.
Copies of Okta Verify keep their keys and enrollments across steps; a copy that appears later
(installed in another profile) joins unenrolled until :meth:`Chain.enroll` is called again.
"""

from __future__ import annotations

import random
import secrets
import time
from collections.abc import Callable

from simulator.device import AnyDevice
from simulator.okta_verify.agent import InProcessVerifier, OktaVerify
from simulator.okta_verify.loopback import LoopbackPort
from simulator.signin import Channel, InProcessChannel, default_browser_user, sign_in
from simulator.verdict import Decision, Outcome
from simulator.verifier.org import Org


class Chain:
    def __init__(
        self,
        org: Org,
        device: AnyDevice,
        *,
        rng: random.Random | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.org = org
        self.device = device
        self.rng = rng or secrets.SystemRandom()
        self.clock = clock
        self._agents: dict[int | None, OktaVerify] = {}

    def __repr__(self) -> str:
        return f"Chain({self.org!r}, {self.device.label})"

    @property
    def agents(self) -> list[OktaVerify]:
        """Installed copies in start order, reusing the ones already known (keys, enrollments)."""
        current: dict[int | None, OktaVerify] = {}
        for user in OktaVerify.installed_users(self.device):
            known = self._agents.get(user)
            current[user] = known or OktaVerify(self.device, user, rng=self.rng, clock=self.clock)
        self._agents = current
        return list(current.values())

    def enroll(self) -> int:
        """Add the org account to every copy not yet enrolled with it; return how many enrolled."""
        count = 0
        for agent in self.agents:
            if self.org.org_url not in agent.enrollments:
                agent.enroll(InProcessVerifier(self.org))
                count += 1
        return count

    def port(self) -> LoopbackPort:
        return LoopbackPort(self.agents)

    def sign_in(self, *, browser_user: int | None = None, channel: Channel | None = None) -> Decision:
        """One FastPass sign-in from a browser in ``browser_user`` (default: work profile)."""
        user = browser_user if browser_user is not None else default_browser_user(self.device)
        return sign_in(self.org, self.device.platform, channel or InProcessChannel(self.port()), user)

    def inventory_status(self) -> Outcome | None:
        return self.org.inventory_status(self.device.identity.udid)
