"""Benchmark of ``attestlab run`` on a large generated matrix.

The run is the bundled catalog, as it ships, on a device matrix grown until cases = scenarios x
devices of their platform ~= ``--cases`` (as users grow a run: more devices, not copies of their
scenario files; scenarios that read a capture run once). Each configuration runs ``attestlab run
--matrix ... --json ...`` in a subprocess, as a user would.

Every goal is a ratio to something measured in the same run, since absolute rates move 2x with
the machine's load:

- throughput: run-only cases/s on one worker >= 0.5 x the attestation cycles/s of the chain
  alone in this process (bench_attest's cycle: fresh org, enrollment, one sign-in; the mean of
  the two platforms), measured just before and after the run and averaged; i.e. scenarios,
  runner and reports at most double the cost of the attestation itself;
- scaling: two workers >= 1.6 x one worker;
- memory: the peak of the RSS **summed over every process of the run** (the command and its
  workers, sampled every 20 ms from /proc) <= 2 x the number of processes (1, or workers + 1)
  x the RSS of a bare process that imported the same modules: memory does not grow with the
  number of cases.

Exit status 1 when a goal is missed.

    python benchmarks/bench_run.py [--cases 10000] [--workers 1 2]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_attest import attestlab_cycle_factory, rate

from simulator.device import Platform

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "scenarios"
ANDROID = [("Pixel 6", "12"), ("Pixel 7", "13"), ("Pixel 8", "14"), ("Pixel 9", "15"), ("SM-S911B", "14")]
IOS = [("iPhone14,5", "17.6.1"), ("iPhone15,2", "18.1"), ("iPhone16,1", "18.3"), ("iPhone17,3", "18.5")]
PAGE = os.sysconf("SC_PAGE_SIZE")


def build(workdir: Path, cases: int) -> tuple[Path, int]:
    """A matrix giving about ``cases`` cases with the catalog; returns (matrix, expected cases)."""
    docs = [yaml.safe_load(p.read_text()) for p in sorted(CATALOG.rglob("*.yaml"))]
    fixed = sum(1 for d in docs if "source" in d["device"])  # capture scenarios: one case each
    per = {
        p: sum(1 for d in docs if "source" not in d["device"] and d["device"]["platform"] == p)
        for p in ("android", "ios")
    }
    devices = max(1, math.ceil((cases - fixed) / (per["android"] + per["ios"])))
    matrix = {
        "devices": [
            {"platform": name, "model": f"{model} #{i}", "version": version}
            for name, models in (("android", ANDROID), ("ios", IOS))
            for i, (model, version) in enumerate((models * devices)[:devices])
        ]
    }
    path = workdir / "matrix.yaml"
    path.write_text(yaml.safe_dump(matrix))
    return path, fixed + devices * (per["android"] + per["ios"])


def _tree(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(parent, []).append(int(entry))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += children.get(pid, [])
    return found


def _rss(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE
        except (OSError, IndexError, ValueError):
            continue
    return total


def peak_tree_rss(argv: list[str]) -> tuple[subprocess.CompletedProcess[str], float, int]:
    """Run ``argv``; its wall time and the peak RSS summed over it and all its descendants."""
    started = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _rss(_tree(proc.pid)))
            done.wait(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = proc.communicate()
    wall = time.perf_counter() - started
    done.set()
    sampler.join()
    return subprocess.CompletedProcess(argv, proc.returncode, out, err), wall, peak


def chain_rate() -> float:
    """Attestation cycles/s of the chain alone (both platforms' mean), in this process."""
    rates = []
    for target in (Platform.ANDROID, Platform.IOS):
        cycle, _ = attestlab_cycle_factory(target)
        rates.append(rate(cycle, 1.0))
    return statistics.mean(rates)


def run(matrix: Path, workers: int, report: Path) -> dict[str, float]:
    before = chain_rate()
    argv = [sys.executable, "-m", "harness", "run", str(CATALOG), "--matrix", str(matrix), "--workers", str(workers),
            "--seed", "1", "--json", str(report)]  # fmt: skip
    proc, wall, peak = peak_tree_rss(argv)
    after = chain_rate()
    if proc.returncode not in (0, 1):
        sys.exit(f"attestlab run failed ({proc.returncode}): {proc.stderr.strip()[-500:]}")
    summary = json.loads(report.read_text())["summary"]
    return {
        "workers": workers,
        "cases": summary["total"],
        "passed": summary["passed"],
        "wall_s": round(wall, 2),
        "cases_per_s_run": round(summary["total"] / summary["duration_s"], 1),
        "chain_cycles_per_s": round((before + after) / 2, 1),
        "tree_peak_rss_mb": round(peak / 2**20, 1),
    }


def bare_rss() -> int:
    """RSS of one process that imported what a run imports, and nothing ran."""
    code = "import harness.cli, harness.runner, harness.report, harness.scenarios.execute; print('ready'); input()"
    proc = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    rss = _rss([proc.pid])
    proc.communicate("\n")
    return rss


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="attestlab-bench-") as folder:
        workdir = Path(folder)
        matrix, expected = build(workdir, args.cases)
        baseline = bare_rss()
        results = [run(matrix, w, workdir / f"report-{w}.json") for w in args.workers]
    one = results[0]
    checks: dict[str, bool] = {
        "throughput_vs_chain_1_worker": one["cases_per_s_run"] >= 0.5 * one["chain_cycles_per_s"],
    }
    for r in results:
        r["speedup_run"] = round(r["cases_per_s_run"] / one["cases_per_s_run"], 2)
        processes = 1 if r["workers"] == 1 else r["workers"] + 1  # one worker runs in the command itself
        r["rss_vs_bare"] = round(r["tree_peak_rss_mb"] * 2**20 / baseline / processes, 2)
        checks[f"memory_{r['workers']}_workers"] = r["rss_vs_bare"] <= 2.0
        if r["workers"] == 2:
            checks["speedup_2_workers"] = r["speedup_run"] >= 1.6
    record = {
        "benchmark": "bench_run",
        "machine": f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}",
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "expected_cases": expected,
        "bare_process_rss_mb": round(baseline / 2**20, 1),
        "results": results,
        "goals": {"throughput_vs_chain": 0.5, "speedup_2_workers": 1.6, "rss_per_process_vs_bare": 2.0},
        "met": checks,
    }
    print(json.dumps(record))
    for r in results:
        print(
            f"workers={r['workers']}: {r['cases']} cases, {r['cases_per_s_run']}/s run-only "
            f"({r['cases_per_s_run'] / r['chain_cycles_per_s']:.2f} of the chain's {r['chain_cycles_per_s']}/s), "
            f"x{r['speedup_run']}, peak RSS of all processes {r['tree_peak_rss_mb']} MB "
            f"({r['rss_vs_bare']} x bare per process)"
        )
    print("goals: " + ", ".join(f"{k} {'met' if v else 'MISSED'}" for k, v in checks.items()))
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
