"""The chain end to end, in process, for every platform with every EMM: what one typo does."""

from __future__ import annotations

import jwt
import pytest

from simulator.device import Platform
from simulator.emm import EMM, Delivery, EnrollmentType, Intune, WorkspaceOne
from simulator.emm.lookups import find_unresolved
from simulator.factory import Factory
from simulator.ids import MANAGEMENT_HINT
from simulator.verdict import ADDITIONAL_SETUP_REQUIRED, Outcome, Reason


def test_managed_happy_path(attestlab_factory: Factory, platform_emm: tuple[Platform, type[EMM]]) -> None:
    platform, emm_cls = platform_emm
    s = attestlab_factory.provision(platform, emm_cls)

    decision = s.chain.sign_in()

    assert decision.outcome is Outcome.MANAGED
    assert decision.reason is Reason.MANAGED
    assert decision.access is True
    assert decision.remediation is None
    assert decision.matched_config == s.config.name
    assert decision.findings == ()
    assert s.chain.inventory_status() is Outcome.MANAGED


def test_the_response_carries_the_hint_in_device_attestation(
    attestlab_factory: Factory, platform_emm: tuple[Platform, type[EMM]]
) -> None:
    """What goes on the wire: the enrolled key's algorithm (ES256 on iOS, RS256 on Android), its
    kid, the claims of ``OktaJWTPayload`` and the hint under deviceAttestation."""
    platform, emm_cls = platform_emm
    s = attestlab_factory.provision(platform, emm_cls)
    agent = s.chain.agents[0]
    attempt = s.org.start_sign_in(platform)
    assert attempt.challenge is not None
    assert jwt.get_unverified_header(attempt.challenge)["typ"] == "okta-devicebind+jwt"

    enrollment, claims = agent.read_challenge(attempt.challenge)
    token = agent.sign_response(enrollment, claims)

    header = jwt.get_unverified_header(token)
    payload = jwt.decode(token, options={"verify_signature": False})
    assert header["alg"] == ("ES256" if platform is Platform.IOS else "RS256")
    assert header["kid"] == enrollment.key.kid
    assert header["typ"] == "okta-devicebind+jwt"
    assert payload["tx"] == attempt.transaction_id
    assert payload["nonce"] == claims["nonce"]
    assert payload["exp"] - payload["iat"] == 300 == payload["iat"] - payload["nbf"]
    assert payload["iss"] == enrollment.enrollment_id and payload["aud"] == s.org.org_url
    assert payload["sub"] == enrollment.user_id and payload["sub"].startswith("00u")
    assert payload["methodEnrollmentId"] == enrollment.method_enrollment_id
    assert payload["keyType"] == "proofOfPossession"
    assert payload["deviceSignals"]["platform"] == platform.value.upper()
    assert payload["deviceSignals"]["deviceAttestation"][MANAGEMENT_HINT] == s.secret.reveal()


def test_key_with_wrong_case_is_no_hint(attestlab_factory: Factory, platform_emm: tuple[Platform, type[EMM]]) -> None:
    """ "The key-value pair is case-sensitive": ``managementhint`` is not read at all."""
    platform, emm_cls = platform_emm
    s = attestlab_factory.provision(platform, emm_cls, configuration=lambda secret: {"managementhint": secret})

    decision = s.chain.sign_in()

    assert decision.outcome is Outcome.NOT_MANAGED
    assert decision.reason is Reason.NO_HINT
    assert decision.access is False
    assert decision.remediation is not None
    assert decision.remediation.title == ADDITIONAL_SETUP_REQUIRED
    assert decision.remediation.provider == emm_cls.provider
    assert decision.remediation.enrollment_link == s.config.enrollment_link
    assert s.chain.inventory_status() is Outcome.NOT_MANAGED


@pytest.mark.parametrize(
    ("emm_cls", "placeholder"),
    [(WorkspaceOne, "{CustomAttribute3}"), (Intune, "{{unknowntoken}}")],
    ids=["ws1", "intune"],
)
def test_unresolved_lookup_arrives_literal_and_mismatches(
    attestlab_factory: Factory, platform: Platform, emm_cls: type[EMM], placeholder: str
) -> None:
    s = attestlab_factory.provision(platform, emm_cls, configuration=lambda secret: {MANAGEMENT_HINT: placeholder})

    delivered = s.chain.agents[0].management_hint()
    decision = s.chain.sign_in()

    assert delivered == placeholder
    assert find_unresolved(delivered) == [placeholder]
    assert decision.outcome is Outcome.NOT_MANAGED
    assert decision.reason is Reason.HINT_MISMATCH


