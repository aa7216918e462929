"""Hypothesis strategies for attestlab's model: secrets, devices, EMMs and orgs.

For users' own property tests of their Device Trust setup, and for attestlab's. Everything drawn
is a valid value of the real thing: a secret Okta's "Use existing key" accepts, a phone the
simulator can build, an EMM with settings its console offers, an org file that validates.
Shrinking leads to the simplest failing setup (one configuration, default settings).

::

    from hypothesis import given
    from harness import strategies as al

    @given(org=al.org_specs(), secret=al.secrets())
    def test_my_rule(org, secret): ...

Only what is exported here is public (hypothesis' own rule: a small API, internals private).
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import strategies as st

from simulator.device import AnyDevice, Platform, generate_identity, new_device
from simulator.emm import EMM, Delivery, EnrollmentType, Intune, IOSAppSettings, WorkspaceOne
from simulator.emm.lookups import find_unresolved
from simulator.verifier.orgfile import OrgSpec

__all__ = [
    "PROVIDERS",
    "devices",
    "emm_classes",
    "emms",
    "endpoint_configs",
    "ios_app_settings",
    "org_specs",
    "platforms",
    "secrets",
]

#: The EMMs attestlab emulates, with the enrollment link their admins would type.
PROVIDERS: dict[type[EMM], str] = {cls: cls.enrollment_link for cls in (Intune, WorkspaceOne)}
_EPOCH = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)


def secrets(*, min_size: int = 8, max_size: int = 256) -> st.SearchStrategy[str]:
    """Keys Okta's "Use existing key" accepts: 8-256 printable ASCII characters, no spaces.

    Values that read as an EMM lookup (``{DeviceSerialNumber}``, ``{{mail}}``) are left out: an
    EMM would substitute them, so they are not the literal key the org holds.
    """
    chars = st.characters(min_codepoint=0x21, max_codepoint=0x7E)
    return st.text(chars, min_size=max(8, min_size), max_size=min(256, max_size)).filter(
        lambda s: not find_unresolved(s)
    )


def platforms() -> st.SearchStrategy[Platform]:
    return st.sampled_from([Platform.ANDROID, Platform.IOS])


def devices(platform: Platform | None = None) -> st.SearchStrategy[AnyDevice]:
    """A fresh phone (nothing installed, not enrolled) with a generated identity."""
    chosen = st.just(platform) if platform is not None else platforms()
    return st.builds(
        lambda p, seed: new_device(p, generate_identity(p, random.Random(seed))),
        chosen,
        st.integers(0, 2**32 - 1),
    )


def emm_classes() -> st.SearchStrategy[type[EMM]]:
    return st.sampled_from(list(PROVIDERS))


def ios_app_settings() -> st.SearchStrategy[IOSAppSettings]:
    """Workspace ONE / Intune iOS app settings; the defaults are what Okta's guide asks for."""
    return st.builds(
        IOSAppSettings,
        make_managed_if_user_installed=st.booleans(),
        sso_extension=st.booleans(),
        hint_in_sso_extension=st.booleans(),
    )


def emms(configuration: dict[str, Any], emm: type[EMM] | None = None) -> st.SearchStrategy[EMM]:
    """An EMM that delivers ``configuration`` (the app config as typed in its console), with any
    of the settings its console offers; shrinks towards the guide's recommended settings."""

    def build(cls: type[EMM], ios: IOSAppSettings, data: st.DataObject) -> EMM:
        if cls is Intune:
            enrollment = data.draw(st.sampled_from(list(EnrollmentType)), label="enrollment_type")
            return Intune(configuration=configuration, ios=ios, enrollment_type=enrollment)
        delivery = data.draw(st.sampled_from(list(Delivery)), label="delivery")
        send = data.draw(st.booleans(), label="send_configuration")
        return WorkspaceOne(configuration=configuration, ios=ios, delivery=delivery, send_configuration=send)

    classes = st.just(emm) if emm is not None else emm_classes()
    return st.builds(build, classes, ios_app_settings(), st.data())


def endpoint_configs(platform: Platform | None = None, *, name: str | None = None) -> st.SearchStrategy[dict[str, Any]]:
    """One ``endpoint_management`` entry of an org file, with its secret."""
    return st.builds(
        lambda p, cls, secret, days: {
            "name": name or f"{cls.__name__.lower()}-{p.value}",
            "platform": p.value,
            "provider": cls.provider,
            "enrollment_link": PROVIDERS[cls],
            "secret": secret,
            "created": (_EPOCH + timedelta(days=days)).isoformat(),
        },
        st.just(platform) if platform is not None else platforms(),
        emm_classes(),
        secrets(),
        st.integers(0, 365),
    )


def org_specs(*, max_configs: int = 4) -> st.SearchStrategy[OrgSpec]:
    """A valid org file: up to ``max_configs`` configurations (uniquely named), a policy, and
    the multiple-configs rule."""

    @st.composite
    def build(draw: st.DrawFn) -> OrgSpec:
        count = draw(st.integers(0, max_configs), label="configs")
        configs = [draw(endpoint_configs(name=f"config-{i}"), label=f"config-{i}") for i in range(count)]
        managed = draw(st.booleans(), label="policy requires managed")
        return OrgSpec.model_validate(
            {
                "org_url": "https://example.okta.com",
                "endpoint_management": configs,
                "policy": {"device": {"registered": True, "managed": managed}},
                "multiple_configs": draw(st.sampled_from(["any-match", "earliest-only"]), label="multiple_configs"),
            }
        )

    return build()
