"""The terminal summary is printed without rich wherever it goes: on standard error when the JSON
report takes standard output, and as ``report merge``'s line (a plain run is checked with the
other start-up imports, tests/run/test_startup_imports.py). rich stays for the progress bar of
long runs on a terminal (test_terminal_report.py) and for ``inspect``."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import ROOT, attestlab_hiding

pytestmark = pytest.mark.slow  # a fresh interpreter (tests/conftest.py runs these first)


def test_summary_on_stderr_and_merge_import_no_rich(tmp_path: Path) -> None:
    report = tmp_path / "run.json"
    scenario = ROOT / "scenarios/known-issues/reset-secret-key.yaml"
    (to_stdout, run_loaded), (merge, merge_loaded) = attestlab_hiding(
        (),
        ("rich",),
        ("run", scenario, "--seed", "1", "--json", report, "--junit", "-"),
        ("report", "merge", report, "-o", tmp_path / "merged.json"),
        env={"HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path)},
    )
    assert to_stdout.code == 0 and "1 passed in" in to_stdout.err, to_stdout.out + to_stdout.err
    assert to_stdout.out.startswith("<?xml")  # the JUnit report on stdout, the summary on stderr
    assert merge.code == 0 and merge.out.startswith("1 cases: 1 passed"), merge.err
    assert (run_loaded, merge_loaded) == ([], [])