def test_hint_with_a_lone_surrogate_is_a_mismatch(
    attestlab_factory: Factory, platform_emm: tuple[Platform, type[EMM]]
) -> None:
    """Device input the org cannot encode as UTF-8 (JSON allows ``\\ud800``) must not crash it."""
    platform, emm_cls = platform_emm
    s = attestlab_factory.provision(
        platform, emm_cls, configuration=lambda secret: {MANAGEMENT_HINT: secret[:-1] + "\ud800"}
    )

    assert s.chain.sign_in().reason is Reason.HINT_MISMATCH


@pytest.mark.parametrize(
    ("emm_cls", "template"),
    [(WorkspaceOne, "{DeviceSerialNumber}"), (Intune, "{{serialnumber}}")],
    ids=["ws1", "intune"],
)
def test_resolved_lookup_reaches_the_device(
    attestlab_factory: Factory, platform: Platform, emm_cls: type[EMM], template: str
) -> None:
    """The counterpart of the unresolved case: a known placeholder is replaced per device."""
    s = attestlab_factory.provision(
        platform, emm_cls, configuration=lambda secret: {MANAGEMENT_HINT: f"{secret}-{template}"}
    )

    assert s.chain.agents[0].management_hint() == f"{s.secret.reveal()}-{s.device.identity.serial}"
    assert s.chain.sign_in().reason is Reason.HINT_MISMATCH


def test_configuration_not_sent_is_no_hint(attestlab_factory: Factory, platform: Platform) -> None:
    s = attestlab_factory.provision(platform, Intune, enrollment_type=EnrollmentType.MANAGED_APPS)

    decision = s.chain.sign_in()

    assert decision.reason is Reason.NO_HINT
    assert s.chain.agents[0].managed_config() == {}


def test_ws1_managed_access_does_not_decide_delivery(attestlab_factory: Factory, platform: Platform) -> None:
    """Managed Access is about reaching the app through Workspace ONE, not its configuration."""
    s = attestlab_factory.provision(platform, WorkspaceOne, managed_access=False)

    assert s.chain.sign_in().outcome is Outcome.MANAGED


def test_not_enrolled_in_okta_verify_is_not_registered(
    attestlab_factory: Factory, platform_emm: tuple[Platform, type[EMM]]
) -> None:
    """Okta Verify is installed and configured but has no account for this org."""
    platform, emm_cls = platform_emm
    s = attestlab_factory.provision(platform, emm_cls, enroll=False)

    decision = s.chain.sign_in()

    assert decision.outcome is Outcome.NOT_MANAGED
    assert decision.reason is Reason.NOT_REGISTERED
    assert decision.access is False


def test_okta_verify_not_delivered_is_app_not_installed(attestlab_factory: Factory, platform: Platform) -> None:
    s = attestlab_factory.provision(platform, WorkspaceOne, delivery=Delivery.ON_DEMAND)

    assert s.chain.agents == []
    decision = s.chain.sign_in()

    assert decision.outcome is Outcome.NOT_MANAGED
    assert decision.reason is Reason.APP_NOT_INSTALLED


def test_phones_use_app_and_universal_links_and_private_browsing_blocks_them(
    attestlab_factory: Factory, platform: Platform
) -> None:
    """okta-signin-widget: APP_LINK on Android, UNIVERSAL_LINK on iOS (no loopback on phones);
    okta-help known issues: from Incognito the link opens no app."""
    from simulator.signin import Browser, default_browser

    s = attestlab_factory.provision(platform, Intune)
    attempt = s.org.start_sign_in(platform)
    assert attempt.challenge_method == {Platform.ANDROID: "APP_LINK", Platform.IOS: "UNIVERSAL_LINK"}[platform]
    private = Browser(default_browser(s.device).user, private=True)

    blocked = s.chain.sign_in(private)

    assert blocked.outcome is Outcome.NOT_MANAGED and blocked.reason is Reason.APP_NOT_INSTALLED
    assert s.chain.sign_in().outcome is Outcome.MANAGED
