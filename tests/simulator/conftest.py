"""The simulator tests' parametrisation: every platform, every EMM, and every pair of them.

The chain itself comes from the plugin's ``attestlab_factory`` fixture (docs/pytest.md):
``attestlab_factory.provision(platform, emm_cls, ...)``, and tests then break one link.
"""

from __future__ import annotations

import pytest

from simulator.device import Platform
from simulator.emm import EMM, Intune, WorkspaceOne

PLATFORMS = (Platform.ANDROID, Platform.IOS)
EMMS: tuple[type[EMM], ...] = (Intune, WorkspaceOne)


def emm_id(emm_cls: type[EMM]) -> str:
    return {Intune: "intune", WorkspaceOne: "ws1"}[emm_cls]


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
