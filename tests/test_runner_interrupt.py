"""Ctrl-C during a run: taken between cases, so every report stays whole."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest

from harness import runner
from harness.report import JsonReporter
from harness.results import CaseResult, RunInfo, Summary

ROOT = Path(__file__).resolve().parent.parent


class _InterruptedMidway:
    """A reporter that receives SIGINT in the middle of its second ``add``."""

    def __init__(self) -> None:
        self.added: list[str] = []

    def start(self, info: RunInfo) -> None:
        pass

    def add(self, case: CaseResult) -> None:
        if len(self.added) == 1:
            os.kill(os.getpid(), signal.SIGINT)
        self.added.append(case.id)

    def finish(self, summary: Summary) -> None:
        pass


def test_sigint_inside_a_reporter_waits_for_the_case_to_be_written(tmp_path: Path) -> None:
    plan = runner.plan(runner.collect([ROOT / "scenarios" / "security"]))
    interrupted = _InterruptedMidway()
    report = tmp_path / "r.json"
    with pytest.raises(KeyboardInterrupt):
        runner.run(plan, [interrupted, JsonReporter(report)], seed=1)
    assert len(interrupted.added) == 2  # the case being delivered was delivered in full
    data = json.loads(report.read_text())
    assert [c["id"] for c in data["cases"]] == interrupted.added
    assert data["summary"]["total"] == 2
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # handler restored
