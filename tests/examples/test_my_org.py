"""An example of users' own Python tests on attestlab's pytest fixtures (docs/pytest.md).

Copy it next to your org file and run ``pytest --attestlab-org my-org.yaml``. The fixtures:

- ``attestlab_org``: the org file, validated; ``attestlab_verifier``: that org as a live Okta
  verifier; ``attestlab_secrets``: the secret keys it reveals, by configuration name;
- ``attestlab_device``: a simulated phone, or a real one read from a SOURCE;
- ``attestlab_okta_verify``: Okta Verify as installed on that device;
- ``attestlab_rng`` / ``attestlab_clock``: the seeded randomness and the simulated clock.
"""

from __future__ import annotations

import pytest

from simulator.chain import Chain
from simulator.device import AnyDevice, Platform
from simulator.emm import Intune
from simulator.verdict import Reason
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
