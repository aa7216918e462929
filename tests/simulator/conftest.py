"""Fixtures for the simulated chain: one org configuration, one EMM, one phone, wired as a Chain.

``provision(platform, emm_cls, ...)`` does what an admin and the EMM do before a user signs in:
add the platform in the org (the secret is shown once), type it into the EMM's app
configuration, enroll the phone, and add the account in Okta Verify. Tests then break one link.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pytest

from simulator.chain import Chain
from simulator.device import AnyDevice, Platform
from simulator.emm import EMM, Intune, WorkspaceOne
from simulator.ids import MANAGEMENT_HINT
from simulator.secret import Secret
from simulator.verifier import EndpointConfig, Org

PLATFORMS = (Platform.ANDROID, Platform.IOS)
EMMS: tuple[type[EMM], ...] = (Intune, WorkspaceOne)
#: Where each EMM's users enroll (the org's "Enrollment link").
ENROLLMENT_LINKS: dict[type[EMM], str] = {
    Intune: "https://portal.manage.microsoft.com/",
    WorkspaceOne: "https://getwsone.com/",
}


def emm_id(emm_cls: type[EMM]) -> str:
    return {Intune: "intune", WorkspaceOne: "ws1"}[emm_cls]


@dataclass
class Setup:
    org: Org
    config: EndpointConfig
    secret: Secret
    emm: EMM
    device: AnyDevice
    chain: Chain


@pytest.fixture(
    params=[(p, e) for p in PLATFORMS for e in EMMS],
    ids=[f"{p.value}-{emm_id(e)}" for p in PLATFORMS for e in EMMS],
)
def platform_emm(request: pytest.FixtureRequest) -> tuple[Platform, type[EMM]]:
    """Every platform with every EMM."""
    value: tuple[Platform, type[EMM]] = request.param
    return value


@pytest.fixture(params=PLATFORMS, ids=[p.value for p in PLATFORMS])
def platform(request: pytest.FixtureRequest) -> Platform:
    value: Platform = request.param
    return value


@pytest.fixture(params=EMMS, ids=[emm_id(e) for e in EMMS])
def emm_cls(request: pytest.FixtureRequest) -> type[EMM]:
    value: type[EMM] = request.param
    return value


def add_config(org: Org, platform: Platform, emm_cls: type[EMM]) -> tuple[EndpointConfig, Secret]:
    """Add platform in the org as the admin of that EMM would (provider pre-filled, its link)."""
    taken = {c.name for c in org.configs}
    name = base = f"{emm_id(emm_cls)}-{platform.value}"
    count = 1
    while name in taken:
        count += 1
        name = f"{base}-{count}"
    return org.add_platform(platform, emm_cls.provider, ENROLLMENT_LINKS[emm_cls], name=name)


@pytest.fixture
def provision(
    make_org: Callable[..., Org],
    make_device: Callable[..., AnyDevice],
    rng: random.Random,
    clock: Callable[[], float],
) -> Callable[..., Setup]:
    """``provision(platform, emm_cls, *, org=None, configuration=None, prepare=None, enroll=True,
    **emm_settings)``.

    ``configuration(secret)`` is what the admin types into the EMM (default
    ``{"managementHint": secret}``); ``prepare(device)`` runs before the EMM touches the phone
    (e.g. the user installs Okta Verify themselves).
    """

    def provision(
        platform: Platform,
        emm_cls: type[EMM],
        *,
        org: Org | None = None,
        configuration: Callable[[str], Mapping[str, Any]] | None = None,
        prepare: Callable[[AnyDevice], None] | None = None,
        enroll: bool = True,
        **emm_settings: Any,
    ) -> Setup:
        org = org or make_org()
        config, secret = add_config(org, platform, emm_cls)
        typed = configuration(secret.reveal()) if configuration else {MANAGEMENT_HINT: secret.reveal()}
        emm = emm_cls(configuration=typed, **emm_settings)
        device = make_device(platform)
        if prepare is not None:
            prepare(device)
        emm.apply(device)
        chain = Chain(org, device, rng=rng, clock=clock)
        if enroll:
            chain.enroll()
        return Setup(org, config, secret, emm, device, chain)

    return provision
