"""Without the ``[android]`` extra the core still runs, and ``adb:`` / ``adb-server:`` say which
extra to install. The device libraries are hidden from a fresh interpreter (``sys.modules[name]
= None`` makes ``import name`` fail as if the package were not installed), which runs the three
commands in turn (:func:`tests.helpers.attestlab_hiding`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import ROOT, attestlab_hiding

pytestmark = pytest.mark.slow  # fresh interpreters (tests/conftest.py runs these first)

SPECS = (("adb:127.0.0.1:5555", "adb-shell"), ("adb-server:emulator-5554", "adbutils"))


def test_run_works_and_live_sources_name_the_extra(tmp_path: Path) -> None:
    (run, loaded), *inspected = attestlab_hiding(
        ("adb_shell", "adbutils"),
        ("harness.sources.adb", "adb_shell", "adbutils"),
        ("run", ROOT / "scenarios/android/workspace-one-managed.yaml", "--seed", "1"),
        *(("inspect", spec) for spec, _ in SPECS),
        env={"HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path)},
    )
    assert run.code == 0, run.err
    assert loaded == []  # the run imported none of them
    for (spec, library), (done, _) in zip(SPECS, inspected, strict=True):
        assert done.code == 2
        needs = f"needs {library}, which is not installed: pip install 'attestlab[android]'"
        assert done.err.splitlines()[0] == f"attestlab: error: source '{spec}' {needs}"
