"""Benchmark of start-up: what a small ``attestlab`` command costs before it does anything.

CPU time (user + system, from ``wait4``) of whole processes, run in alternating pairs (the
command and its yardstick, again and again, which one goes first alternating from pair to pair),
so that a change in the machine's load hits both sides of each pair alike; the figure is the
median of the per-pair ratios, printed with their quartiles. On a shared VM the CPU time of one
and the same process varies by a third from run to run: 30 pairs put the median within about
+-0.02 of where more pairs would.

Goals (each a ratio to a yardstick measured in the same run):

- ``attestlab --help`` <= 0.8 x ``pytest --version`` (a Python tool's start-up on this machine,
  entry-point plugins included);
- with ``--baseline DIR`` (a checkout of an earlier attestlab, e.g. a ``git worktree`` of the
  commit before a change): a one-scenario ``attestlab run`` <= 0.6 x the same run from DIR.

Also reported, without a goal: the one-scenario run and the whole bundled catalog against
``pytest --version``. Exit status 1 when a stated goal is missed.

    python benchmarks/bench_startup.py [--pairs 30] [--baseline DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = Path("scenarios") / "known-issues" / "reset-secret-key.yaml"


def cpu_seconds(argv: Sequence[str], *, pythonpath: Path | None, cwd: Path) -> float:
    """CPU time of one process (and the children it waited for), user + system.

    Byte code is cached (in a folder of the run, under ``PYTHONPYCACHEPREFIX``) as for an
    installed package: with ``PYTHONDONTWRITEBYTECODE`` set, every process would compile every
    module again, and that would be most of what is measured.
    """
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(cwd / "pycache")
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    stderr = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if proc.returncode not in (0, 1):
        sys.exit(f"{' '.join(argv)} failed ({proc.returncode}): {stderr.strip()[-400:]}")
    return usage.ru_utime + usage.ru_stime


def pairs(
    command: tuple[Sequence[str], Path | None], yardstick: tuple[Sequence[str], Path | None], count: int, cwd: Path
) -> dict[str, float]:
    """Alternate the two ``count`` times (after one warm-up each, the command first in even
    pairs, the yardstick in odd ones); medians, the median pair ratio and its quartiles."""
    for argv, path in (command, yardstick):
        cpu_seconds(argv, pythonpath=path, cwd=cwd)
    a, b = [], []
    for pair in range(count):
        sides = [(a, command), (b, yardstick)]
        for times, (argv, path) in sides if pair % 2 == 0 else reversed(sides):
            times.append(cpu_seconds(argv, pythonpath=path, cwd=cwd))
    ratios = [x / y for x, y in zip(a, b, strict=True)]
    quartiles = statistics.quantiles(ratios, n=4) if count > 1 else [ratios[0]] * 3
    return {
        "cpu_ms": round(statistics.median(a) * 1000, 1),
        "yardstick_cpu_ms": round(statistics.median(b) * 1000, 1),
        "ratio": round(statistics.median(ratios), 3),
        "ratio_quartiles": [round(quartiles[0], 3), round(quartiles[2], 3)],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=30)
    parser.add_argument("--baseline", type=Path, help="checkout of the attestlab to compare the run with")
    args = parser.parse_args()
    python = sys.executable
    attestlab = [python, "-m", "harness"]
    pytest_version = ([python, "-m", "pytest", "--version"], None)
    one = [*attestlab, "run", str(ROOT / SCENARIO), "--seed", "1"]
    with tempfile.TemporaryDirectory(prefix="attestlab-startup-") as folder:
        cwd = Path(folder)  # no pyproject.toml or conftest.py around for pytest to read
        results = {
            "help_vs_pytest_version": pairs(([*attestlab, "--help"], ROOT), pytest_version, args.pairs, cwd),
            "one_scenario_vs_pytest_version": pairs((one, ROOT), pytest_version, args.pairs, cwd),
            "catalog_vs_one_scenario": pairs(
                ([*attestlab, "run", "--seed", "1"], ROOT), (one, ROOT), max(3, args.pairs // 3), cwd
            ),
        }
        goals = {"help_vs_pytest_version": 0.8}
        if args.baseline:
            old = [*attestlab, "run", str(args.baseline.resolve() / SCENARIO), "--seed", "1"]
            results["one_scenario_vs_baseline"] = pairs((one, ROOT), (old, args.baseline.resolve()), args.pairs, cwd)
            goals["one_scenario_vs_baseline"] = 0.6
    met = {name: results[name]["ratio"] <= goal for name, goal in goals.items()}
    print(
        json.dumps(
            {
                "benchmark": "bench_startup",
                "machine": f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}",
                "load_average": [round(x, 2) for x in os.getloadavg()],
                "pairs": args.pairs,
                "results": results,
                "goals": goals,
                "met": met,
            }
        )
    )
    for name, r in results.items():
        goal = f" (goal <= {goals[name]}: {'met' if met[name] else 'MISSED'})" if name in goals else ""
        spread = f" (quartiles {r['ratio_quartiles'][0]}-{r['ratio_quartiles'][1]})"
        print(f"{name}: {r['cpu_ms']} ms vs {r['yardstick_cpu_ms']} ms CPU, ratio {r['ratio']}{spread}{goal}")
    return 0 if all(met.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
