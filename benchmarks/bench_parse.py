"""Parsing speed of device data (issue 4): bundled captures per second, and ABX decode throughput.

- captures/s: every bundled Android capture is read end to end with ``read_source`` (capture.json,
  every recorded answer from disk, every parser: getprop, pm, dumpsys, restrictions in text XML or
  ABX, TestDPC) into the device model, in a loop, against a yardstick in the same run: the
  standard library reading the same files and taking them apart (``json.loads``, ElementTree on
  text XML, lines split at ``:``; ABX files only read: :func:`yardsticks.stdlib_capture_reader`),
  7 rounds of yardstick, ours, yardstick. Goal: captures/s >= 0.2 x the yardstick's, i.e. our
  readers cost at most 5 times the stdlib's plain taking apart of the same bytes. Calibration:
  the old goal was >= 2,000 captures/s, met at 2,275 (11 captures, quiet); on 2026-12-01 16:28
  UTC at load average 4.6 (14 captures) ours ran at 445/s, 0.22 of the yardstick's 1,815/s:
  2,000/2,275 of that is 0.19, rounded to 0.2.
- ABX: :mod:`bench_abx` (the same folder) decodes a generated ~5 MB restrictions file against
  ElementTree on its text XML; its goal (>= 0.5 of ElementTree's speed) is this script's too.

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
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_abx
from yardsticks import Paired, interleaved, stdlib_capture_reader

from harness.readers import read_source

ROOT = Path(__file__).resolve().parent.parent
CAPTURES = sorted(d for d in (ROOT / "fixtures" / "captures" / "android").iterdir() if d.is_dir())
#: Captures/s over the stdlib reader's captures/s of the same files (calibration: docstring).
GOAL_VS_STDLIB = 0.2


def captures_vs_stdlib(seconds: float, rounds: int = 7) -> Paired:
    """Our readers against the standard library's reading of the same capture files, interleaved."""
    sources = [f"capture:{d}" for d in CAPTURES]

    def ours() -> int:
        for source in sources:
            read_source(source)
        return len(sources)

    ours()  # fail before timing anything
    return interleaved(ours, stdlib_capture_reader(CAPTURES), seconds, rounds)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=6.0)
    args = parser.parse_args()
    captures = captures_vs_stdlib(args.seconds)
    abx = bench_abx.measure()
    record = {
        "benchmark": "bench_parse",
        "machine": f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}",
        "android_captures": len(CAPTURES),
        "captures_vs_stdlib": captures.summary(),
        "abx": abx,
        "goals": {"captures_vs_stdlib": GOAL_VS_STDLIB, "abx_vs_elementtree": bench_abx.GOAL_VS_ELEMENTTREE},
    }
    print(json.dumps(record))
    ok = captures.ratio >= GOAL_VS_STDLIB
    print(
        f"{statistics.median(captures.ours):,.0f} Android captures/s, {captures.ratio:.3f} of the stdlib reader's "
        f"{statistics.median(captures.yardstick):,.0f}/s on the same files: {'meets' if ok else 'misses'} the goal "
        f"{GOAL_VS_STDLIB}"
    )
    print(bench_abx.human(abx))
    return 0 if ok and bench_abx.met(abx) else 1


if __name__ == "__main__":
    sys.exit(main())
