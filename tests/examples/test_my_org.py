"""An example of users' own Python tests on attestlab's pytest fixtures (docs/pytest.md).

Copy it next to your org file and run ``pytest --attestlab-org my-org.yaml``. The fixtures:

- ``attestlab_org``: the org file, validated; ``attestlab_verifier``: that org as a live Okta
  verifier; ``attestlab_secrets``: the secret keys it reveals, by configuration name;
- ``attestlab_device``: a simulated phone, or a real one read from a SOURCE;
- ``attestlab_okta_verify``: Okta Verify as installed on that device;
- ``attestlab_factory``: more orgs, phones, and phones an EMM provisioned (``.provision``);
- ``attestlab_rng`` / ``attestlab_clock``: the seeded randomness and the simulated clock.
"""

from __future__ import annotations

import pytest

from simulator.chain import Chain
from simulator.device import AnyDevice, Platform
from simulator.emm import EMM, Intune, WorkspaceOne
from simulator.factory import Factory
from simulator.verdict import Outcome, Reason
from simulator.verifier import Org


def test_intune_delivers_the_key_and_okta_counts_the_phone_as_managed(
    attestlab_verifier: Org, attestlab_secrets: dict, attestlab_device: AnyDevice, attestlab_rng, attestlab_clock
) -> None:
    hint = attestlab_secrets["intune-android"].reveal()
    Intune(configuration={"managementHint": hint}).apply(attestlab_device)
    chain = Chain(attestlab_verifier, attestlab_device, rng=attestlab_rng, clock=attestlab_clock)
    chain.enroll()
    assert chain.sign_in().reason is Reason.MANAGED


def test_a_key_typed_in_lower_case_is_not_the_key(
    attestlab_verifier: Org, attestlab_secrets: dict, attestlab_device: AnyDevice, attestlab_rng, attestlab_clock
) -> None:
    hint = attestlab_secrets["intune-android"].reveal().lower()
    Intune(configuration={"managementHint": hint}).apply(attestlab_device)
    chain = Chain(attestlab_verifier, attestlab_device, rng=attestlab_rng, clock=attestlab_clock)
    chain.enroll()
    assert chain.sign_in().reason is Reason.HINT_MISMATCH


@pytest.mark.parametrize(
    "attestlab_device", ["capture:fixtures/captures/android/pixel8-android15-stale-key"], indirect=True
)
def test_okta_verify_on_a_captured_phone_holds_a_hint_the_org_no_longer_knows(
    attestlab_okta_verify, attestlab_verifier: Org
) -> None:
    assert attestlab_okta_verify.in_work_profile
    hint = attestlab_okta_verify.management_hint()
    assert hint is not None
    assert attestlab_verifier.would_match(Platform.ANDROID, hint) is None


def test_intune_added_for_ios_beside_the_orgs_config_leaves_remediation_to_the_earliest(
    attestlab_verifier: Org, attestlab_factory: Factory
) -> None:
    """A second iOS configuration is added to your org, and an iPhone enrolled in it whose EMM
    sends no configuration is sent to the enrollment of the org's earlier one."""
    s = attestlab_factory.provision("ios", Intune, org=attestlab_verifier, configuration=lambda secret: {})
    earliest = attestlab_verifier.configs_for(Platform.IOS)[0]

    decision = s.chain.sign_in()

    assert earliest.name != s.config.name
    assert decision.reason is Reason.NO_HINT
    assert decision.remediation is not None and decision.remediation.provider == earliest.provider


@pytest.mark.parametrize("emm", [Intune, WorkspaceOne])
@pytest.mark.parametrize("platform", ["android", "ios"])
def test_after_a_key_reset_the_phone_is_managed_again_once_the_emm_pushes_the_new_key(
    attestlab_factory: Factory, platform: str, emm: type[EMM]
) -> None:
    s = attestlab_factory.provision(platform, emm)  # a fresh org with one configuration
    new = s.org.reset_secret(s.config.name)
    assert s.chain.sign_in().reason is Reason.HINT_MISMATCH

    s.emm.configuration = {"managementHint": new.reveal()}
    s.emm.push(s.device)

    assert s.chain.sign_in().outcome is Outcome.MANAGED
