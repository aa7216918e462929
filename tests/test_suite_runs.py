"""The suite itself starts however it is started: plain ``pytest`` (what tox runs) as well as
``python -m pytest`` (which also puts the working directory on sys.path, and so hid a suite that
only collected that way)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import ROOT


def _pytest_script() -> Path:
    script = Path(sys.executable).with_name("pytest")
    assert script.is_file(), f"no pytest script next to {sys.executable}"
    return script


@pytest.mark.slow
def test_plain_pytest_collects_from_another_directory(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.run(
        [
            _pytest_script(),
            "--collect-only",
            "-q",
            "-n",
            "0",
            "--rootdir",
            ROOT,
            "-c",
            ROOT / "pyproject.toml",
            ROOT / "tests" / "cli",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "tests/cli/test_run.py::test_bundled_catalog_passes_with_every_report" in proc.stdout


def test_only_the_named_plugins_are_loaded_into_the_suite(pytestconfig: pytest.Config) -> None:
    """pyproject.toml names the suite's plugins and turns autoloading off: Faker's, anyio's and
    pytest-benchmark's plugins cost start-up in every xdist worker (anyio's imports trio), and
    autoloading marks whole libraries for assertion rewriting (below)."""
    manager = pytestconfig.pluginmanager
    assert manager.has_plugin("xdist") and manager.has_plugin("hypothesispytest")
    for unused in ("faker", "anyio", "benchmark", "platformdirs"):
        assert not manager.has_plugin(unused), unused
    assert "faker.contrib.pytest.plugin" not in sys.modules


def test_libraries_are_not_assertion_rewritten() -> None:
    """Under PYTHONDONTWRITEBYTECODE pytest cannot cache rewritten modules, and rewriting all of
    Hypothesis cost ~1 s of CPU in every pytest process; only the tests are rewritten."""
    import hypothesis.core

    assert type(hypothesis.core.__loader__).__name__ != "AssertionRewritingHook"
    assert type(sys.modules[__name__].__loader__).__name__ == "AssertionRewritingHook"


def test_no_test_imports_a_conftest() -> None:
    """Conftest files are pytest's to import, under names that depend on how it was started:
    shared helpers live in modules (tests/helpers.py) that tests import."""
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in sorted((ROOT / "tests").rglob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if line.lstrip().startswith(("from ", "import ")) and "conftest" in line
    ]
    assert offenders == []
