"""Parsing speed of device data (issue 4): bundled captures per second, and ABX decode throughput.

- captures/s: every bundled Android capture is read end to end with ``read_source`` (capture.json,
  every recorded answer from disk, every parser: getprop, pm, dumpsys, restrictions in text XML or
  ABX, TestDPC) into the device model, in a loop; goal >= 2,000 captures/s.
- ABX MB/s: :mod:`bench_abx` (the same folder) decodes a generated ~5 MB restrictions file;
  goal >= 20 MB/s.

Prints one JSON line, then a human line; exits 1 when a goal is missed.

    python benchmarks/bench_parse.py [--seconds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_abx

from harness.readers import read_source

ROOT = Path(__file__).resolve().parent.parent
GOAL_CAPTURES_PER_S = 2000
GOAL_ABX_MB_PER_S = bench_abx.GOAL_MB_PER_S


def captures_per_second(seconds: float, rounds: int = 5) -> tuple[float, int]:
    sources = [f"capture:{d}" for d in sorted((ROOT / "fixtures" / "captures" / "android").iterdir()) if d.is_dir()]
    for source in sources:  # warm-up, and fail before timing anything
        read_source(source)
    rates = []
    for _ in range(rounds):
        done, began = 0, time.perf_counter()
        while (elapsed := time.perf_counter() - began) < seconds / rounds:
            for source in sources:
                read_source(source)
            done += len(sources)
        rates.append(done / elapsed)
    return statistics.median(rates), len(sources)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    rate, count = captures_per_second(args.seconds)
    abx = bench_abx.measure()
    record = {
        "benchmark": "bench_parse",
        "machine": f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}",
        "android_captures": count,
        "captures_per_s": round(rate, 1),
        "abx": abx,
        "goals": {"captures_per_s": GOAL_CAPTURES_PER_S, "abx_mb_per_s": GOAL_ABX_MB_PER_S},
    }
    print(json.dumps(record))
    print(
        f"{rate:,.0f} Android captures/s (goal {GOAL_CAPTURES_PER_S:,}); ABX decode {abx['decode_MB_per_s']} MB/s "
        f"median, {abx['decode_best_MB_per_s']} best, on {abx['file_bytes'] / 1e6:.1f} MB (goal {GOAL_ABX_MB_PER_S})"
    )
    return 0 if rate >= GOAL_CAPTURES_PER_S and abx["decode_MB_per_s"] >= GOAL_ABX_MB_PER_S else 1


if __name__ == "__main__":
    sys.exit(main())
