"""JUnit XML, checked with an XML parser: structure CI systems read, counts, messages, escaping."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from report_cases import DECISION_MISMATCH, HINT_MISMATCH, INFO, ODD, drive, make_cases

from harness.report import JUnitReporter
from harness.report.text import printable
from harness.results import CaseOutcome, CaseResult, RunInfo, Summary


def write(tmp_path: Path, cases: list[CaseResult]) -> ET.Element:
    path = tmp_path / "junit.xml"
    drive(JUnitReporter(path), cases, duration_s=1.25)
    assert path.read_bytes().startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    return ET.parse(path).getroot()


def by_name(root: ET.Element) -> dict[str, ET.Element]:
    return {case.get("name", ""): case for case in root.iter("testcase")}


def test_one_suite_with_counts_time_and_timestamp(tmp_path: Path) -> None:
    root = write(tmp_path, make_cases())
    assert root.tag == "testsuites"
    (suite,) = root.findall("testsuite")
    counts = {"tests": "6", "failures": "2", "errors": "1", "skipped": "1", "time": "1.250"}
    for element in (root, suite):
        assert {key: element.get(key) for key in counts} == counts
    assert suite.get("name") == "attestlab"
    assert suite.get("timestamp") == "2026-01-05T10:00:00"  # 11:00+01:00 in UTC, no zone
    properties = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert properties == {
        "command": "attestlab run",
        "seed": "42",
        "shard": "1/2",
        "catalog": "sha256:0123456789abcdef",
        "planned": "6",
        "deselected": "0",
        "interrupted": "false",
    }
    assert len(suite.findall("testcase")) == 6


def test_testcase_names_classnames_and_outcomes(tmp_path: Path) -> None:
    cases = by_name(write(tmp_path, make_cases()))
    passed = cases["intune basic[pixel-8]"]
    assert passed.get("classname") == "android.basic"
    assert passed.get("file") == "android/basic.yaml"
    assert passed.get("time") == "0.012"
    assert list(passed) == []

    (failure,) = cases["wrong hint[pixel-8]"]
    assert failure.tag == "failure"
    assert failure.get("type") == "expectation"
    expected = f"step 2 (line 14) sign_in: {DECISION_MISMATCH}; {HINT_MISMATCH}"
    assert failure.get("message") == expected
    assert failure.text == expected

    (error,) = cases["broken[iphone-15]"]
    assert error.tag == "error"
    assert error.get("message") == "ios/broken.yaml:7: unknown step 'sing_in' (allowed: sign_in, emm_push)"
    assert cases["broken[iphone-15]"].get("classname") == "ios.broken"

    (skipped,) = cases["sso[iphone-15]"]
    assert (skipped.tag, skipped.get("message")) == ("skipped", "no device matches")

    (out,) = cases["sso[iphone-se]"]
    assert (out.tag, out.text) == ("system-out", "flaky: passed on retry 2")


def test_failure_message_counts_further_failing_steps(tmp_path: Path) -> None:
    case = make_cases()[1]
    case.steps[0].mismatches = ["decision: expected not_managed, got managed"]
    (failure,) = by_name(write(tmp_path, [case]))["wrong hint[pixel-8]"]
    assert failure.get("message") == ("step 1 (line 9) emm_push: decision: expected not_managed, got managed (+1 more)")
    assert failure.text is not None
    assert failure.text.splitlines() == [
        "step 1 (line 9) emm_push: decision: expected not_managed, got managed",
        f"step 2 (line 14) sign_in: {DECISION_MISMATCH}; {HINT_MISMATCH}",
    ]


def test_odd_characters_stay_well_formed_and_visible(tmp_path: Path) -> None:
    root = write(tmp_path, make_cases())
    (odd,) = [case for case in root.iter("testcase") if case.get("classname") == "security.odd"]
    assert odd.get("name") == printable(f"{ODD}[{ODD}]")
    assert "nul#x00 bell#x07 #x1B[31m" in odd.get("name", "")
    (failure,) = odd
    assert failure.text is not None
    assert failure.text.startswith(f"step 1 (line 3) {printable(ODD)}: reason: expected managed")
    assert failure.text.endswith(printable(ODD))


def test_interrupted_run_is_valid_with_the_cases_received(tmp_path: Path) -> None:
    path = tmp_path / "junit.xml"
    reporter = JUnitReporter(path)
    reporter.start(INFO)
    for case in make_cases()[:3]:
        reporter.add(case)
    assert not path.exists()
    reporter.finish(Summary(duration_s=0.1))
    root = ET.parse(path).getroot()
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("3", "1", "1")
    assert [p.name for p in tmp_path.iterdir()] == ["junit.xml"]


def test_empty_run_and_naive_timestamp(tmp_path: Path) -> None:
    path = tmp_path / "junit.xml"
    reporter = JUnitReporter(path)
    reporter.start(RunInfo(seed=1, started_at="2026-01-05T10:00:00.123456"))
    reporter.finish(Summary())
    root = ET.parse(path).getroot()
    assert root.get("tests") == "0"
    (suite,) = root
    assert suite.find("testcase") is None
    assert suite.get("timestamp") == "2026-01-05T10:00:00"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(scenario=st.text(), device=st.text(), message=st.text())
def test_any_text_gives_a_parseable_file(tmp_path: Path, scenario: str, device: str, message: str) -> None:
    case = CaseResult("id", scenario, device, CaseOutcome.ERROR, message=message)
    (testcase,) = write(tmp_path, [case]).iter("testcase")
    assert testcase.get("name") == printable(f"{scenario}[{device}]")
    (error,) = testcase
    assert error.get("message") == printable(message or "error")
