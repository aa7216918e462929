"""Builds the simulated world on one seeded RNG and one clock: orgs, phones, provisioned chains.

The pytest plugin's ``attestlab_factory`` fixture is a :class:`Factory` on the test's
``attestlab_rng`` and ``attestlab_clock``; this project's own tests use it, and so can users'
tests and scripts. Everything it builds draws from the same RNG and reads the same clock, so a
test that builds three phones gets the same identities, keys and secrets on every run and can step
every party past an expiry at once.

:meth:`Factory.provision` does what an admin and an EMM do before a user signs in (DOMAIN.md §1):
add the platform in the org (its secret key is shown once), type it into the EMM's app
configuration, enroll the phone, deploy and configure Okta Verify, and add the account in it.
A test then breaks one link of that chain.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from simulator.chain import Chain
from simulator.clock import SimClock
from simulator.device import AnyDevice, Platform, generate_identity, new_device
from simulator.emm import EMM
from simulator.ids import MANAGEMENT_HINT
from simulator.keys import KeyKind
from simulator.secret import Secret
from simulator.verifier import EndpointConfig, Org


@dataclass
class Provisioned:
    """One provisioned phone: the org and the configuration it was given, the configuration's
    secret key, the EMM holding what the admin typed, the phone, and the chain between them."""

    org: Org
    config: EndpointConfig
    secret: Secret
    emm: EMM
    device: AnyDevice
    chain: Chain


class Factory:
    """Orgs, phones and provisioned chains on one RNG and one clock."""

    def __init__(self, rng: random.Random, clock: SimClock) -> None:
        self.rng = rng
        self.clock = clock

    def org(self, **options: Any) -> Org:
        """An org with no endpoint-management configuration yet; ``options`` as :class:`Org`
        (``org_url``, ``policy``, ``multiple_configs``, ``keys``)."""
        return Org(rng=self.rng, clock=self.clock, **options)

    def device(self, platform: Platform | str = Platform.ANDROID, emm: EMM | None = None) -> AnyDevice:
        """A fresh simulated phone with nothing installed, enrolled by ``emm`` when given
        (``emm.apply``: enrollment, Okta Verify deployed, configuration pushed)."""
        platform = Platform(platform)
        device = new_device(platform, generate_identity(platform, self.rng))
        if emm is not None:
            emm.apply(device)
        return device

    def provision(
        self,
        platform: Platform | str,
        emm_cls: type[EMM],
        *,
        org: Org | None = None,
        configuration: Callable[[str], Mapping[str, Any]] | None = None,
        prepare: Callable[[AnyDevice], None] | None = None,
        enroll: bool = True,
        **emm_settings: Any,
    ) -> Provisioned:
        """A phone of ``platform`` provisioned by ``emm_cls`` for ``org`` (default: a new
        :meth:`org`), which gets a configuration of its own for it (provider and enrollment link
        of that EMM, named ``intune-android``, ``workspaceone-ios``, ``intune-android-2``...).

        ``configuration(secret)`` is what the admin types into the EMM (default
        ``{"managementHint": secret}``); ``emm_settings`` are the EMM's own settings
        (``android_mode=``, ``delivery=``...); ``prepare(device)`` runs before the EMM touches the
        phone (the user installs Okta Verify themselves, say); ``enroll=False`` leaves Okta Verify
        without an account for the org.
        """
        platform = Platform(platform)
        org = org if org is not None else self.org()
        config, secret = org.add_platform(
            platform, emm_cls.provider, emm_cls.enrollment_link, name=_free_name(org, emm_cls, platform)
        )
        typed = configuration(secret.reveal()) if configuration else {MANAGEMENT_HINT: secret.reveal()}
        emm = emm_cls(configuration=typed, **emm_settings)
        device = self.device(platform)
        if prepare is not None:
            prepare(device)
        emm.apply(device)
        return Provisioned(org, config, secret, emm, device, self.chain(org, device, enroll=enroll))

    def chain(self, org: Org, device: AnyDevice, *, enroll: bool = True, key_kind: KeyKind | None = None) -> Chain:
        """The chain between ``org`` and ``device`` (every copy of Okta Verify on it), each copy
        enrolled with the org unless ``enroll=False``; ``key_kind`` overrides the platform's key."""
        chain = Chain(org, device, rng=self.rng, clock=self.clock, key_kind=key_kind)
        if enroll:
            chain.enroll()
        return chain


def _free_name(org: Org, emm_cls: type[EMM], platform: Platform) -> str:
    taken = {c.name for c in org.configs}
    name = base = f"{emm_cls.__name__.lower()}-{platform.value}"
    count = 1
    while name in taken:
        count += 1
        name = f"{base}-{count}"
    return name
