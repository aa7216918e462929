"""Reports stream: a long run costs them no more memory than a short one.

Each generated case carries about 2 KB of text, so a reporter that kept the cases, or built its
output in memory, grows by at least 2 KB per case. The test runs each reporter twice, on 300 and
on 900 cases, and bounds the growth of the peak between the two runs per added case: the constant
part (buffers, imports, the scratch file's read chunks) cancels out, so the bound can be tight
where an absolute one at 10,000 cases needed far more cases to say the same. The path parts
pathlib interns are kept alive for the test (``_INTERNED``): the growth is then the same in every
run, and 600 added cases are enough (a reporter keeping 1,000 characters a case fails).
"""

from __future__ import annotations

import json
import sys
import tracemalloc
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from report_cases import drive

from harness.report import HtmlReporter, JsonReporter, JUnitReporter, Reporter
from harness.results import CaseOutcome, CaseResult, StepResult

SMALL, LARGE = 300, 900
SCENARIOS = 100

#: The reporters name a case's file through pathlib, which interns every path part. An interned
#: string that dies leaves a deleted slot in the interpreter's table of interned strings, and the
#: table (~1 MB) is rebuilt once those fill up: a rebuild landed in one run or the other by chance
#: and moved the growth by up to 5 KB a case. Interned once and kept alive here, the parts are
#: found in the table and never added again.
_INTERNED = [sys.intern(part) for part in ("android", *(f"scenario-{n}.yaml" for n in range(SCENARIOS)))]


def generated(cases: int) -> Iterator[CaseResult]:
    """100 scenarios x ``cases / 100`` devices; every seventh case failed; a fresh 2 KB of text each."""
    for number in range(cases):
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


def peak_bytes(reporter: Reporter, cases: int) -> int:
    """The peak of memory traced while ``reporter`` writes ``cases`` generated cases."""
    tracemalloc.start()
    try:
        drive(reporter, generated(cases))
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize(
    ("reporter", "per_case"),
    # Bytes of peak growth allowed per added case (a kept case is >= 2,000). HTML keeps its grid
    # cells (~510 B a case from 300 to 900 cases); JSON nothing; JUnit's finish copies its body in
    # 64 K-character chunks, a transient that grows with the file to ~280 KB (~250 B a case here).
    [(JsonReporter, 750), (JUnitReporter, 750), (HtmlReporter, 1250)],
)
def test_reports_stream(
    tmp_path: Path, reporter: type[JsonReporter | JUnitReporter | HtmlReporter], per_case: int
) -> None:
    small = peak_bytes(reporter(tmp_path / "small"), SMALL)
    path = tmp_path / "report"
    large = peak_bytes(reporter(path), LARGE)
    growth = large - small
    assert growth < per_case * (LARGE - SMALL), f"peak {small / 1e6:.2f} MB -> {large / 1e6:.2f} MB"
    assert path.stat().st_size > LARGE * 1000 or reporter is JUnitReporter
    failed = len(range(0, LARGE, 7))
    if reporter is JsonReporter:
        summary = json.loads(path.read_text(encoding="utf-8"))["summary"]
        assert (summary["total"], summary["failed"]) == (LARGE, failed)
    elif reporter is JUnitReporter:
        assert ET.parse(path).getroot().get("failures") == str(failed)
