"""The core works without the ``[ios]`` extra, and ``ios:`` then names the extra."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Runs the CLI as if pymobiledevice3 were not installed (a None entry in sys.modules makes every
# import of it fail), and says afterwards whether anything tried to import it.
_BLOCKED = """
import sys
sys.modules["pymobiledevice3"] = None
from harness.cli import main
sys.argv = ["attestlab", *sys.argv[1:]]
try:
    code = main()
finally:
    print("imported:", sorted(m for m in sys.modules if m.startswith("pymobiledevice3.")), file=sys.stderr)
sys.exit(code)
"""


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _BLOCKED, *args], capture_output=True, text=True, cwd=ROOT, timeout=120, check=False
    )


def test_run_works_without_pymobiledevice3() -> None:
    proc = _run("run", "scenarios/ios", "--seed", "1")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "imported: []" in proc.stderr


def test_ios_source_names_the_extra() -> None:
    proc = _run("inspect", "ios:00008101-000A")
    assert proc.returncode == 2
    extra = "the ios: source needs the [ios] extra: pip install 'attestlab[ios]'"
    assert f"attestlab: error: ios:00008101-000A: {extra}" in proc.stderr
    assert "Traceback" not in proc.stderr
