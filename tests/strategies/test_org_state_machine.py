"""Random admin and user actions against the simulated org, checked against a small model.

The model below is written from Okta's documented rules (DOMAIN.md §1 and §3, restated in
docs/known-issues.md), not from the simulator's code: a sign-in is managed when the key Okta
Verify holds equals the current secret of a configuration of the platform; a reset or a delete
makes the old key worthless at once; with no configuration for the platform there is no
judgement at all; an unmanaged user is sent to the provider and link of the earliest-created
configuration; a paused work profile or an Okta Verify outside it never answers as managed.
Moving Okta Verify between profiles is an uninstall and a fresh install: the new copy has no
account (``not_registered``) until the user adds one, which cannot happen while its profile is
paused, because the apps of a paused profile cannot run (DOMAIN.md §5, "paused work profile").
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, precondition, rule

from harness import strategies as al
from simulator.clock import SimClock
from simulator.device import AndroidDevice, Platform
from simulator.emm import Intune
from simulator.factory import Factory
from simulator.ids import MANAGEMENT_HINT, OKTA_VERIFY_ANDROID
from simulator.verdict import Outcome, Reason


@dataclass
class ModelConfig:
    name: str
    secret: str
    provider: str
    link: str
    order: int


class OrgAndPhone(RuleBasedStateMachine):
    """One org, one Android phone in Intune with Okta Verify in its work profile."""

    names = Bundle("names")

    def __init__(self) -> None:
        super().__init__()
        lab = Factory(random.Random(0), SimClock())
        self.clock = lab.clock
        self.org = lab.org()
        self.configs: dict[str, ModelConfig] = {}
        self.created = 0
        self.delivered: str | None = None
        self.in_work_profile = True
        self.paused = False
        #: Whether the copy of Okta Verify the browser reaches has an account for the org.
        self.enrolled = True
        self.emm = Intune(configuration={})
        device = lab.device(Platform.ANDROID, self.emm)
        assert isinstance(device, AndroidDevice)
        self.device = device
        self.chain = lab.chain(self.org, device)

    # -- the admin ---------------------------------------------------------------------------

    @rule(target=names, secret=al.secrets(max_size=40), emm=al.emm_classes())
    def add_platform(self, secret: str, emm: type) -> str:
        name = f"config-{self.created}"
        self.clock.advance(60)
        self.org.add_platform(Platform.ANDROID, emm.provider, al.PROVIDERS[emm], name=name, existing_key=secret)
        self.configs[name] = ModelConfig(name, secret, emm.provider, al.PROVIDERS[emm], self.created)
        self.created += 1
        return name

    @precondition(lambda self: self.configs)
    @rule(data=st.data())
    def reset_secret(self, data: st.DataObject) -> None:
        name = data.draw(st.sampled_from(sorted(self.configs)))
        self.configs[name].secret = self.org.reset_secret(name).reveal()

    @precondition(lambda self: self.configs)
    @rule(data=st.data())
    def delete_platform(self, data: st.DataObject) -> None:
        name = data.draw(st.sampled_from(sorted(self.configs)))
        self.org.delete_platform(name)
        del self.configs[name]

    # -- the EMM -----------------------------------------------------------------------------

    @precondition(lambda self: self.configs)
    @rule(data=st.data())
    def push_current_key(self, data: st.DataObject) -> None:
        """The EMM admin types the current key of one configuration."""
        name = data.draw(st.sampled_from(sorted(self.configs)))
        self._push(self.configs[name].secret)

    @rule(value=al.secrets(max_size=40))
    def push_other_value(self, value: str) -> None:
        """A stale, mistyped or made-up value."""
        self._push(value)

    def _push(self, value: str) -> None:
        self.emm.configuration = {MANAGEMENT_HINT: value}
        self.emm.push(self.device)
        self.delivered = value if self.in_work_profile else self.delivered

    # -- the user ----------------------------------------------------------------------------

    @rule()
    def move_app_to_personal_profile(self) -> None:
        profile = self.device.work_profile
        assert profile is not None
        if self.in_work_profile:
            self.device.uninstall(OKTA_VERIFY_ANDROID, profile.id)
            self.device.install(OKTA_VERIFY_ANDROID, 0)
            self.chain.enroll()
            self.in_work_profile = False
            self.enrolled = True

    @rule()
    def move_app_back_to_work_profile(self) -> None:
        profile = self.device.work_profile
        assert profile is not None
        if not self.in_work_profile:
            self.device.uninstall(OKTA_VERIFY_ANDROID, 0)
            self.device.install(OKTA_VERIFY_ANDROID, profile.id)
            self.emm.push(self.device)
            self.chain.enroll()
            self.in_work_profile = True
            self.enrolled = not self.paused
            configured = self.emm.configuration.get(MANAGEMENT_HINT)
            self.delivered = configured if isinstance(configured, str) else None

    @rule()
    def add_account(self) -> None:
        """The user opens Okta Verify and adds the org account (a no-op in a paused profile)."""
        self.chain.enroll()
        self.enrolled = self.enrolled or not (self.paused and self.in_work_profile)

    @rule(paused=st.booleans())
    def pause_work_profile(self, paused: bool) -> None:
        self.device.pause_work_profile(paused)
        self.paused = paused

    @rule()
    def sign_in(self) -> None:
        self.clock.advance(60)
        decision = self.chain.sign_in()
        if not self.configs:
            assert decision.outcome is Outcome.ERROR
            assert decision.reason is Reason.NO_PLATFORM_CONFIG
            return
        matching = [c.name for c in self.configs.values() if c.secret == self.delivered]
        if self.paused or not self.in_work_profile:
            assert decision.outcome is not Outcome.MANAGED
        elif not self.enrolled:
            assert (decision.outcome, decision.reason) == (Outcome.NOT_MANAGED, Reason.NOT_REGISTERED)
        elif self.delivered is None:
            assert (decision.outcome, decision.reason) == (Outcome.NOT_MANAGED, Reason.NO_HINT)
        elif matching:
            assert decision.outcome is Outcome.MANAGED
            assert decision.matched_config in matching
        else:
            assert (decision.outcome, decision.reason) == (Outcome.NOT_MANAGED, Reason.HINT_MISMATCH)
        if decision.outcome is Outcome.NOT_MANAGED and decision.remediation is not None:
            earliest = min(self.configs.values(), key=lambda c: c.order)
            assert (decision.remediation.provider, decision.remediation.enrollment_link) == (
                earliest.provider,
                earliest.link,
            )

    @invariant()
    def secrets_stay_out_of_reprs(self) -> None:
        shown = repr(self.org) + repr(self.chain) + repr(self.emm)
        assert not any(c.secret in shown for c in self.configs.values())


OrgAndPhone.TestCase.settings = settings(max_examples=30, stateful_step_count=15, deadline=None)
test_org_and_phone = OrgAndPhone.TestCase


def test_reinstall_in_paused_profile_has_no_account() -> None:
    """Regression (found by the machine above): Okta Verify moved back into a paused work profile
    cannot add the org account, so after the profile resumes it answers ``not_registered``, not
    ``no_hint``, until the user adds the account."""
    state = OrgAndPhone()
    state.add_platform(secret="secret-key-0", emm=Intune)
    state.move_app_to_personal_profile()
    state.pause_work_profile(True)
    state.move_app_back_to_work_profile()
    state.pause_work_profile(False)
    decision = state.chain.sign_in()
    assert (decision.outcome, decision.reason) == (Outcome.NOT_MANAGED, Reason.NOT_REGISTERED)
    state.sign_in()
    state.add_account()
    decision = state.chain.sign_in()
    assert (decision.outcome, decision.reason) == (Outcome.NOT_MANAGED, Reason.NO_HINT)
    state.sign_in()
    state.teardown()
