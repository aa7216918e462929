"""Enroll + sign-in cycles per second per platform, against the protocol's crypto floor (issue 8).

Why: matrices run thousands of cases and each one enrolls Okta Verify and signs in; the chain
must cost little more than the cryptography a faithful exchange cannot avoid. Measured in the
same run, per platform (Android: RSA device key, RS256 answers; iOS: P-256 key, ES256 answers):

- attestlab: one cycle = what a case does: a **fresh org** (``Org`` with its configuration, its
  RS256 challenge key drawn from the process's key pool as every case's org is), a ``Chain`` on
  an already provisioned phone, Okta Verify's enrollment (device key from the pool, its JWK
  serialised, the org decoding it, Okta Verify decoding the org's JWKS), then one FastPass
  sign-in (challenge signed RS256 by the org and verified by Okta Verify, answer signed by the
  device key and verified by the org).
- the protocol floor, with ``cryptography`` alone: the same operations on tokens of the same
  size: the device key's JWK serialisation and RFC 7638 thumbprint, the org's decoding of it,
  Okta Verify's decoding of the org's RSA JWK, an RS256 signature and its verification, then
  the device's signature (ES256 with the DER-to-raw conversion and low-S normalisation, or
  RS256) and its verification (raw-to-DER for ES256).

Both are timed with ``time.perf_counter`` in many short interleaved rounds (floor, attestlab,
floor, in turn per platform), and the ratio is the median of each round's attestlab rate over
the mean of the floor rates just before and after it: on a shared machine the load drifts within
seconds, and pairing each measurement with its neighbours keeps the drift out of the ratio. The
results are one JSON line, then a human line per platform. Goal: attestlab at least 0.6 of the
floor on each platform; exit status 1 when a platform misses it.

    python benchmarks/bench_attest.py [--seconds 16] [--rounds 16] [--profile 25]

``--profile N`` also prints the N costliest functions (cProfile) of each platform's cycle.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import io
import json
import platform as host
import pstats
import random
import statistics
import sys
from collections.abc import Callable
from typing import Any

import cryptography
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
from yardsticks import Paired, rate

from simulator.chain import Chain
from simulator.device import Platform, generate_identity, new_device
from simulator.emm import Intune
from simulator.keys import POOL, KeyKind, b64url
from simulator.signin import Browser
from simulator.verdict import Outcome, Reason
from simulator.verifier import Org

GOAL_RATIO = 0.6
SECRET = "3zr7Q~vw4C16FS2bH8UfS1gJ5cL6sj~x_U9PQ"  # Okta's own example ("Use existing key")
P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def attestlab_cycle_factory(
    target: Platform, seed: int = 1, sign_ins: int = 1, unanswered: int = 0
) -> tuple[Callable[[], None], tuple[int, int]]:
    """Provision one phone; return the cycle and the sizes of its challenge and answer.

    ``sign_ins``: how many sign-ins a cycle makes after its enrollment (this benchmark's cycle
    makes one; bench_run weighs cycles of several by what its cases do); ``unanswered``: how many
    more no Okta Verify answers (the org signs its challenge, the link opens nothing: here a
    private browser's, as for a phone without the app)."""
    rng = random.Random(seed)
    device = new_device(target, generate_identity(target, rng))
    Intune(configuration={"managementHint": SECRET}).apply(device)
    sizes: list[tuple[int, int]] = []

    def cycle() -> None:
        org = Org(rng=rng)  # a fresh org per cycle, as every case builds one
        org.add_platform(target, Intune.provider, "https://portal.manage.microsoft.com/", existing_key=SECRET)
        chain = Chain(org, device, rng=rng)  # Okta Verify as freshly installed: no account yet
        chain.enroll()
        for _ in range(sign_ins):
            decision = chain.sign_in()
            if decision.outcome is not Outcome.MANAGED:
                raise SystemExit(f"benchmark chain is broken on {target.value}: {decision.reason}")
        for _ in range(unanswered):
            if chain.sign_in(Browser(private=True)).reason is not Reason.APP_NOT_INSTALLED:
                raise SystemExit(f"benchmark chain answered from a private browser on {target.value}")

    cycle()  # fail before timing anything
    org = Org(rng=rng)
    org.add_platform(target, Intune.provider, "https://portal.manage.microsoft.com/", existing_key=SECRET)
    chain = Chain(org, device, rng=rng)
    chain.enroll()
    attempt = org.start_sign_in(target)
    agent = chain.answering()
    assert agent is not None and attempt.challenge is not None
    enrollment, claims = agent.read_challenge(attempt.challenge)
    answer = agent.sign_response(enrollment, claims)
    sizes.append((len(attempt.challenge.rsplit(".", 1)[0]), len(answer.rsplit(".", 1)[0])))
    return cycle, sizes[0]


def _jwk_uint(value: int) -> str:
    return b64url(value.to_bytes((value.bit_length() + 7) // 8, "big"))


def _unb64(text: str) -> bytes:
    import base64

    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def protocol_floor_factory(target: Platform, sizes: tuple[int, int]) -> Callable[[], None]:
    """The cryptography one cycle performs, done with ``cryptography`` alone (see the docstring)."""
    rng = random.Random(3)
    challenge_input, answer_input = rng.randbytes(sizes[0]), rng.randbytes(sizes[1])
    org_key = POOL.key(KeyKind.RSA, 0).private
    assert isinstance(org_key, rsa.RSAPrivateKey)
    org_numbers = org_key.public_key().public_numbers()
    org_jwk = {"kty": "RSA", "n": _jwk_uint(org_numbers.n), "e": _jwk_uint(org_numbers.e)}
    device_kind = KeyKind.RSA if target is Platform.ANDROID else KeyKind.EC
    device_key = POOL.key(device_kind, 1 if device_kind is KeyKind.RSA else 0).private
    pkcs1, sha256 = padding.PKCS1v15(), hashes.SHA256()

    def cycle() -> None:
        # enrollment: the device serialises its public JWK and thumbprint, the org decodes it
        public = device_key.public_key()
        if isinstance(public, ec.EllipticCurvePublicKey):
            numbers = public.public_numbers()
            jwk = {
                "kty": "EC",
                "crv": "P-256",
                "x": b64url(numbers.x.to_bytes(32, "big")),
                "y": b64url(numbers.y.to_bytes(32, "big")),
            }
            canonical = f'{{"crv":"P-256","kty":"EC","x":"{jwk["x"]}","y":"{jwk["y"]}"}}'
            device_public: Any = ec.EllipticCurvePublicKey.from_encoded_point(
                ec.SECP256R1(), b"\x04" + _unb64(jwk["x"]) + _unb64(jwk["y"])
            )
        else:
            rsa_numbers = public.public_numbers()
            jwk = {"kty": "RSA", "n": _jwk_uint(rsa_numbers.n), "e": _jwk_uint(rsa_numbers.e)}
            canonical = f'{{"e":"{jwk["e"]}","kty":"RSA","n":"{jwk["n"]}"}}'
            device_public = rsa.RSAPublicNumbers(
                int.from_bytes(_unb64(jwk["e"]), "big"), int.from_bytes(_unb64(jwk["n"]), "big")
            ).public_key()
        b64url(hashlib.sha256(canonical.encode()).digest())
        # Okta Verify decodes the org's JWKS
        org_public = rsa.RSAPublicNumbers(
            int.from_bytes(_unb64(org_jwk["e"]), "big"), int.from_bytes(_unb64(org_jwk["n"]), "big")
        ).public_key()
        # the challenge: RS256 by the org, verified by Okta Verify
        org_public.verify(org_key.sign(challenge_input, pkcs1, sha256), challenge_input, pkcs1, sha256)
        # the answer: by the device key, verified by the org
        if isinstance(device_key, ec.EllipticCurvePrivateKey):
            r, s = decode_dss_signature(device_key.sign(answer_input, ec.ECDSA(sha256)))
            s = min(s, P256_ORDER - s)
            raw = r.to_bytes(32, "big") + s.to_bytes(32, "big")
            der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
            device_public.verify(der, answer_input, ec.ECDSA(sha256))
        else:
            device_public.verify(device_key.sign(answer_input, pkcs1, sha256), answer_input, pkcs1, sha256)

    cycle()
    return cycle


def batched(cycle: Callable[[], None], batch: int = 8) -> Callable[[], int]:
    """``cycle`` as :func:`yardsticks.rate` times work: ``batch`` cycles a call, counted."""

    def work() -> int:
        for _ in range(batch):
            cycle()
        return batch

    return work


def profile(cycle: Callable[[], None], cycles: int, top: int) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(cycles):
        cycle()
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(top)
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seconds", type=float, default=16.0, help="total timed seconds (default 16)")
    parser.add_argument("--rounds", type=int, default=16, help="interleaved rounds (default 16)")
    parser.add_argument("--profile", type=int, default=0, metavar="N", help="print the N costliest functions")
    args = parser.parse_args(argv)

    platforms = (Platform.ANDROID, Platform.IOS)
    raw: dict[Platform, Callable[[], None]] = {}
    cycles: dict[Platform, tuple[Callable[[], int], Callable[[], int]]] = {}
    for target in platforms:
        raw[target], sizes = attestlab_cycle_factory(target)
        cycles[target] = (batched(raw[target]), batched(protocol_floor_factory(target, sizes)))
    per_run = args.seconds / (4 * args.rounds)
    for cycle, floor in cycles.values():  # warm-up: imports, key pool, caches
        rate(cycle, per_run)
        rate(floor, per_run)
    measured: dict[Platform, Paired] = {t: Paired([], []) for t in platforms}
    for _ in range(args.rounds):  # the platforms in turn within each round, so drift hits both
        for target, (cycle, floor) in cycles.items():
            before, ours, after = rate(floor, per_run / 2), rate(cycle, per_run), rate(floor, per_run / 2)
            measured[target].ours.append(ours)
            measured[target].yardstick.append((before + after) / 2)
    result: dict[str, Any] = {"benchmark": "attest_cycle", "goal_ratio": GOAL_RATIO}
    ok = True
    lines = []
    for target in platforms:
        paired = measured[target]
        ours, floor_rate, ratio = statistics.median(paired.ours), statistics.median(paired.yardstick), paired.ratio
        ok = ok and ratio >= GOAL_RATIO
        result[target.value] = {
            "attestlab_cycles_per_s": round(ours, 1),
            "protocol_floor_per_s": round(floor_rate, 1),
            "ratio": round(ratio, 3),
            "attestlab_us_per_cycle": round(1e6 / ours, 1),
            "floor_us_per_cycle": round(1e6 / floor_rate, 1),
            "attestlab_rounds": [round(r, 1) for r in paired.ours],
            "floor_rounds": [round(r, 1) for r in paired.yardstick],
            "ratio_rounds": [round(r, 3) for r in paired.ratios],
        }
        verdict = "meets" if ratio >= GOAL_RATIO else "misses"
        lines.append(
            f"{target.value}: attestlab {ours:,.0f} enroll+sign-in cycles/s (fresh org each), protocol floor "
            f"{floor_rate:,.0f}/s: ratio {ratio:.2f} {verdict} the goal {GOAL_RATIO}"
        )
    result.update(python=host.python_version(), cryptography=cryptography.__version__)
    print(json.dumps(result))
    print("\n".join(lines))
    if args.profile:
        for target, cycle in raw.items():
            print(f"== {target.value}")
            print(profile(cycle, 200, args.profile))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
