"""Without the ``[android]`` extra the core still runs, and ``adb:`` / ``adb-server:`` say which
extra to install. The device libraries are hidden from a fresh interpreter (``sys.modules[name]
= None`` makes ``import name`` fail as if the package were not installed)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

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


def attestlab_without_extra(*args: str | Path, home: Path) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(home), "PYTHONPATH": str(ROOT), "XDG_CONFIG_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-c", PROGRAM, *map(str, args)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
        check=False,
    )


def test_run_works_and_live_sources_name_the_extra(tmp_path: Path) -> None:
    done = attestlab_without_extra(
        "run", ROOT / "scenarios/android/workspace-one-managed.yaml", "--seed", "1", home=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert "loaded: []" in done.stderr
    for spec, library in (("adb:127.0.0.1:5555", "adb-shell"), ("adb-server:emulator-5554", "adbutils")):
        done = attestlab_without_extra("inspect", spec, home=tmp_path)
        assert done.returncode == 2
        needs = f"needs {library}, which is not installed: pip install 'attestlab[android]'"
        assert done.stderr.splitlines()[0] == f"attestlab: error: source '{spec}' {needs}"
