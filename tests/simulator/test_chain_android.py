"""Android profiles: Okta Verify must run, and be configured, in the managed work profile.

The sign-in reaches Okta Verify through an app link, which opens the copy of the browser's own
profile; nothing answers when that profile has none (DOMAIN.md §3, §4; okta-signin-widget
``ChallengeViewUtil.js`` ``APP_LINK``).
"""

from __future__ import annotations

from typing import Any

import jwt

from simulator.device import AndroidDevice, AnyDevice, Platform
from simulator.emm import EMM, Delivery, Intune, WorkspaceOne
from simulator.factory import Factory
from simulator.ids import MANAGEMENT_HINT, OKTA_VERIFY_ANDROID
from simulator.okta_verify import OktaVerify
from simulator.signin import Browser
from simulator.verdict import Outcome, Reason

#: Settings under which each EMM does not install Okta Verify in the work profile itself.
NOT_DELIVERED: dict[type[EMM], dict[str, Any]] = {
    Intune: {"required": False},
    WorkspaceOne: {"delivery": Delivery.ON_DEMAND},
}


def _user_installs_in_personal(device: AnyDevice) -> None:
    assert isinstance(device, AndroidDevice)
    device.install(OKTA_VERIFY_ANDROID, user_id=0)


def _response_payload(agent: OktaVerify, org: Any) -> dict[str, Any]:
    """What ``agent`` would sign for a fresh challenge, decoded."""
    attempt = org.start_sign_in(Platform.ANDROID)
    enrollment, claims = agent.read_challenge(attempt.challenge)
    payload: dict[str, Any] = jwt.decode(agent.sign_response(enrollment, claims), options={"verify_signature": False})
    return payload


def test_only_in_personal_profile(attestlab_factory: Factory, emm_cls: type[EMM]) -> None:
    s = attestlab_factory.provision(
        Platform.ANDROID, emm_cls, prepare=_user_installs_in_personal, **NOT_DELIVERED[emm_cls]
    )
    work = s.device.work_profile
    assert work is not None and OKTA_VERIFY_ANDROID not in work.packages
    (agent,) = s.chain.agents
    assert agent.user_id == 0

    from_work = s.chain.sign_in(Browser(work.id))
    from_personal = s.chain.sign_in()  # the default: the browser of the profile the app is in

    assert s.chain.default_browser() == Browser(0)
    assert s.chain.answering(Browser(work.id)) is None and s.chain.answering() is agent
    assert from_work.outcome is Outcome.NOT_MANAGED
    assert from_work.reason is Reason.APP_NOT_INSTALLED
    assert from_work.detail == f"no Okta Verify in the browser's profile (user {work.id})"
    # The personal copy answers, but it never received the work profile's configuration.
    attestation = _response_payload(agent, s.org)["deviceSignals"]["deviceAttestation"]
    assert MANAGEMENT_HINT not in attestation
    assert attestation["workProfile"] is False
    assert from_personal.outcome is Outcome.NOT_MANAGED
    assert from_personal.reason is Reason.APP_NOT_IN_WORK_PROFILE
    assert from_personal.remediation is not None
    assert from_personal.remediation.provider == emm_cls.provider


def test_in_both_profiles_each_browser_reaches_its_own_copy(attestlab_factory: Factory, emm_cls: type[EMM]) -> None:
    """Known issue "Okta Verify is in a work and personal profile" (okta-help known-issues):
    Okta's fix, a browser in the work profile, works: the link opens the work copy, configured
    and managed. The personal browser opens the personal copy, which has no hint."""
    s = attestlab_factory.provision(Platform.ANDROID, emm_cls, prepare=_user_installs_in_personal)
    personal, work = s.chain.agents
    assert (personal.user_id, work.user_id) == (0, s.device.work_profile.id)
    assert work.management_hint() == s.secret.reveal()
    assert personal.management_hint() is None

    from_personal = s.chain.sign_in(Browser(0))
    assert from_personal.reason is Reason.APP_NOT_IN_WORK_PROFILE
    assert from_personal.outcome is Outcome.NOT_MANAGED
    from_work = s.chain.sign_in()

    assert s.chain.answering() is work and s.chain.answering(Browser(0)) is personal
    assert from_work.outcome is Outcome.MANAGED
    assert s.chain.inventory_status() is Outcome.MANAGED
    assert personal.enrollments[s.org.org_url].key.kid != work.enrollments[s.org.org_url].key.kid


def test_removing_the_personal_copy_leaves_the_personal_browser_unanswered(
    attestlab_factory: Factory, emm_cls: type[EMM]
) -> None:
    s = attestlab_factory.provision(Platform.ANDROID, emm_cls, prepare=_user_installs_in_personal)
    assert s.chain.sign_in(Browser(0)).reason is Reason.APP_NOT_IN_WORK_PROFILE

    s.device.uninstall(OKTA_VERIFY_ANDROID, 0)

    assert s.chain.sign_in(Browser(0)).reason is Reason.APP_NOT_INSTALLED
    assert s.chain.sign_in().outcome is Outcome.MANAGED


def test_a_personal_browser_does_not_reach_the_work_copy(attestlab_factory: Factory, emm_cls: type[EMM]) -> None:
    s = attestlab_factory.provision(Platform.ANDROID, emm_cls)

    decision = s.chain.sign_in(Browser(0))

    assert decision.reason is Reason.APP_NOT_INSTALLED
    assert s.chain.sign_in().outcome is Outcome.MANAGED


def test_private_browsing_opens_no_app(attestlab_factory: Factory, emm_cls: type[EMM]) -> None:
    """okta-help known issue: in Incognito Okta Verify does not launch; outside it, it does."""
    s = attestlab_factory.provision(Platform.ANDROID, emm_cls)
    work = s.device.work_profile
    assert work is not None

    decision = s.chain.sign_in(Browser(work.id, private=True))

    assert decision.reason is Reason.APP_NOT_INSTALLED
    assert decision.detail == "private browsing: the link did not open Okta Verify"
    assert s.chain.sign_in(Browser(work.id)).outcome is Outcome.MANAGED


def test_secure_folder_copy_is_not_the_work_profile(attestlab_factory: Factory, emm_cls: type[EMM]) -> None:
    """Samsung Secure Folder is a profile, but not the managed one: config never reaches it."""

    def in_secure_folder(device: AnyDevice) -> None:
        assert isinstance(device, AndroidDevice)
        folder = device.add_secure_folder()
        device.install(OKTA_VERIFY_ANDROID, folder.id)

    s = attestlab_factory.provision(Platform.ANDROID, emm_cls, prepare=in_secure_folder, **NOT_DELIVERED[emm_cls])

    decision = s.chain.sign_in(Browser(150))

    assert decision.reason is Reason.APP_NOT_IN_WORK_PROFILE
    assert s.chain.agents[0].management_hint() is None


def test_copy_installed_after_enrollment_joins_unenrolled(attestlab_factory: Factory, emm_cls: type[EMM]) -> None:
    """A personal copy installed later has no account until it is added."""
    s = attestlab_factory.provision(Platform.ANDROID, emm_cls)
    assert s.chain.sign_in().outcome is Outcome.MANAGED

    s.device.install(OKTA_VERIFY_ANDROID, 0)

    assert s.chain.sign_in(Browser(0)).reason is Reason.NOT_REGISTERED
    assert s.chain.enroll() == 1  # only the new copy
    assert s.chain.sign_in(Browser(0)).reason is Reason.APP_NOT_IN_WORK_PROFILE
    assert s.chain.sign_in().outcome is Outcome.MANAGED
