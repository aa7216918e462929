"""Without the ``[android]`` extra the core still runs, and ``adb:`` / ``adb-server:`` say which
extra to install. The device libraries are hidden from a fresh interpreter (``sys.modules[name]
= None`` makes ``import name`` fail as if the package were not installed)."""

from __future__ import annotations

import sys
from pathlib import Path

from tests.helpers import ROOT, Result, attestlab_process

PROGRAM = """
import sys
sys.modules["adb_shell"] = None
sys.modules["adbutils"] = None
from harness.cli import main
try:
    code = main(sys.argv[1:])
finally:
    names = ("harness.sources.adb", "adb_shell", "adbutils")
    print("loaded:", sorted(m for m in sys.modules if m.startswith(names) and sys.modules[m]), file=sys.stderr)
sys.exit(code)
"""


def attestlab_without_extra(*args: str | Path, home: Path) -> Result:
    return attestlab_process(
        *args, env={"HOME": str(home), "XDG_CONFIG_HOME": str(home)}, command=(sys.executable, "-c", PROGRAM)
    )


def test_run_works_and_live_sources_name_the_extra(tmp_path: Path) -> None:
    done = attestlab_without_extra(
        "run", ROOT / "scenarios/android/workspace-one-managed.yaml", "--seed", "1", home=tmp_path
    )
    assert done.code == 0, done.err
    assert "loaded: []" in done.err
    for spec, library in (("adb:127.0.0.1:5555", "adb-shell"), ("adb-server:emulator-5554", "adbutils")):
        done = attestlab_without_extra("inspect", spec, home=tmp_path)
        assert done.code == 2
        needs = f"needs {library}, which is not installed: pip install 'attestlab[android]'"
        assert done.err.splitlines()[0] == f"attestlab: error: source '{spec}' {needs}"
