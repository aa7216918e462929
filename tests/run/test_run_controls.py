"""``attestlab run`` controls pytest users expect: -k, -m/--tag, -x/--maxfail, --collect-only,
-q/-v/-vv, --retries. Run in-process through the real CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness import runner
from harness.results import CaseOutcome
from tests.helpers import attestlab, managed_scenario

ROOT = Path(__file__).resolve().parents[2]
ORG = ROOT / "fixtures" / "orgs" / "standard.yaml"


def scenario(directory: Path, name: str, *, reason: str = "managed", tags: str = "[android]") -> Path:
    path = directory / f"{name}.yaml"
    path.write_text(managed_scenario(name, ORG, reason=reason, tags=tags))
    return path


def collected(*args: str) -> list[str]:
    result = attestlab("run", *args, "--collect-only")
    assert result.code == 0, result.err
    return result.out.splitlines()


def test_k_selects_case_ids_and_counts_the_rest_deselected() -> None:
    lines = collected("-k", "reset and not rotation and not add")
    assert lines == ["known-issue-reset-secret-key[Android]", "1 case collected (70 deselected)"]


def test_m_and_tag_select_on_scenario_tags() -> None:
    ios_known = [line for line in collected("-m", "known_issue and ios") if "[" in line]
    assert ios_known and all(line.startswith("known-issue-") for line in ios_known)
    assert [line for line in collected("--tag", "known-issue", "--tag", "ios") if "[" in line] == ios_known
    everything = [line for line in collected() if "[" in line]
    assert len(ios_known) < len([line for line in collected("-m", "known_issue") if "[" in line]) < len(everything)


@pytest.mark.parametrize("expression", ["pixel and", "(pixel", "or pixel", "not"])
def test_a_broken_expression_is_one_line_exit_2(expression: str) -> None:
    result = attestlab("run", "-k", expression)
    assert result.code == 2
    assert result.err.count("\n") == 1 and "-k" in result.err


def test_x_stops_after_the_first_failure_and_the_report_says_so(tmp_path: Path) -> None:
    for name in ("a-good", "b-bad", "c-bad", "d-good"):
        scenario(tmp_path, name, reason="no_hint" if "bad" in name else "managed")
    report = tmp_path / "report.json"
    result = attestlab("run", str(tmp_path), "-x", "--json", str(report), "--seed", "1")
    assert result.code == 1
    summary = json.loads(report.read_text())["summary"]
    assert (summary["total"], summary["failed"], summary["planned"]) == (2, 1, 4)
    assert "--maxfail" in summary["stopped"]
    assert "stopped after 1 failed or errored case" in result.out
    assert attestlab("run", str(tmp_path), "--maxfail", "2", "--json", str(report)).code == 1
    assert json.loads(report.read_text())["summary"]["total"] == 3


def test_v_shows_a_failures_section_with_steps_and_remediation(tmp_path: Path) -> None:
    scenario(tmp_path, "bad", reason="no_hint")
    scenario(tmp_path, "good")
    out = attestlab("run", str(tmp_path), "-v", "--seed", "1").out
    failures = out[out.index("FAILURES") : out.index("short test summary info")]
    assert "bad[Android]" in failures and "good[Android]" not in failures
    assert "sign_in -> managed (managed)" in failures and "expected no_hint, got managed" in failures
    everything = attestlab("run", str(tmp_path), "-vv", "--seed", "1").out
    assert "good[Android]" in everything[everything.index("CASES") :]
    quiet = attestlab("run", str(tmp_path), "-q", "--seed", "1").out
    assert "bad[Android]" in quiet and "." not in quiet.split("\n")[2]


def test_retries_turn_a_passing_retry_into_flaky_and_never_retry_a_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scenario(tmp_path, "hiccup")
    scenario(tmp_path, "wrong", reason="no_hint")
    real = runner.run_case
    calls: dict[str, int] = {}

    def device_drops_once(scenario, device, seed):  # type: ignore[no-untyped-def]
        calls[scenario.name] = calls.get(scenario.name, 0) + 1
        result = real(scenario, device, seed)
        if scenario.name == "hiccup" and calls[scenario.name] == 1:
            result.outcome, result.message = CaseOutcome.ERROR, "adb:x: connection lost"
        return result

    monkeypatch.setattr(runner, "run_case", device_drops_once)
    report = tmp_path / "report.json"
    assert attestlab("run", str(tmp_path), "--json", str(report)).code == 1
    assert {c["scenario"]: c["outcome"] for c in json.loads(report.read_text())["cases"]} == {
        "hiccup": "error",
        "wrong": "failed",
    }
    calls.clear()
    assert attestlab("run", str(tmp_path), "--retries", "2", "--json", str(report)).code == 1
    cases = {c["scenario"]: c for c in json.loads(report.read_text())["cases"]}
    assert cases["hiccup"]["outcome"] == "flaky" and "connection lost" in cases["hiccup"]["message"]
    assert cases["wrong"]["outcome"] == "failed" and calls["wrong"] == 1
    assert json.loads(report.read_text())["summary"]["flaky"] == 1


def test_a_small_plan_runs_in_one_process_whatever_workers_asks(tmp_path: Path) -> None:
    """64 workers on 12 cases took 15x longer than one (issue 7): pool start-up, a world per worker."""
    for number in range(12):
        scenario(tmp_path, f"s{number}")
    report = tmp_path / "r.json"
    assert attestlab("run", str(tmp_path), "--workers", "64", "--json", str(report)).code == 0
    data = json.loads(report.read_text())
    assert (data["run"]["workers"], data["summary"]["passed"]) == (1, 12)


SMALL = runner.MIN_CASES_FOR_WORKERS - 1
BIG = runner.MIN_CASES_FOR_WORKERS


@pytest.mark.parametrize(
    ("requested", "cases", "force", "expected"),
    [
        (64, 12, False, 1),  # a small plan: no workers at all
        (2, SMALL, False, 1),
        (2, BIG, False, 2),
        (64, BIG, False, 8),  # at most one per CPU
        (1, BIG, False, 1),
        (64, 12, True, 12),  # forced: exactly as asked, but never more than the cases
        (3, BIG, True, 3),
        (64, BIG, True, 64),
    ],
)
def test_workers_are_capped_at_the_cases_and_the_cpus_unless_forced(
    monkeypatch: pytest.MonkeyPatch, requested: int, cases: int, force: bool, expected: int
) -> None:
    monkeypatch.setattr(runner, "cpu_count", lambda: 8)
    assert runner.effective_workers(requested, cases, force=force) == expected
