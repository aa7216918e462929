"""Enroll + sign-in cycles per second in process, against the bare crypto floor (issue 2).

Why: matrices run thousands of cases and each one enrolls Okta Verify and signs in; the chain
must cost little more than the cryptography it cannot avoid. Measured in the same run:

- attestlab: one cycle = a fresh Okta Verify enrollment (new device-bound P-256 key, registered
  with the org) on an already provisioned phone, then one FastPass sign-in through
  :class:`~simulator.chain.Chain` and :class:`~simulator.signin.InProcessChannel`. The org and the
  phone (Android, Intune, work profile, managed) are made once and reused.
- the floor, with ``cryptography`` alone: P-256 key generation + ES256 (ECDSA P-256 SHA-256)
  signature of a ~1 KB payload + its verification.

A cycle needs one key, two signatures and two verifications (the org signs the challenge, Okta
Verify checks it, signs the answer, the org checks that), so about half the floor's rate is the
best the chain can reach: goal ratio >= 0.5. Both are timed with ``time.perf_counter`` in
interleaved rounds (so drifting machine load hits both alike); the medians are reported as one
JSON line, then a human line. Exit status 1 when the ratio is below the goal.

    python benchmarks/bench_attest.py [--seconds 6] [--rounds 5] [--profile 25]

``--profile N`` also prints the N costliest functions (cProfile, cumulative) of the cycle.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import platform
import pstats
import random
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import cryptography
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from simulator.chain import Chain
from simulator.device import Platform, generate_identity, new_device
from simulator.emm import Intune
from simulator.signin import InProcessChannel
from simulator.verdict import Outcome
from simulator.verifier import Org

GOAL_RATIO = 0.5
PAYLOAD = random.Random(2).randbytes(1024)


def attestlab_cycle_factory(seed: int = 1) -> Callable[[], None]:
    """Provision once; return one enroll + sign-in cycle on that org and phone."""
    rng = random.Random(seed)
    org = Org(rng=rng)
    _, secret = org.add_platform(
        Platform.ANDROID, Intune.provider, "https://portal.manage.microsoft.com/", name="intune-android"
    )
    device = new_device(Platform.ANDROID, generate_identity(Platform.ANDROID, rng))
    Intune(configuration={"managementHint": secret.reveal()}).apply(device)

    def cycle() -> None:
        chain = Chain(org, device, rng=rng)  # Okta Verify as freshly installed: no account yet
        chain.enroll()
        decision = chain.sign_in(channel=InProcessChannel(chain.port()))
        if decision.outcome is not Outcome.MANAGED:
            raise SystemExit(f"benchmark chain is broken: {decision.reason}")

    cycle()  # fail before timing anything
    return cycle


def crypto_floor_cycle() -> None:
    """Key generation, ES256 signature of ~1 KB and its verification, nothing else."""
    key = ec.generate_private_key(ec.SECP256R1())
    signature = key.sign(PAYLOAD, ec.ECDSA(hashes.SHA256()))
    key.public_key().verify(signature, PAYLOAD, ec.ECDSA(hashes.SHA256()))


def protocol_floor_cycle() -> None:
    """The cryptography a FastPass cycle cannot avoid: one key, two signatures, two verifications
    (the org signs the challenge and Okta Verify checks it, as okta-devices-swift's OktaBindJWT
    does; Okta Verify signs the answer and the org checks it)."""
    key = ec.generate_private_key(ec.SECP256R1())
    org = ORG_KEY
    for signer in (org, key):
        signature = signer.sign(PAYLOAD, ec.ECDSA(hashes.SHA256()))
        signer.public_key().verify(signature, PAYLOAD, ec.ECDSA(hashes.SHA256()))


ORG_KEY = ec.generate_private_key(ec.SECP256R1())


def rate(cycle: Callable[[], None], seconds: float) -> float:
    """Cycles per second over at least ``seconds`` (whole batches, timed with perf_counter)."""
    done, batch = 0, 16
    began = time.perf_counter()
    while (elapsed := time.perf_counter() - began) < seconds:
        for _ in range(batch):
            cycle()
        done += batch
    return done / elapsed


def profile(cycle: Callable[[], None], cycles: int, top: int) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(cycles):
        cycle()
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=6.0, help="total timed seconds (default 6)")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (default 5)")
    parser.add_argument("--profile", type=int, default=0, metavar="N", help="print the N costliest functions")
    args = parser.parse_args(argv)

    cycle = attestlab_cycle_factory()
    per_run = args.seconds / (2 * args.rounds)
    rate(cycle, per_run / 4)  # warm-up: imports, Faker pool, caches
    rate(crypto_floor_cycle, per_run / 4)
    attestlab: list[float] = []
    floor: list[float] = []
    protocol: list[float] = []
    for _ in range(args.rounds):
        attestlab.append(rate(cycle, per_run))
        floor.append(rate(crypto_floor_cycle, per_run))
        protocol.append(rate(protocol_floor_cycle, per_run / 2))
    attestlab_rate, floor_rate = statistics.median(attestlab), statistics.median(floor)
    protocol_rate = statistics.median(protocol)
    ratio = attestlab_rate / floor_rate
    result: dict[str, Any] = {
        "benchmark": "attest_cycle",
        "attestlab_cycles_per_s": round(attestlab_rate, 1),
        "crypto_floor_per_s": round(floor_rate, 1),
        "ratio": round(ratio, 3),
        "goal_ratio": GOAL_RATIO,
        "protocol_floor_per_s": round(protocol_rate, 1),
        "ratio_to_protocol_floor": round(attestlab_rate / protocol_rate, 3),
        "best_possible_ratio": round(protocol_rate / floor_rate, 3),
        "attestlab_rounds": [round(r, 1) for r in attestlab],
        "floor_rounds": [round(r, 1) for r in floor],
        "attestlab_us_per_cycle": round(1e6 / attestlab_rate, 1),
        "floor_us_per_cycle": round(1e6 / floor_rate, 1),
        "python": platform.python_version(),
        "cryptography": cryptography.__version__,
    }
    print(json.dumps(result))
    verdict = "meets" if ratio >= GOAL_RATIO else "misses"
    print(
        f"attestlab {attestlab_rate:,.0f} enroll+sign-in cycles/s, crypto floor {floor_rate:,.0f}/s: "
        f"ratio {ratio:.2f} {verdict} the goal {GOAL_RATIO}; the protocol's own crypto "
        f"({protocol_rate:,.0f}/s) caps the ratio at {protocol_rate / floor_rate:.2f}, "
        f"and attestlab runs at {attestlab_rate / protocol_rate:.2f} of that"
    )
    if args.profile:
        print(profile(cycle, 500, args.profile))
    return 0 if ratio >= GOAL_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
