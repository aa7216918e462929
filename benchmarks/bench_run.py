"""Benchmark of ``attestlab run`` on a generated 10,000-case run (issue 3).

The run is the bundled catalog's scenarios (copied under new names until there are enough) times
a device matrix of real models and OS versions, sized so that cases = scenarios x devices of
their platform ~= ``--cases``. Each configuration runs ``attestlab run`` in a subprocess, as a user
would, writing the JSON report (results stream to it). Reported per worker count: wall-clock
cases/s (process start included), run-only cases/s (the report's ``duration_s``) and the peak RSS
of the largest process (``ru_maxrss`` of waited-for children, which includes pool workers).

Goals: >= 1,000 cases/s on one worker, >= 1.6x that with two, peak RSS < 300 MB.

    python benchmarks/bench_run.py [--cases 10000] [--workers 1 2]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
ANDROID = [
    ("Pixel 6", "12"),
    ("Pixel 7", "13"),
    ("Pixel 8", "14"),
    ("Pixel 9", "15"),
    ("SM-S911B", "14"),
    ("SM-A525F", "13"),
]
IOS = [("iPhone14,5", "17.6.1"), ("iPhone15,2", "18.1"), ("iPhone16,1", "18.3"), ("iPhone17,3", "18.5")]


def build(workdir: Path, cases: int) -> tuple[Path, Path, int]:
    """Scenario copies + matrix giving about ``cases`` cases; returns (scenarios, matrix, count)."""
    catalog = sorted((ROOT / "scenarios").rglob("*.yaml"))
    # Scenarios that read their device from a capture run once, not on matrix devices: left out.
    docs = [(p, d) for p in catalog if "source" not in (d := yaml.safe_load(p.read_text()))["device"]]
    per_platform = {
        "android": [d for d in docs if d[1]["device"]["platform"] == "android"],
        "ios": [d for d in docs if d[1]["device"]["platform"] == "ios"],
    }
    devices_per_platform = 25
    copies = max(1, math.ceil(cases / (devices_per_platform * len(docs))))  # at least `cases`
    out = workdir / "scenarios"
    total = 0
    for plat, items in per_platform.items():
        for k in range(copies):
            for path, doc in items:
                doc = dict(doc)
                doc["name"] = f"{doc.get('name', path.stem)}-{k}"
                if isinstance(doc.get("org"), str):
                    doc["org"] = str((path.parent / doc["org"]).resolve())
                target = out / plat / f"{path.stem}-{k}.yaml"
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(yaml.safe_dump(doc, sort_keys=False))
                total += devices_per_platform
    base = ANDROID * 5
    # Distinct labels: the same model appears several times, numbered like lab devices.
    matrix = {
        "devices": [
            {"platform": "android", "model": f"{m} #{i}", "version": v}
            for i, (m, v) in enumerate(base[:devices_per_platform])
        ]
        + [
            {"platform": "ios", "model": f"{m} #{i}", "version": v}
            for i, (m, v) in enumerate((IOS * 7)[:devices_per_platform])
        ]
    }
    matrix_path = workdir / "matrix.yaml"
    matrix_path.write_text(yaml.safe_dump(matrix))
    return out, matrix_path, total


def run(scenarios: Path, matrix: Path, workers: int, report: Path) -> dict[str, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "harness",
            "run",
            str(scenarios),
            "--matrix",
            str(matrix),
            "--workers",
            str(workers),
            "--seed",
            "1",
            "--json",
            str(report),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if proc.returncode not in (0, 1):
        sys.exit(f"attestlab run failed ({proc.returncode}): {proc.stderr.strip()[-500:]}")
    summary = json.loads(report.read_text())["summary"]
    return {
        "workers": workers,
        "cases": summary["total"],
        "passed": summary["passed"],
        "wall_s": round(wall, 2),
        "cases_per_s_wall": round(summary["total"] / wall, 1),
        "cases_per_s_run": round(summary["total"] / summary["duration_s"], 1),
        "peak_rss_mb": round(max(peak_kb, before) / 1024, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="attestlab-bench-"))
    try:
        scenarios, matrix, expected = build(workdir, args.cases)
        results = [run(scenarios, matrix, w, workdir / f"report-{w}.json") for w in args.workers]
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    base = results[0]["cases_per_s_run"]
    for r in results:
        r["speedup_run"] = round(r["cases_per_s_run"] / base, 2)
    record = {
        "benchmark": "bench_run",
        "machine": f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}",
        "expected_cases": expected,
        "results": results,
        "goals": {"cases_per_s_1_worker": 1000, "speedup_2_workers": 1.6, "peak_rss_mb": 300},
    }
    print(json.dumps(record))
    for r in results:
        print(
            f"workers={r['workers']}: {r['cases']} cases, {r['cases_per_s_run']}/s run-only "
            f"({r['cases_per_s_wall']}/s wall), x{r['speedup_run']}, peak RSS {r['peak_rss_mb']} MB"
        )
    ok = (
        results[0]["cases_per_s_run"] >= 1000
        and all(r["peak_rss_mb"] < 300 for r in results)
        and all(r["speedup_run"] >= 1.6 for r in results if r["workers"] == 2)
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
