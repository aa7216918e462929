"""The documented known issues (DOMAIN.md §3), reproduced on every platform with every EMM."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from simulator.device import Platform
from simulator.emm import EMM, Intune, WorkspaceOne
from simulator.factory import Factory
from simulator.ids import MANAGEMENT_HINT
from simulator.verdict import (
    ADDITIONAL_SETUP_REQUIRED,
    INTERNAL_SERVER_ERROR,
    NO_PERMISSION,
    FindingCode,
    Outcome,
    Reason,
)
from simulator.verifier import MultipleConfigs, Org, Policy

# -- reset secret key ------------------------------------------------------------------------


def test_reset_secret_unmanages_until_the_emm_pushes_the_new_key(
    attestlab_factory: Factory, platform_emm: tuple[Platform, type[EMM]]
) -> None:
    platform, emm_cls = platform_emm
    s = attestlab_factory.provision(platform, emm_cls)
    assert s.chain.sign_in().outcome is Outcome.MANAGED

    new = s.org.reset_secret(s.config.name)

    assert new != s.secret
    stale = s.chain.sign_in()
    assert stale.outcome is Outcome.NOT_MANAGED
    assert stale.reason is Reason.HINT_MISMATCH
    assert stale.remediation is not None and stale.remediation.provider == emm_cls.provider

    s.emm.configuration = {MANAGEMENT_HINT: new.reveal()}
    s.emm.push(s.device)

    again = s.chain.sign_in()
    assert again.outcome is Outcome.MANAGED
    assert again.matched_config == s.config.name


def test_old_key_never_matches_again_after_reset(attestlab_factory: Factory, platform: Platform) -> None:
    s = attestlab_factory.provision(platform, Intune)
    s.org.reset_secret(s.config.name)

    assert not s.config.matches(s.secret.reveal())


# -- several configurations for one platform --------------------------------------------------

FIRST = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
LATER = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


def _two_configs(org: Org, platform: Platform) -> tuple[Any, Any, Any, Any]:
    """A later Intune configuration added *before* the earliest WS1 one: order is by ``created``."""
    later, later_secret = org.add_platform(
        platform, Intune.provider, "https://portal.manage.microsoft.com/", name="intune", created=LATER
    )
    earliest, earliest_secret = org.add_platform(
        platform, WorkspaceOne.provider, "https://getwsone.com/", name="ws1", created=FIRST
    )
    return earliest, earliest_secret, later, later_secret


def test_remediation_comes_from_the_earliest_configuration(attestlab_factory: Factory, platform: Platform) -> None:
    """The device is Intune's, but an unmanaged user is sent to Workspace ONE's enrollment."""
    org = attestlab_factory.org()
    earliest, _, later, _ = _two_configs(org, platform)
    s = attestlab_factory.provision(platform, Intune, org=org, configuration=lambda secret: {})

    decision = s.chain.sign_in()

    assert [c.name for c in org.configs_for(platform)][:2] == [earliest.name, later.name]
    assert decision.reason is Reason.NO_HINT
    assert decision.remediation is not None
    assert decision.remediation.title == ADDITIONAL_SETUP_REQUIRED
    assert decision.remediation.provider == WorkspaceOne.provider
    assert decision.remediation.enrollment_link == "https://getwsone.com/"
    assert FindingCode.MULTIPLE_PLATFORM_CONFIGS in {f.code for f in decision.findings}


@pytest.mark.parametrize(
    ("mode", "outcome", "reason"),
    [
        (MultipleConfigs.ANY_MATCH, Outcome.MANAGED, Reason.MANAGED),
        (MultipleConfigs.EARLIEST_ONLY, Outcome.NOT_MANAGED, Reason.HINT_MISMATCH),
    ],
    ids=["any-match", "earliest-only"],
)
def test_hint_of_the_later_configuration(
    attestlab_factory: Factory,
    platform_emm: tuple[Platform, type[EMM]],
    mode: MultipleConfigs,
    outcome: Outcome,
    reason: Reason,
) -> None:
    platform, emm_cls = platform_emm
    org = attestlab_factory.org(multiple_configs=mode)
    earliest, _, _, later_secret = _two_configs(org, platform)
    s = attestlab_factory.provision(
        platform, emm_cls, org=org, configuration=lambda _: {MANAGEMENT_HINT: later_secret.reveal()}
    )

    decision = s.chain.sign_in()

    assert decision.outcome is outcome
    assert decision.reason is reason
    finding = next(f for f in decision.findings if f.code is FindingCode.MULTIPLE_PLATFORM_CONFIGS)
    assert earliest.name in finding.message
    if outcome is Outcome.MANAGED:
        assert decision.matched_config == "intune"
        assert decision.remediation is None
    else:
        assert decision.remediation is not None
        assert decision.remediation.provider == WorkspaceOne.provider


def test_earliest_only_still_accepts_the_earliest(attestlab_factory: Factory, platform: Platform) -> None:
    org = attestlab_factory.org(multiple_configs=MultipleConfigs.EARLIEST_ONLY)
    _, earliest_secret, _, _ = _two_configs(org, platform)
    s = attestlab_factory.provision(
        platform, WorkspaceOne, org=org, configuration=lambda _: {MANAGEMENT_HINT: earliest_secret.reveal()}
    )

    decision = s.chain.sign_in()

    assert decision.outcome is Outcome.MANAGED
    assert decision.matched_config == "ws1"


def test_configurations_of_the_other_platform_do_not_count(attestlab_factory: Factory, platform: Platform) -> None:
    """An iOS secret on an Android phone (or the reverse) is a mismatch, and no finding."""
    other = Platform.IOS if platform is Platform.ANDROID else Platform.ANDROID
    org = attestlab_factory.org()
    _, other_secret = org.add_platform(other, "Jamf Pro", "https://jamf.example.com/enroll", created=FIRST)
    s = attestlab_factory.provision(
        platform, Intune, org=org, configuration=lambda _: {MANAGEMENT_HINT: other_secret.reveal()}
    )

    decision = s.chain.sign_in()

    assert decision.reason is Reason.HINT_MISMATCH
    assert decision.findings == ()
    assert decision.remediation is not None and decision.remediation.provider == Intune.provider


# -- no platform configuration --------------------------------------------------------------


@pytest.mark.parametrize(
    ("other_platform_configured", "status", "title"),
    [(True, 403, NO_PERMISSION), (False, 500, INTERNAL_SERVER_ERROR)],
    ids=["other-platform-configured", "nothing-configured"],
)
def test_no_platform_configuration_is_an_error_page(
    attestlab_factory: Factory,
    platform_emm: tuple[Platform, type[EMM]],
    other_platform_configured: bool,
    status: int,
    title: str,
) -> None:
    platform, emm_cls = platform_emm
    s = attestlab_factory.provision(platform, emm_cls)
    s.org.delete_platform(s.config.name)
    if other_platform_configured:
        other = Platform.IOS if platform is Platform.ANDROID else Platform.ANDROID
        s.org.add_platform(other, "Jamf Pro", "https://jamf.example.com/enroll")

    decision = s.chain.sign_in()

    assert decision.outcome is Outcome.ERROR
    assert decision.reason is Reason.NO_PLATFORM_CONFIG
    assert decision.access is False
    assert decision.remediation is not None
    assert decision.remediation.http_status == status
    assert decision.remediation.title == title
    assert decision.remediation.provider is None and decision.remediation.enrollment_link is None
    if status == 403:
        assert decision.remediation.message.startswith("You do not have permissions")


def test_no_platform_configuration_without_managed_policy_lets_the_user_in(
    attestlab_factory: Factory, platform: Platform
) -> None:
    """The error page is the policy's doing: a rule that does not require managed lets users in."""
    org = attestlab_factory.org(policy=Policy(registered=True, managed=False))
    s = attestlab_factory.provision(platform, Intune, org=org)
    s.org.delete_platform(s.config.name)

    decision = s.chain.sign_in()

    assert decision.outcome is Outcome.NOT_MANAGED
    assert decision.reason is Reason.NO_PLATFORM_CONFIG
    assert decision.access is True
    assert decision.remediation is None


