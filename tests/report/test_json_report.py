"""The JSON report, checked by loading it: the DESIGN.md §2 contract, round trip, atomicity."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from report_cases import INFO, drive, make_cases

from harness.errors import InputError
from harness.report import JsonReporter
from harness.results import CaseResult, Summary

SUMMARY_KEYS = {"total", "passed", "failed", "errors", "skipped", "flaky", "duration_s"}
CASE_KEYS = {"id", "scenario", "device", "outcome", "steps", "message", "duration_s"}
STEP_KEYS = {"action", "decision", "reason", "remediation"}


def load(path: Path) -> Any:
    with path.open(encoding="utf-8") as stream:
        return json.load(stream)


def test_report_follows_the_contract(tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    drive(JsonReporter(path), make_cases(), duration_s=1.5)
    report = load(path)
    assert report["summary"].keys() >= SUMMARY_KEYS
    assert report["summary"] == {
        "total": 6,
        "passed": 1,
        "failed": 2,
        "errors": 1,
        "skipped": 1,
        "flaky": 1,
        "duration_s": 1.5,
        "planned": 6,
        "deselected": 0,
        "interrupted": False,
        "partial": False,
        "stopped": "",
    }
    for case in report["cases"]:
        assert case.keys() >= CASE_KEYS
        assert case["outcome"] in {"passed", "failed", "error", "skipped", "flaky"}
        for step in case["steps"]:
            assert step.keys() >= STEP_KEYS
    assert report["run"] == {
        "seed": 42,
        "started_at": INFO.started_at,
        "command": "attestlab run",
        "shard": "1/2",
        "catalog": INFO.catalog,
        "workers": 1,
        "missing_shards": [],
    }


def test_cases_round_trip_in_completion_order_with_odd_text(tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    cases = make_cases()
    drive(JsonReporter(path), cases)
    assert [CaseResult.from_json(case) for case in load(path)["cases"]] == cases


def test_interrupted_run_writes_what_finished(tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    reporter = JsonReporter(path)
    reporter.start(INFO)
    with pytest.raises(KeyboardInterrupt):
        try:
            for number, case in enumerate(make_cases()):
                if number == 2:
                    raise KeyboardInterrupt
                reporter.add(case)
        finally:
            reporter.finish(Summary(duration_s=0.1))
    report = load(path)
    assert [case["id"] for case in report["cases"]] == [c.id for c in make_cases()[:2]]
    assert report["summary"]["total"] == 2
    assert report["summary"]["failed"] == 1


def test_empty_run_is_a_valid_report(tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    drive(JsonReporter(path), [])
    assert load(path)["cases"] == []
    assert load(path)["summary"]["total"] == 0


def test_old_report_stays_until_the_new_one_is_whole(tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    path.write_text("old", encoding="utf-8")
    reporter = JsonReporter(path)
    reporter.start(INFO)
    reporter.add(make_cases()[0])
    assert path.read_text(encoding="utf-8") == "old"
    reporter.finish(Summary())
    assert load(path)["summary"]["total"] == 1
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


def test_discard_leaves_no_trace(tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    reporter = JsonReporter(path)
    reporter.start(INFO)
    reporter.add(make_cases()[0])
    reporter.discard()
    assert list(tmp_path.iterdir()) == []


def test_missing_folders_are_created(tmp_path: Path) -> None:
    path = tmp_path / "out" / "ci" / "report.json"
    drive(JsonReporter(path), make_cases()[:1])
    assert load(path)["summary"]["passed"] == 1


def test_unwritable_target_fails_at_start_naming_it(tmp_path: Path) -> None:
    (tmp_path / "report.json").mkdir()
    with pytest.raises(InputError, match=r"report\.json: cannot write report: is a directory"):
        JsonReporter(tmp_path / "report.json").start(INFO)


def test_add_before_start_is_a_programming_error(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="start"):
        JsonReporter(tmp_path / "r.json").add(make_cases()[0])
