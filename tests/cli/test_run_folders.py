"""``attestlab run DIR``: which files of a folder are scenarios (docs/scenarios.md, "Scenario
files in a folder"), duplicate scenario names, and runs in which no case can run."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.helpers import CAPTURES, CATALOG, ORGS, attestlab, managed_scenario

MATRIX = "devices:\n  - platform=android,model=Pixel 8,version=14\n"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A scenario with its org file and a matrix file beside it, as a team keeps them."""
    shutil.copy(ORGS / "standard.yaml", tmp_path / "org.yaml")
    (tmp_path / "matrix.yaml").write_text(MATRIX)
    (tmp_path / "managed.yaml").write_text(managed_scenario("managed", "org.yaml"))
    return tmp_path


def test_org_and_matrix_files_beside_scenarios_are_not_cases(folder: Path) -> None:
    result = attestlab("run", folder, "--json", folder / "out" / "r.json")
    assert result.code == 0, result.out + result.err
    report = json.loads((folder / "out" / "r.json").read_text())
    assert [case["id"] for case in report["cases"]] == ["managed[Android]"]
    assert "1 passed" in result.out and "error" not in result.out
    # ...and the matrix file there is one the run can use.
    result = attestlab("run", folder, "--matrix", folder / "matrix.yaml", "--collect-only")
    assert result.out.splitlines() == ["managed[Pixel 8 · Android 14]", "1 case collected"]


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("broken.yaml", managed_scenario("broken", "org.yaml") + "  - reboot:\n", "steps.1: unknown step 'reboot'"),
        ("typo.yaml", "org_ur: https://acme.okta.com\n", "unknown field 'org_ur'"),
        ("matrixish.yaml", "devices: [platform=android]\nsteps: []\n", "unknown field 'devices'"),
        ("unparsable.yaml", "devices: [\n", "invalid YAML"),
        ("empty.yaml", "", "empty scenario"),
    ],
)
def test_a_broken_scenario_in_the_folder_is_an_error_case_never_skipped(
    folder: Path, name: str, text: str, message: str
) -> None:
    """Only an org file (``org_url``) or a matrix file (nothing but ``devices``/``cross``) is left
    alone; a file that is neither, or that does not parse, is a scenario and fails loudly."""
    (folder / name).write_text(text)
    result = attestlab("run", folder, "--json", folder / "r.json")
    assert result.code == 1, result.out + result.err
    cases = {case["id"]: case for case in json.loads((folder / "r.json").read_text())["cases"]}
    assert set(cases) == {"managed[Android]", f"{Path(name).stem}[load]"}
    error = cases[f"{Path(name).stem}[load]"]
    assert error["outcome"] == "error" and message in error["message"], error["message"]
    assert cases["managed[Android]"]["outcome"] == "passed"


def test_two_files_with_one_scenario_name_are_exit_2_naming_both(folder: Path) -> None:
    (folder / "sub").mkdir()
    shutil.copy(folder / "org.yaml", folder / "sub" / "org.yaml")
    (folder / "sub" / "again.yaml").write_text(managed_scenario("managed", "org.yaml"))
    result = attestlab("run", folder)
    assert result.code == 2, result.out + result.err
    assert result.err == (
        f"attestlab: error: scenario name 'managed' is used by both {folder / 'managed.yaml'} and "
        f"{folder / 'sub' / 'again.yaml'} (case ids are made of names: rename one)\n"
    )
    assert result.out == ""


@pytest.mark.parametrize(
    ("name", "kind", "option"), [("org.yaml", "an org file", "--org"), ("matrix.yaml", "a matrix file", "--matrix")]
)
def test_an_org_or_matrix_file_named_as_a_scenario_says_where_it_goes(
    folder: Path, name: str, kind: str, option: str
) -> None:
    """Named on the command line a file is meant as a scenario: an org or matrix file there is a
    mistake, said in those words (exit 2 alone, an error case among others), never skipped."""
    result = attestlab("run", folder / name)
    assert result.code == 2
    assert result.err == f"attestlab: error: {folder / name}: this is {kind}, not a scenario (give it with {option})\n"
    result = attestlab("run", folder / "managed.yaml", folder / name, "--json", folder / "r.json")
    assert result.code == 1
    cases = json.loads((folder / "r.json").read_text())["cases"]
    assert sorted((c["id"], c["outcome"]) for c in cases) == sorted(
        [("managed[Android]", "passed"), (f"{Path(name).stem}[load]", "error")]
    )


def test_a_folder_of_only_org_and_matrix_files_is_exit_2(folder: Path) -> None:
    (folder / "managed.yaml").unlink()
    result = attestlab("run", folder)
    assert result.code == 2
    assert result.err.startswith("attestlab: error: no scenario among ")


