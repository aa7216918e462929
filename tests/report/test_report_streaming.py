"""Reports stream: a 10,000-case run costs them no more memory than a short one.

Each generated case carries about 2 KB of text (20 MB for the run), so a reporter that kept
the cases, or built its output in memory, would exceed the bounds below by far.
"""

from __future__ import annotations

import json
import tracemalloc
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from report_cases import drive

from harness.report import HtmlReporter, JsonReporter, JUnitReporter, Reporter
from harness.results import CaseOutcome, CaseResult, StepResult

CASES = 10_000
SCENARIOS = 100


def generated() -> Iterator[CaseResult]:
    """100 scenarios x 100 devices; every seventh case failed; a fresh 2 KB of text each."""
    for number in range(CASES):
        scenario, device = f"scenario-{number % SCENARIOS}", f"device-{number // SCENARIOS}"
        failed = number % 7 == 0
        remediation = {
            "title": f"{number} " + "t" * 900,
            "provider": "Workspace ONE",
            "enrollment_link": "https://example.awmdm.com/enroll",
        }
        steps = [
            StepResult(
                "sign_in",
                "managed",
                "managed",
                remediation,
                line=10 + step,
                mismatches=["reason: expected no_hint, got managed"] if failed else [],
            )
            for step in range(2)
        ]
        outcome = CaseOutcome.FAILED if failed else CaseOutcome.PASSED
        yield CaseResult(
            f"android/{scenario}.yaml::{device}",
            scenario,
            device,
            outcome,
            steps,
            duration_s=0.001,
            file=f"android/{scenario}.yaml",
        )


@pytest.mark.parametrize(
    ("reporter", "limit_mb"),
    [(JsonReporter, 4), (JUnitReporter, 4), (HtmlReporter, 12)],  # HTML keeps its grid cells
)
def test_ten_thousand_cases_stream(
    tmp_path: Path, reporter: type[JsonReporter | JUnitReporter | HtmlReporter], limit_mb: int
) -> None:
    path = tmp_path / "report"
    instance: Reporter = reporter(path)
    tracemalloc.start()
    try:
        drive(instance, generated())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < limit_mb * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"
    assert path.stat().st_size > 10 * 1024 * 1024 or reporter is JUnitReporter
    if reporter is JsonReporter:
        summary = json.loads(path.read_text(encoding="utf-8"))["summary"]
        assert (summary["total"], summary["failed"]) == (CASES, 1429)
    elif reporter is JUnitReporter:
        assert ET.parse(path).getroot().get("failures") == "1429"
