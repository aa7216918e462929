"""The bundled scenario catalog (``scenarios/``): every file passes, and it covers what it claims.

The catalog is the product's main demonstration and its regression suite for the known issues,
so its coverage is asserted mechanically rather than trusted: every reason code and finding of
the contract (DESIGN.md §2) appears as an expectation, both EMMs on both platforms, every step
action and every attack. The JSON of every result is scanned for every secret the catalog's orgs
hold, since reports are built from these results (DESIGN.md §2: secrets never appear in a report).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from harness.results import CaseOutcome, CaseResult
from harness.scenarios import Scenario, load_scenario
from harness.scenarios.execute import run_case
from harness.scenarios.model import ACTIONS, ATTACKS, ENROLLMENT_ATTACKS
from simulator.verdict import RETIRED_FINDINGS, FindingCode, Reason
from simulator.verifier.orgfile import read_org_file

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "scenarios"
ORG_FILES = ROOT / "fixtures" / "orgs"
FOLDERS = ("android", "ios", "known-issues", "security")
FILES = sorted(CATALOG.rglob("*.yaml"))
#: Only a real device without root or TestDPC produces it (harness.diagnose); no simulated device can.
#: Retired codes stay in the contract but are never emitted (simulator.verdict.RETIRED_FINDINGS).
UNREACHABLE_FINDINGS = {FindingCode.RESTRICTIONS_UNREADABLE, *RETIRED_FINDINGS}
#: A description must say where the behaviour it reproduces is documented.
CITATION = re.compile(r"device-trust\.md §\d|seed|okta-help")


@dataclass(frozen=True)
class Ran:
    scenario: Scenario
    result: CaseResult


def _run(path: Path) -> Ran:
    scenario = load_scenario(path)
    return Ran(scenario, run_case(scenario, None, 1))


@pytest.fixture(scope="module")
def catalog() -> dict[Path, Ran]:
    """Every catalog file loaded and run once (seed 1), shared by the per-file and the coverage
    tests (each per-file test loaded and ran its file again: ~0.5 s of CPU for the same results)."""
    return {path: _run(path) for path in FILES}


def _rel(path: Path) -> str:
    return path.relative_to(CATALOG).as_posix()


@pytest.mark.parametrize("path", FILES, ids=_rel)
def test_scenario_passes(path: Path, catalog: dict[Path, Ran]) -> None:
    result = catalog[path].result
    assert result.outcome is CaseOutcome.PASSED, result.message


@pytest.mark.parametrize("path", FILES, ids=_rel)
def test_scenario_is_documented_and_judged(path: Path, catalog: dict[Path, Ran]) -> None:
    scenario = catalog[path].scenario
    assert CITATION.search(scenario.description), f"{_rel(path)}: description cites no doc section"
    judged = [s for s in scenario.steps if s.action in ("sign_in", "check_inventory")]
    assert judged, f"{_rel(path)}: no step is judged"
    for step in judged:
        assert step.expect is not None, f"{_rel(path)}:{step.line}: {step.action} without expect"
        if step.action == "sign_in":
            assert step.expect.decision and step.expect.reason, f"{_rel(path)}:{step.line}"


def test_catalog_layout(catalog: dict[Path, Ran]) -> None:
    assert len(FILES) >= 30
    for folder in FOLDERS:
        assert list((CATALOG / folder).glob("*.yaml")), f"no scenario in {folder}/"
    strays = [_rel(p) for p in FILES if p.parent.name not in FOLDERS or p.parent.parent != CATALOG]
    assert not strays, f"scenarios outside {FOLDERS}: {strays}"
    names = [catalog[p].scenario.name for p in FILES]
    assert len(set(names)) == len(names), "scenario names must be unique (they are the case ids)"


def test_every_reason_code_is_expected(catalog: dict[Path, Ran]) -> None:
    expected = {s.expect.reason for r in catalog.values() for s in r.scenario.steps if s.expect and s.expect.reason}
    assert expected == {r.value for r in Reason}


def test_every_finding_is_expected(catalog: dict[Path, Ran]) -> None:
    expected = {f for r in catalog.values() for s in r.scenario.steps if s.expect for f in s.expect.findings}
    assert expected == {f.value for f in FindingCode} - {f.value for f in UNREACHABLE_FINDINGS}


def test_both_emms_on_both_platforms(catalog: dict[Path, Ran]) -> None:
    pairs = {
        (r.scenario.device.platform.value, r.scenario.device.emm.provider)
        for r in catalog.values()
        if r.scenario.device.emm is not None
    }
    assert {(p, e) for p in ("android", "ios") for e in ("intune", "workspace_one")} <= pairs


def test_every_step_action_is_used(catalog: dict[Path, Ran]) -> None:
    used = {s.action for r in catalog.values() for s in r.scenario.steps}
    assert used == set(ACTIONS)


def test_every_attack_is_refused(catalog: dict[Path, Ran]) -> None:
    """Each attack is played in security/ and expected to end as an error with challenge_invalid
    (an enrollment attack: with the victim's own sign-in still managed)."""
    played: set[str] = set()
    for path, ran in catalog.items():
        for step in ran.scenario.steps:
            if "attack" not in step.args:
                continue
            assert path.parent.name == "security", f"{_rel(path)}: attacks belong in security/"
            assert step.expect is not None
            refused = (
                ("managed", "managed") if step.args["attack"] in ENROLLMENT_ATTACKS else ("error", "challenge_invalid")
            )
            assert (step.expect.decision, step.expect.reason) == refused
            played.add(step.args["attack"])
    assert played == set(ATTACKS)


def test_known_issues_pin_what_the_user_sees(catalog: dict[Path, Ran]) -> None:
    """A known issue is reproduced "as it shows to a user": each file pins a remediation page
    (title, provider, link or HTTP status) or, for a managed outcome, its absence."""
    for path, ran in catalog.items():
        if path.parent.name == "known-issues":
            expects = [s.expect for s in ran.scenario.steps if s.expect is not None]
            assert any(e.remediation or e.remediation_absent for e in expects), _rel(path)


# -- secrets ------------------------------------------------------------------------------------


def _catalog_secrets(catalog: dict[Path, Ran]) -> set[str]:
    """Every secret value the catalog's orgs (files and inline) and add_platform steps reveal."""
    found = {c.secret for r in catalog.values() for c in r.scenario.org.endpoint_management if c.secret}
    found |= {c.secret for f in ORG_FILES.glob("*.yaml") for c in read_org_file(f)[0].endpoint_management if c.secret}
    found |= {str(s.args["secret"]) for r in catalog.values() for s in r.scenario.steps if "secret" in s.args}
    return found


def _leaks(results: Iterator[CaseResult], secrets: set[str]) -> list[str]:
    leaks = []
    for result in results:
        text = json.dumps(result.to_json())
        leaks += [f"{result.id}: secret of length {len(s)}" for s in secrets if s in text]
    return leaks


def test_no_secret_in_any_result(catalog: dict[Path, Ran]) -> None:
    secrets = _catalog_secrets(catalog)
    assert len(secrets) >= 8  # the scan below must have something to look for
    assert not _leaks(iter(r.result for r in catalog.values()), secrets)


def test_secret_scan_detects_a_leak(catalog: dict[Path, Ran]) -> None:
    """The scan above can fail: a result carrying a secret anywhere is caught."""
    secret = sorted(_catalog_secrets(catalog))[0]
    leaked = CaseResult("x[y]", "x", "y", CaseOutcome.FAILED, message=f"expected {secret}")
    assert _leaks(iter([leaked]), {secret})


def test_secrets_are_really_delivered(catalog: dict[Path, Ran]) -> None:
    """The scan is meaningful only if the secrets went through the chain: managed verdicts prove it."""
    managed = [r for r in catalog.values() for s in r.result.steps if s.reason == "managed"]
    assert len(managed) >= 20


@pytest.mark.parametrize("path", FILES, ids=_rel)
def test_a_wrong_expectation_fails(path: Path, catalog: dict[Path, Ran]) -> None:
    """Each file's expectations bite: another reason on its first sign-in makes the case fail."""
    scenario = catalog[path].scenario
    index, step = next((i, s) for i, s in enumerate(scenario.steps) if s.action == "sign_in")
    assert step.expect is not None and step.expect.reason is not None
    wrong = next(r.value for r in Reason if r.value != step.expect.reason)
    steps = list(scenario.steps)
    steps[index] = replace(step, expect=replace(step.expect, reason=wrong))
    result = run_case(replace(scenario, steps=tuple(steps)), None, 1)
    assert result.outcome is CaseOutcome.FAILED
    assert f"reason: expected {wrong}, got {step.expect.reason}" in result.message


def test_the_no_leak_secrets_are_read_without_libyaml_too(monkeypatch: pytest.MonkeyPatch) -> None:
    """PyYAML built without libyaml (simulator/yamlfile.py supports it) has no ``CSafeLoader``:
    the suite's no-leak checks still find every catalog secret, with the Python loader."""
    import yaml

    from tests.helpers import catalog_secrets

    with_libyaml = catalog_secrets()
    monkeypatch.delattr(yaml, "CSafeLoader", raising=False)
    assert catalog_secrets.__wrapped__() == with_libyaml and with_libyaml
