"""The terminal summary is printed without rich: a one-scenario run, a run writing a report and
``report merge`` import no rich module (importing rich's console, text and rule cost ~30-45 ms of
CPU, a tenth of a small run). rich stays for the progress bar of long runs on a terminal
(test_terminal_report.py) and for ``inspect``."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import ROOT, attestlab_hiding

pytestmark = pytest.mark.slow  # a fresh interpreter (tests/conftest.py runs these first)


def test_run_and_merge_import_no_rich(tmp_path: Path) -> None:
    report, merged = tmp_path / "run.json", tmp_path / "merged.json"
    done = attestlab_hiding(
        (),
        ("rich",),
        ("run", ROOT / "scenarios/known-issues/reset-secret-key.yaml", "--seed", "1"),
        ("run", ROOT / "scenarios/known-issues/reset-secret-key.yaml", "--seed", "1", "--json", report),
        ("report", "merge", report, "-o", merged),
        env={"HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path)},
    )
    (run, run_loaded), (with_json, json_loaded), (merge, merge_loaded) = done
    assert run.code == 0 and "1 passed in" in run.out, run.out + run.err
    assert with_json.code == 0 and merge.code == 0, with_json.err + merge.err
    assert "1 cases: 1 passed" in merge.out
    assert (run_loaded, json_loaded, merge_loaded) == ([], [], [])
