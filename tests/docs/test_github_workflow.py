"""docs/ci/github-actions.yml, run here: its `attestlab` commands against virtual phones.

The workflow's shard jobs each start an Android emulator and reach it through the adb server as
``adb-server:emulator-5554``. Here the shards share one virtual phone (simulator.adbd, built from
the bundled TestDPC emulator capture) attached to a private adb server with the real ``adb``
client, and ``emulator-5554`` becomes that phone's serial; the commands are otherwise run as
written, the GitHub expressions filled in as Actions would.
"""

from __future__ import annotations

import glob
import re
import shlex
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from harness.cli import main
from simulator.adbd import AdbdServer
from tests.helpers import AdbServer

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / "docs" / "ci" / "github-actions.yml"
CAPTURE = ROOT / "fixtures" / "captures" / "android" / "emulator-android14-testdpc"


def workflow() -> dict:
    data = yaml.safe_load(WORKFLOW.read_text())
    assert isinstance(data, dict)
    return data


def attestlab_lines(job: dict) -> list[str]:
    """Every `attestlab ...` line of a job's shell scripts (`run:` and the emulator's `script:`)."""
    lines = []
    for step in job["steps"]:
        for script in (step.get("run"), (step.get("with") or {}).get("script")):
            lines += [line.strip() for line in (script or "").splitlines() if line.strip().startswith("attestlab ")]
    return lines


def expand(line: str, values: dict[str, str], folders: dict[str, Path]) -> list[str]:
    """Fill in ``${{ expr }}`` as Actions does, split like the shell, put the job's output folders
    (``out/``, the downloaded ``shards/``) in ``folders`` and expand globs."""
    filled = re.sub(r"\$\{\{\s*([\w.-]+)\s*\}\}", lambda m: values[m.group(1)], line)
    words = []
    for word in shlex.split(filled):
        for prefix, folder in folders.items():
            word = f"{folder}/{word.removeprefix(prefix)}" if word.startswith(prefix) else word
        words += sorted(glob.glob(word)) if "*" in word else [word]
    return words


def test_the_workflow_shards_run_on_emulators_and_merge() -> None:
    jobs = workflow()["jobs"]
    shards = jobs["devices"]["strategy"]["matrix"]["shard"]
    assert shards == list(range(1, len(shards) + 1)) and len(shards) >= 2
    steps = jobs["devices"]["steps"]
    assert any(str(s.get("uses", "")).startswith("reactivecircus/android-emulator-runner") for s in steps)
    assert jobs["report"]["needs"] == "devices"
    assert any("adb-server:emulator-5554" in line for line in attestlab_lines(jobs["devices"]))
    assert any(line.startswith("attestlab report merge") for line in attestlab_lines(jobs["report"]))


def test_the_workflow_commands_run_as_written(
    adb_server: AdbServer, adbd: Callable[[Path], AdbdServer], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    jobs = workflow()["jobs"]
    shards = jobs["devices"]["strategy"]["matrix"]["shard"]
    out = tmp_path / "out"
    monkeypatch.chdir(ROOT)
    # Every shard job's emulator is `emulator-5554`; here one virtual phone plays them all, so the
    # shards are of one run (same device label) as they are on Actions.
    server = adbd(CAPTURE)
    adb_server.connect(server.spec)  # the first connect offers the key, which the phone allows
    for shard in shards:
        values = {"matrix.shard": str(shard), "strategy.job-total": str(len(shards)), "github.run_number": "7"}
        for line in attestlab_lines(jobs["devices"]):
            words = expand(line.replace("emulator-5554", server.spec), values, {"out/": out})
            assert main(words[1:]) == 0, line
    for line in attestlab_lines(jobs["report"]):
        assert main(expand(line, {}, {"out/": out, "shards/": out})[1:]) == 0, line
    merged = (out / "merged.json").read_text()
    assert '"total": 3' in merged and '"passed": 3' in merged
    assert (out / "junit.xml").is_file() and (out / "grid.html").is_file()
