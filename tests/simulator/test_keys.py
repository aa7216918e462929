"""Keys of the simulated world: distinct within a world, reused across worlds, types per platform."""

from __future__ import annotations

import random
from typing import Any

from simulator.chain import Chain
from simulator.device import AndroidDevice, Platform
from simulator.emm import Intune
from simulator.factory import Factory
from simulator.ids import OKTA_VERIFY_ANDROID
from simulator.keys import FreshKeys, KeyKind, KeyPool, PooledKeys, generate
from simulator.okta_verify import InProcessVerifier, OktaVerify


def test_a_world_never_gets_a_key_twice_and_worlds_reuse_the_pool() -> None:
    pool = KeyPool()
    first, second = PooledKeys(pool), PooledKeys(pool)
    a = [first.new_key(KeyKind.EC) for _ in range(3)]
    b = [second.new_key(KeyKind.EC) for _ in range(3)]

    assert len({k.kid for k in a}) == 3
    assert [k.kid for k in a] == [k.kid for k in b]  # worlds share the pool...
    assert len(pool) == 3  # ...so keys are generated once per process


def test_every_holder_in_a_chain_has_its_own_key(attestlab_factory: Factory) -> None:
    """The org's key and each copy's device key differ, so none can sign as another."""

    def both_profiles(device: Any) -> None:
        assert isinstance(device, AndroidDevice)
        device.install(OKTA_VERIFY_ANDROID, 0)

    s = attestlab_factory.provision(Platform.ANDROID, Intune, prepare=both_profiles)
    kids = [s.org.key.kid] + [a.enrollments[s.org.org_url].key.kid for a in s.chain.agents]
    other = attestlab_factory.provision(Platform.ANDROID, Intune, org=s.org)  # a second phone of the same org
    kids += [a.enrollments[s.org.org_url].key.kid for a in other.chain.agents]

    assert len(kids) == len(set(kids)) == 4


def test_default_key_types_and_the_android_setting(attestlab_factory: Factory) -> None:
    rng = attestlab_factory.rng
    org = attestlab_factory.org()
    android, iphone = attestlab_factory.device(Platform.ANDROID), attestlab_factory.device(Platform.IOS)
    Intune(configuration={}).apply(android)
    Intune(configuration={}).apply(iphone)

    assert [a.key_kind for a in Chain(org, android, rng=rng).agents] == [KeyKind.RSA]
    assert [a.key_kind for a in Chain(org, iphone, rng=rng).agents] == [KeyKind.EC]
    (ec_android,) = Chain(org, android, rng=rng, key_kind=KeyKind.EC).agents
    ec_android.enroll(InProcessVerifier(org))
    assert ec_android.enrollments[org.org_url].key.alg == "ES256"
    assert org.key.alg == "RS256"


def test_an_agent_outside_a_chain_generates_its_own_keys(attestlab_factory: Factory) -> None:
    iphone = attestlab_factory.device(Platform.IOS)
    Intune(configuration={}).apply(iphone)
    agent = OktaVerify(iphone, rng=random.Random(1))
    assert isinstance(agent.keys, FreshKeys)
    seeded = [FreshKeys(random.Random(9)).new_key(KeyKind.EC).kid for _ in range(2)]
    assert seeded[0] == seeded[1]  # P-256 keys from a seeded generator repeat
    assert generate(KeyKind.EC).kid != generate(KeyKind.EC).kid
