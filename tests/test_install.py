"""A real install runs the bundled catalog: build the wheel, install it into a fresh virtual
environment, and run ``attestlab run`` in an empty directory, far from any checkout.

One test, marked ``install`` (``-m "not install"`` leaves it out of a quick local run).

The test is its own PEP 517 front end, as ``python -m build`` is: it fetches the build
requirements pyproject.toml names (``pip download``, binary wheels only: setuptools from the
package index, as any user's ``pip install .`` gets it), unpacks them into a private folder, and
calls the backend's ``build_wheel`` in a fresh interpreter that sees that folder and the standard
library only (``-S``: no site-packages), which is the isolation pip's build gives. pip's own
isolated build installed setuptools into a temporary environment (a pip subprocess resolving,
unpacking and byte-compiling ~900 files) and then ran three backend hooks, each a process
importing setuptools: ~9 of the test's ~14 s of CPU, for the same wheel (checked file by file).

The run-time dependencies come from this machine (``--system-site-packages``), so the test needs
no network beyond the index. The environment is made ``--without-pip``: ensurepip installing a
pip of its own took 8 s of CPU, and the machine's pip, seen through the system site-packages,
installs into the environment just as well (it installs where the interpreter running it has
its prefix). ``--version`` and ``-h``/``--help`` are tests/cli/test_command.py's (in-process,
through the same :func:`harness.cli.main` the installed script calls, which names the program
itself); here the installed script runs the catalog.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from harness import __version__
from tests.helpers import CATALOG, ROOT

#: Left behind when the checkout is copied: what a fresh clone does not have.
_NOT_IN_A_CLONE = shutil.ignore_patterns(
    ".git", ".tox", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", ".hypothesis", "out"
)


def _run(
    *args: str | Path, cwd: Path, timeout: float = 300, path: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run a command with nothing pointing at the checkout (no PYTHONPATH, no ATTESTLAB_CATALOG);
    ``path``, if given, is the command's only PYTHONPATH."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "ATTESTLAB_CATALOG")}
    if path is not None:
        env["PYTHONPATH"] = str(path)
    return subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def _build_wheel(source: Path, work: Path) -> Path:
    """Build the wheel of the project at ``source`` as pyproject.toml's ``[build-system]`` says:
    its requirements fetched as wheels and unpacked into a folder of their own, its backend's
    ``build_wheel`` called in an interpreter that sees nothing else."""
    system = tomllib.loads((source / "pyproject.toml").read_text())["build-system"]
    assert "backend-path" not in system, "an in-tree backend: put its path first on the build's sys.path"
    fetched, backend, dist = work / "build-requires", work / "build-env", work / "dist"
    got = _run(
        sys.executable,
        "-m",
        "pip",
        "download",
        "-q",
        "--only-binary=:all:",
        "-d",
        fetched,
        *system["requires"],
        cwd=work,
    )
    assert got.returncode == 0, got.stdout + got.stderr
    for wheel in fetched.glob("*.whl"):
        with zipfile.ZipFile(wheel) as archive:
            archive.extractall(backend)
    module, _, attribute = system["build-backend"].partition(":")
    hooks = f"{module}.{attribute}" if attribute else module
    call = f"import {module}, sys; print({hooks}.build_wheel(sys.argv[1]))"
    built = _run(sys.executable, "-S", "-c", call, dist, cwd=source, path=backend)
    assert built.returncode == 0, built.stdout + built.stderr
    return dist / built.stdout.strip().splitlines()[-1]


@pytest.mark.slow
@pytest.mark.install
def test_the_wheel_runs_the_bundled_catalog_in_an_empty_directory(tmp_path: Path) -> None:
    source = tmp_path / "clone"
    shutil.copytree(ROOT, source, ignore=_NOT_IN_A_CLONE)
    wheel = _build_wheel(source, tmp_path)
    assert wheel.name.startswith(f"attestlab-{__version__}-") and wheel.name.endswith("-py3-none-any.whl")

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
    # The machine's editable attestlab is visible through the system site-packages: the venv's
    # own copy must be the one imported, with its own catalog.
    where = _run(python, "-c", "import harness.bundled as b; print(b.catalog_dir())", cwd=empty)
    assert Path(where.stdout.strip()).is_relative_to(venv), where.stdout + where.stderr

    run = _run(attestlab, "run", "--seed", "1", "--json", "report.json", cwd=empty)
    assert run.returncode == 0, run.stdout + run.stderr
    summary = json.loads((empty / "report.json").read_text())["summary"]
    assert summary["total"] == summary["passed"] == len(list(CATALOG.rglob("*.yaml")))
    assert sorted(p.name for p in empty.iterdir()) == ["report.json"]
