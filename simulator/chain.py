"""The whole chain on one phone, wired in process: device, its Okta Verify copies, one org.

This is what tests and the scenario runner drive: install, enroll, sign in, check the inventory.
Copies of Okta Verify keep their keys and enrollments across steps; a copy that appears later
(installed in another profile) joins unenrolled until :meth:`Chain.enroll` is called again. All
keys of the chain come from the org's key source, so no two holders in it share one.
"""

from __future__ import annotations

import random
import secrets
import time
from collections.abc import Callable

from simulator.device import AnyDevice
from simulator.keys import KeyKind
from simulator.okta_verify.agent import InProcessVerifier, OktaVerify
from simulator.signin import Browser, default_browser, open_link, sign_in
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
        key_kind: KeyKind | None = None,
    ) -> None:
        self.org = org
        self.device = device
        self.rng = rng or secrets.SystemRandom()
        self.clock = clock
        #: The device-bound key type of every copy (None: the platform's default).
        self.key_kind = key_kind
        self._agents: dict[int | None, OktaVerify] = {}

    def __repr__(self) -> str:
        return f"Chain({self.org!r}, {self.device.label})"

    @property
    def agents(self) -> list[OktaVerify]:
        """Installed copies, reusing the ones already known (keys, enrollments)."""
        current: dict[int | None, OktaVerify] = {}
        for user in OktaVerify.installed_users(self.device):
            known = self._agents.get(user)
            current[user] = known or OktaVerify(
                self.device, user, rng=self.rng, clock=self.clock, keys=self.org.keys, key_kind=self.key_kind
            )
        # A copy in a paused profile is not running but keeps its key and enrollment.
        asleep = {u: a for u, a in self._agents.items() if u not in current and OktaVerify.still_installed(a)}
        self._agents = {**current, **asleep}
        return list(current.values())

    def enroll(self) -> int:
        """Add the org account to every copy not yet enrolled with it; return how many enrolled."""
        count = 0
        for agent in self.agents:
            if self.org.org_url not in agent.enrollments:
                agent.enroll(InProcessVerifier(self.org), self.org.org_url)
                count += 1
        return count

    def reenroll(self) -> int:
        """Every copy removes its account for the org and adds it again (new key, new device id)."""
        for agent in self.agents:
            agent.remove_account(self.org.org_url)
        return self.enroll()

    def default_browser(self) -> Browser:
        """The browser a sign-in uses unless told (:func:`simulator.signin.default_browser`)."""
        return default_browser(self.device, self.agents)

    def answering(self, browser: Browser | None = None) -> OktaVerify | None:
        """The copy a link from ``browser`` (default: :meth:`default_browser`) opens."""
        agents = self.agents
        return open_link(self.device, agents, browser or default_browser(self.device, agents))

    def sign_in(self, browser: Browser | None = None) -> Decision:
        """One FastPass sign-in from ``browser`` (default: :meth:`default_browser`, not private)."""
        agents = self.agents
        return sign_in(self.org, self.device, agents, browser or default_browser(self.device, agents))

    def inventory_status(self) -> Outcome | None:
        return self.org.inventory_status(self.device.identity.udid)
