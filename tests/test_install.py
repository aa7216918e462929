"""A real install runs the bundled catalog: build the wheel, install it into a fresh virtual
environment, and run ``attestlab run`` in an empty directory, far from any checkout.

One test, marked ``install`` (``-m "not install"`` leaves it out of a quick local run): it builds
with pip's ordinary isolated build (setuptools from the package index, as any user's ``pip
install .`` does) and takes the run-time dependencies from this machine
(``--system-site-packages``), so it needs no network beyond that. The environment is made
``--without-pip``: ensurepip installing a pip of its own took 8 of the test's ~18 s of CPU, and
the machine's pip, seen through the system site-packages, installs into the environment just as
well (it installs where the interpreter running it has its prefix).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from harness import __version__
from tests.helpers import CATALOG, ROOT

#: Left behind when the checkout is copied: what a fresh clone does not have.
_NOT_IN_A_CLONE = shutil.ignore_patterns(
    ".git", ".tox", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", ".hypothesis", "out"
)


def _run(*args: str | Path, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run a command with nothing pointing at the checkout (no PYTHONPATH, no ATTESTLAB_CATALOG)."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "ATTESTLAB_CATALOG")}
    return subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


@pytest.mark.slow
@pytest.mark.install
def test_the_wheel_runs_the_bundled_catalog_in_an_empty_directory(tmp_path: Path) -> None:
    source = tmp_path / "clone"
    shutil.copytree(ROOT, source, ignore=_NOT_IN_A_CLONE)
    dist = tmp_path / "dist"
    built = _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", dist, source, cwd=tmp_path)
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = dist.glob("attestlab-*.whl")
    assert wheel.name.startswith(f"attestlab-{__version__}-")

    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {f"harness/_catalog/scenarios/{p.relative_to(CATALOG).as_posix()}" for p in CATALOG.rglob("*.yaml")}
    assert shipped and shipped <= names
    assert "harness/_catalog/fixtures/orgs/standard.yaml" in names
    assert "simulator/data/names-en_US.json" in names
    metadata = next(n for n in names if n.endswith(".dist-info/METADATA"))
    required = [
        line
        for line in zipfile.ZipFile(wheel).read(metadata).decode().splitlines()
        if line.startswith("Requires-Dist:")
    ]
    # Faker's pytest plugin would autoload into every pytest of the user's environment.
    assert not [line for line in required if "faker" in line.lower() and "extra ==" not in line]
    assert not [n for n in names if n.startswith("harness/_catalog/") and n.endswith((".py", ".pyc"))]

    venv = tmp_path / "venv"
    made = _run(sys.executable, "-m", "venv", "--without-pip", "--system-site-packages", venv, cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    python, attestlab = venv / "bin" / "python", venv / "bin" / "attestlab"
    installed = _run(python, "-m", "pip", "install", "-q", "--no-deps", "--force-reinstall", wheel, cwd=tmp_path)
    assert installed.returncode == 0, installed.stdout + installed.stderr

    empty = tmp_path / "empty"
    empty.mkdir()
    where = _run(python, "-c", "import harness.bundled as b; print(b.catalog_dir())", cwd=empty)
    assert Path(where.stdout.strip()).is_relative_to(venv), where.stdout + where.stderr

    run = _run(attestlab, "run", "--seed", "1", "--json", "report.json", cwd=empty)
    assert run.returncode == 0, run.stdout + run.stderr
    summary = json.loads((empty / "report.json").read_text())["summary"]
    assert summary["total"] == summary["passed"] == len(list(CATALOG.rglob("*.yaml")))

    version = _run(attestlab, "--version", cwd=empty)
    assert (version.returncode, version.stdout) == (0, f"attestlab {__version__}\n")
    for flag in ("-h", "--help"):
        shown = _run(attestlab, flag, cwd=empty)
        assert shown.returncode == 0 and shown.stdout.startswith("Usage: attestlab "), shown
    assert sorted(p.name for p in empty.iterdir()) == ["report.json"]