# -- inventory status only updates at authentication ------------------------------------------


def test_status_stale_until_sign_in(attestlab_factory: Factory, platform_emm: tuple[Platform, type[EMM]]) -> None:
    platform, emm_cls = platform_emm
    s = attestlab_factory.provision(platform, emm_cls, configuration=lambda _: {})
    assert s.chain.inventory_status() is Outcome.NOT_MANAGED
    assert s.chain.sign_in().reason is Reason.NO_HINT

    s.emm.configuration = {MANAGEMENT_HINT: s.secret.reveal()}
    s.emm.push(s.device)

    assert s.chain.agents[0].management_hint() == s.secret.reveal()
    assert s.chain.inventory_status() is Outcome.NOT_MANAGED  # delivered, but Okta has not asked
    assert s.chain.sign_in().outcome is Outcome.MANAGED
    assert s.chain.inventory_status() is Outcome.MANAGED


def test_status_stays_managed_after_reset_until_sign_in(
    attestlab_factory: Factory, platform_emm: tuple[Platform, type[EMM]]
) -> None:
    platform, emm_cls = platform_emm
    s = attestlab_factory.provision(platform, emm_cls)
    s.chain.sign_in()

    s.org.reset_secret(s.config.name)

    assert s.chain.inventory_status() is Outcome.MANAGED
    assert s.chain.sign_in().reason is Reason.HINT_MISMATCH
    assert s.chain.inventory_status() is Outcome.NOT_MANAGED
