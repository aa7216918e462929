"""What a plain run of simulated devices imports: start-up is most of a small run (issue 7), and
each module below was once on that path though such a run never uses it. One fresh interpreter
runs ``attestlab run`` on one scenario and lists what it loaded (:func:`tests.helpers.attestlab_hiding`);
the same interpreter then runs with a JUnit report, which must load the writer it needs (so the
list is not empty merely because nothing is watched). Then the terminal summary is printed
without rich wherever it goes: on standard error while a report takes standard output, and as
``report merge``'s line. rich stays for the progress bar of long runs on a terminal
(tests/report/test_terminal_report.py) and for ``inspect``.

CPU time itself is measured by benchmarks/bench_startup.py, never asserted here."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import ROOT, attestlab_hiding

pytestmark = pytest.mark.slow  # a fresh interpreter (tests/conftest.py runs these first)

#: Modules a run of simulated devices has no use for, and why each is needed elsewhere.
NOT_ON_THE_PLAIN_PATH = (
    "harness.sources",  # the SOURCE registry and transports: a device read from a source
    "harness.readers",  # parsing what a source answered
    "harness.select",  # -k, -m, --tag and a matrix file's scenarios:
    "harness.report.junit",  # --junit
    "harness.report.html",  # --html
    "xml.etree",  # the JUnit writer's
    "faker",  # identities come from the shipped name tables (python -m simulator.names checks them)
    "rich",  # the progress bar of a long run on a terminal, and inspect (the summary: TerminalWriter)
)


def test_a_plain_run_imports_neither_sources_nor_report_writers_it_does_not_write(tmp_path: Path) -> None:
    scenario = ROOT / "scenarios" / "known-issues" / "reset-secret-key.yaml"
    report = tmp_path / "run.json"
    (plain, loaded), (with_junit, loaded_after), (to_stdout, run_loaded), (merge, merge_loaded) = attestlab_hiding(
        (),
        NOT_ON_THE_PLAIN_PATH,
        ("run", scenario, "--seed", "1"),
        ("run", scenario, "--seed", "1", "--junit", tmp_path / "junit.xml"),
        ("run", scenario, "--seed", "1", "--json", report, "--junit", "-"),
        ("report", "merge", report, "-o", tmp_path / "merged.json"),
        env={"HOME": str(tmp_path), "XDG_CACHE_HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path)},
    )
    assert plain.code == 0, plain.err
    assert loaded == []
    assert with_junit.code == 0, with_junit.err
    assert {"harness.report.junit", "xml.etree"} <= {m.rsplit(".ElementTree", 1)[0] for m in loaded_after}
    assert to_stdout.code == 0 and "1 passed in" in to_stdout.err, to_stdout.out + to_stdout.err
    assert to_stdout.out.startswith("<?xml")  # the JUnit report on stdout, the summary on stderr
    assert merge.code == 0 and merge.out.startswith("1 cases: 1 passed"), merge.err
    assert [m for m in run_loaded + merge_loaded if m.split(".")[0] == "rich"] == []