# -- runs in which nothing can run -----------------------------------------------------------


def test_no_device_of_the_scenarios_platform_is_exit_2_saying_so() -> None:
    """It printed "16 deselected" and exited 0: a CI job that checked nothing passed."""
    device = f"capture:{CAPTURES / 'android' / 'pixel6-android12-intune-abx'}"
    result = attestlab("run", CATALOG / "ios", "--device", device)
    count = len(list((CATALOG / "ios").glob("*.yaml")))
    assert result.code == 2
    assert result.err == f"attestlab: error: no case to run: the {count} scenarios are iOS, the device is Android\n"
    assert result.out == ""


def test_a_matrix_without_the_platform_is_exit_2_and_with_it_the_rest_is_deselected(folder: Path) -> None:
    ios = CATALOG / "ios" / "intune-config-xml.yaml"
    result = attestlab("run", ios, "--matrix", folder / "matrix.yaml", "--collect-only")
    assert (result.code, result.err) == (
        2,
        "attestlab: error: no case to run: the scenario is iOS, the device is Android\n",
    )
    result = attestlab("run", ios, folder / "managed.yaml", "--matrix", folder / "matrix.yaml")
    assert result.code == 0, result.out + result.err
    assert "1 passed, 1 deselected" in result.out


@pytest.mark.parametrize(
    ("options", "asked"),
    [
        (["-k", "nosuch"], "-k 'nosuch'"),
        (["-m", "nosuch and android"], "-m 'nosuch and android'"),
        (["--tag", "nosuch", "-k", "managed"], "-k 'managed' --tag 'nosuch'"),
        (["-k", "nosuch", "--collect-only"], "-k 'nosuch'"),
    ],
)
def test_a_selection_that_matches_nothing_is_exit_2_as_pytest_exits_5(
    folder: Path, options: list[str], asked: str
) -> None:
    """pytest exits 5 ("no tests ran") so that a ``-k`` typo does not pass in CI; the contract
    has no 5, and bad input is 2 (docs/cli.md, "Selecting cases")."""
    result = attestlab("run", folder, *options)
    assert result.code == 2, result.out
    assert result.err == f"attestlab: error: no case to run: {asked} selected none of the 1 case\n"


@pytest.mark.parametrize(
    ("matrix", "why"),
    [
        (
            "devices:\n  - {platform: android, emm: workspace_one}\n",
            "none of the 1 scenario has the emm and okta_verify the matrix's devices name",
        ),
        (
            MATRIX + "scenarios: {paths: [nosuch/*]}\n",
            "the matrix's scenarios: selection admits none of the 1 case",
        ),
        (
            MATRIX + "scenarios: {tags: [nosuch]}\n",
            "the matrix's scenarios: selection admits none of the 1 case",
        ),
    ],
)
def test_a_matrix_that_selects_nothing_is_exit_2(folder: Path, matrix: str, why: str) -> None:
    """The matrix narrows a run as -k does (docs/cli.md, "Matrix file"): narrowed to nothing,
    the run checked nothing and must not pass."""
    (folder / "matrix.yaml").write_text(matrix)
    for extra in ([], ["--collect-only"]):
        result = attestlab("run", folder, "--matrix", folder / "matrix.yaml", *extra)
        assert (result.code, result.err) == (2, f"attestlab: error: no case to run: {why}\n"), result.out


def test_an_empty_shard_is_no_mistake(folder: Path) -> None:
    """More shards than cases leaves some empty: those pass (exit 0), as every shard of a CI
    matrix must run whatever the plan's size."""
    results = [attestlab("run", folder, "--shard", f"{k}/2") for k in (1, 2)]
    assert [r.code for r in results] == [0, 0], [r.out + r.err for r in results]
    assert sorted("no cases ran" in r.out for r in results) == [False, True]


def test_a_scenario_whose_source_is_of_the_other_platform_is_an_error_case(tmp_path: Path) -> None:
    """An iOS scenario reading an Android capture passed: the capture's device ran the steps."""
    capture = CAPTURES / "android" / "pixel8-android15-paused-work-profile"
    scenario = tmp_path / "wrong-platform.yaml"
    scenario.write_text(
        f"org: {ORGS / 'standard.yaml'}\ndevice:\n  platform: ios\n  source: capture:{capture}\n"
        "steps:\n  - sign_in:\n    expect: {decision: not_managed}\n"
    )
    result = attestlab("run", scenario, "--json", tmp_path / "r.json")
    assert result.code == 1, result.out + result.err
    (case,) = json.loads((tmp_path / "r.json").read_text())["cases"]
    assert case["outcome"] == "error"
    assert case["message"] == (
        f"{scenario}: device.source capture:{capture} is an Android device, but device.platform is ios"
    )
