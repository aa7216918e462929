"""Benchmark of ``attestlab run --workers 2`` against one process, by plan size: where do two
workers start paying off (``harness.runner.MIN_CASES_FOR_WORKERS``)?

For each size, the bundled catalog on a matrix grown with devices (bench_matrix's generator) runs
in alternating pairs: ``--workers 1``, then ``--workers 2 --force-workers``, ``--pairs`` times;
wall time and CPU (user + system, the command and its workers) of whole processes.

Two workers can only beat one when the machine gives the run two cores. Next to each pair, the
**yardstick** measures what it gave: the same fixed amount of pure-Python work in one process,
then split over two forked processes; its speed-up is the most any two-process run could reach
at that moment. On a shared machine the kernel's autogroup scheduler gives each session a fair
share of the CPUs, whatever its number of processes: when other sessions keep the cores busy,
the yardstick falls to ~x1 and so does every worker pool.

Reported per size: median wall speed-up of two workers, the yardstick's median, and the extra
CPU two workers cost (pool start-up, per-worker warm-up). The crossover is the smallest size from
which two workers are faster on median. Goal (exit 1 when missed): the crossover is at most
``MIN_CASES_FOR_WORKERS`` — below it one process is used unless forced, so a plan at that size
must not be slower with the workers the constant lets it have. Needs a machine whose yardstick
reaches x1.6 (else: no verdict, exit 1 as well, saying why).

    python benchmarks/bench_workers.py [--sizes 50 100 200 400 800] [--pairs 3]
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
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_matrix import build_matrix, yardstick

ROOT = Path(__file__).resolve().parent.parent


def run(matrix: Path, workers: int, cwd: Path) -> tuple[float, float]:
    """Wall and CPU seconds of one ``attestlab run`` (with its workers)."""
    argv = [sys.executable, "-m", "harness", "run", "--matrix", str(matrix), "--seed", "1", "-q"]
    argv += ["--workers", str(workers)] + (["--force-workers"] if workers > 1 else [])
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    started = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        sys.exit(f"attestlab run failed ({code}): {(proc.stderr.read() if proc.stderr else b'').decode()[-400:]}")
    return wall, usage.ru_utime + usage.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 100, 200, 400, 800])
    parser.add_argument("--pairs", type=int, default=3)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from harness.runner import MIN_CASES_FOR_WORKERS

    rows = []
    with tempfile.TemporaryDirectory(prefix="attestlab-workers-") as folder:
        for size in args.sizes:
            work = Path(folder) / str(size)
            work.mkdir()
            matrix, cases = build_matrix(work, size)
            speedups, sticks, extra_cpu = [], [], []
            for _ in range(args.pairs):
                sticks.append(yardstick())
                (w1, c1), (w2, c2) = run(matrix, 1, work), run(matrix, 2, work)
                speedups.append(w1 / w2)
                extra_cpu.append(c2 - c1)
            rows.append(
                {
                    "cases": cases,
                    "speedup_2_workers": round(statistics.median(speedups), 2),
                    "yardstick_speedup": round(statistics.median(sticks), 2),
                    "extra_cpu_s": round(statistics.median(extra_cpu), 3),
                    "load": round(os.getloadavg()[0], 2),
                }
            )
            print(json.dumps(rows[-1]), file=sys.stderr)
    crossover = None  # the smallest size from which every larger one is faster with two workers
    for row in sorted(rows, key=lambda r: r["cases"], reverse=True):
        if row["speedup_2_workers"] <= 1.0:
            break
        crossover = row["cases"]
    machine_ok = statistics.median(r["yardstick_speedup"] for r in rows) >= 1.6
    met = machine_ok and crossover is not None and crossover <= MIN_CASES_FOR_WORKERS
    print(
        json.dumps(
            {
                "benchmark": "bench_workers",
                "machine": f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}",
                "load_average": [round(x, 2) for x in os.getloadavg()],
                "pairs": args.pairs,
                "rows": rows,
                "crossover_cases": crossover,
                "min_cases_for_workers": MIN_CASES_FOR_WORKERS,
                "machine_gave_two_cores": machine_ok,
                "met": met,
            }
        )
    )
    for r in rows:
        print(
            f"{r['cases']:>6} cases: two workers x{r['speedup_2_workers']} (yardstick x{r['yardstick_speedup']}), "
            f"+{r['extra_cpu_s']} s CPU, load {r['load']}"
        )
    if not machine_ok:
        print("no verdict: the machine did not give this session two cores (yardstick median < x1.6)")
    else:
        verdict = "met" if met else "MISSED"
        print(f"crossover: {crossover} cases; MIN_CASES_FOR_WORKERS = {MIN_CASES_FOR_WORKERS}: {verdict}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
