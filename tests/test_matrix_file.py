"""The matrix file: EMM x Okta Verify placement, include / exclude, scenario selection, real
devices, and the sample lab matrix run through ``attestlab run``, the pytest plugin and shards."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

# Imported before any in-process inner pytest session (tests/plugin/inner.py says why).
import harness.readers
import harness.scenarios.execute  # noqa: F401
from harness import runner
from harness.errors import InputError
from harness.matrix import MatrixDevice, MatrixSource, load_matrix
from simulator.device import Platform
from tests.helpers import CAPTURES, CATALOG, ROOT, Result, attestlab
from tests.plugin.inner import PLUGIN

LAB = ROOT / "fixtures" / "matrices" / "lab.yaml"
LAB_SCENARIOS = [CATALOG, ROOT / "docs" / "ci" / "device-checks"]


def _matrix(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "m.yaml"
    path.write_text(text)
    return path


def test_a_cross_over_emm_and_placement_gives_every_combination(tmp_path: Path) -> None:
    matrix = load_matrix(
        _matrix(
            tmp_path,
            "cross:\n"
            "  - {platform: android, model: [Pixel 8], version: ['14', '15'],\n"
            "     emm: [intune, workspace_one], okta_verify: [work, personal]}\n",
        )
    )
    devices = [d for d in matrix.entries if isinstance(d, MatrixDevice)]
    assert len(devices) == 8
    assert {(d.os_version, d.emm, d.okta_verify) for d in devices} == {
        (v, e, p) for v in ("14", "15") for e in ("intune", "workspace_one") for p in ("work", "personal")
    }
    assert devices[0].label == "Pixel 8 · Android 14 · intune · Okta Verify work"


def test_a_matrix_without_emm_or_placement_keeps_its_case_ids() -> None:
    """Shards stay where they were: the sample matrix of the README names neither."""
    matrix = load_matrix(ROOT / "fixtures" / "matrices" / "sample.yaml")
    labels = [d.label for d in matrix.entries if isinstance(d, MatrixDevice)]
    assert labels[:2] == ["Pixel 8 · Android 14", "iPhone15,2 · iOS 18.1"]


def test_exclude_removes_what_matches_every_key_and_include_adds_after_it(tmp_path: Path) -> None:
    matrix = load_matrix(
        _matrix(
            tmp_path,
            "devices: ['platform=android,model=Pixel 7,version=13']\n"
            "cross:\n"
            "  - {platform: android, model: [Pixel 8, SM-S911B], version: ['14', '15'], emm: [intune, workspace_one]}\n"
            "exclude:\n"
            "  - {model: SM-S911B, version: '15'}\n"
            "  - {model: [Pixel 7, Pixel 8], emm: workspace_one}\n"
            "  - {version: '13'}\n"
            "include:\n"
            "  - {platform: android, model: SM-S911B, version: '15', emm: intune}\n",
        )
    )
    found = {(d.model, d.os_version, d.emm) for d in matrix.entries if isinstance(d, MatrixDevice)}
    assert found == {
        ("Pixel 8", "14", "intune"),
        ("Pixel 8", "15", "intune"),
        ("SM-S911B", "14", "intune"),
        ("SM-S911B", "14", "workspace_one"),
        ("SM-S911B", "15", "intune"),  # excluded, then included again
    }


def test_an_exclude_prunes_combinations_that_cannot_exist(tmp_path: Path) -> None:
    """One cross over both platforms: the placements of the other platform are excluded."""
    text = "cross:\n  - {platform: [android, ios], okta_verify: [work, emm]}\n"
    with pytest.raises(InputError, match=r"m\.yaml:2: okta_verify 'emm' is not a placement of Okta Verify on Android"):
        load_matrix(_matrix(tmp_path, text))
    text += "exclude:\n  - {platform: android, okta_verify: emm}\n  - {platform: ios, okta_verify: work}\n"
    devices = load_matrix(_matrix(tmp_path, text)).entries
    assert devices == (
        MatrixDevice(Platform.ANDROID, okta_verify="work"),
        MatrixDevice(Platform.IOS, okta_verify="emm"),
    )


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("devices: [{platform: android, colour: red}]\n", r"m\.yaml:1: unknown device key\(s\) colour"),
        (
            "cross:\n  - {platform: [android], emm: [intune, mobileiron]}\n",
            r"m\.yaml:2: emm 'mobileiron' is not an EMM",
        ),
        (
            "cross:\n  - {platform: android, okta_verify: [work_profile]}\n",
            r"m\.yaml:2: okta_verify 'work_profile' is not a placement of Okta Verify on Android "
            r"\(allowed: work, personal, both, none\)",
        ),
        (
            "devices:\n  - platform=ios,okta_verify=work\n",
            r"m\.yaml:2: okta_verify 'work' is not a placement of Okta Verify on iOS \(allowed: emm, user, none\)",
        ),
        ("devices: [platform=android]\nexclude:\n  - {vendor: x}\n", r"m\.yaml:3: unknown device key\(s\) vendor"),
        ("devices: [platform=android]\nexclude:\n  - {emm: airwatch}\n", r"m\.yaml:3: emm 'airwatch' is not an EMM"),
        ("devices: [platform=android]\nexclude:\n  - {model: Pixel 9}\n", r"m\.yaml:3: exclude matches no device"),
        ("devices: [platform=android]\nexclude:\n  - {version: '99'}\n", r"m\.yaml:3: version '99' is not an"),
        ("devices:\n  - platform=android\n  - source: usb:1234\n", r"m\.yaml:3: source 'usb:1234': expected one of"),
        ("devices:\n  - {source: 'adb-server:x', platform: ios}\n", r"m\.yaml:2: unknown device key\(s\) platform"),
        (
            "devices:\n  - {source: 'adb-server:x', okta_verify: emm}\n",
            r"m\.yaml:2: okta_verify 'emm' is not a placement of Okta Verify on Android",
        ),
        ("devices: [platform=android]\nscenarios: {globs: ['*']}\n", r"m\.yaml:2: unknown key\(s\) globs in scenarios"),
        ("devices: [platform=android]\nscenarios: {tags: [1]}\n", r"m\.yaml:2: scenarios\.tags is a list of non-empty"),
        ("devices: [platform=android]\nshards: 3\n", r"m\.yaml:1: a matrix has .*\(unknown: shards\)"),
        ("exclude: [{platform: android}]\n", r"m\.yaml:1: exclude matches no device"),
    ],
)
def test_bad_matrix_files_are_one_line_naming_file_and_line(tmp_path: Path, text: str, error: str) -> None:
    with pytest.raises(InputError, match=error):
        load_matrix(_matrix(tmp_path, text))
    result = attestlab("run", CATALOG / "android", "--matrix", tmp_path / "m.yaml")
    assert result.code == 2 and len(result.err.strip().splitlines()) == 1, result.err


def test_a_matrix_device_runs_only_the_scenarios_written_for_its_emm_and_placement(tmp_path: Path) -> None:
    """A case never runs on settings its expectations were not written for."""
    matrix = load_matrix(
        _matrix(
            tmp_path,
            "cross:\n  - {platform: android, emm: [intune, workspace_one, none], okta_verify: [work, personal, both]}\n"
            "  - {platform: ios, emm: [intune, workspace_one], okta_verify: [emm, user]}\n"
            "devices: ['platform=android,model=Pixel 7']\n",
        )
    )
    p = runner.plan(runner.collect([CATALOG]), matrix=matrix.read())
    seen = set()
    for si, di in p.cases:
        scenario, device = p.scenarios[si], p.devices[di]
        if device is None:  # a capture scenario: its own device
            assert scenario.device.source is not None
            continue
        assert isinstance(device, MatrixDevice)
        emm = scenario.device.emm.provider if scenario.device.emm else "none"
        assert device.emm in (None, emm) and device.okta_verify in (None, scenario.device.okta_verify)
        seen.add((device.emm, device.okta_verify))
    assert {("intune", "personal"), ("workspace_one", "both"), ("workspace_one", "user"), (None, None)} <= seen
    open_device = sum(1 for _, di in p.cases if p.devices[di] == MatrixDevice(Platform.ANDROID, "Pixel 7"))
    assert open_device == sum(1 for s in p.scenarios if s.platform is Platform.ANDROID and s.device.source is None)


#: The scenarios of the catalog tagged ``profiles`` (three in android/, one in known-issues/).
PROFILES = ("secure-folder", "personal-profile-only", "browser-in-personal-profile", "okta-verify-in-both-profiles")


def test_scenarios_are_selected_by_path_glob_and_tag_wherever_the_run_starts(tmp_path: Path) -> None:
    matrix = _matrix(
        tmp_path,
        "devices: [platform=android, platform=ios]\n"
        "scenarios: {paths: ['android/*', known-issues], tags: [profiles]}\n",
    )
    only = load_matrix(matrix).scenarios
    assert only is not None
    for paths in ([CATALOG], [CATALOG / "android", CATALOG / "known-issues"]):
        scenarios = runner.plan(runner.collect(paths)).scenarios
        chosen = {s.rel.rsplit("/", 1)[-1] for s in scenarios if only.admits(s.path, s.tags)}
        assert chosen == {f"{name}.yaml" for name in PROFILES}
    listed = attestlab("run", "--matrix", matrix, "--collect-only")
    assert listed.code == 0
    names = {line.split("[")[0] for line in listed.out.splitlines() if "[" in line}
    assert names == {f"android-{name}" for name in PROFILES[:3]} | {f"known-issue-{PROFILES[3]}"}, names
    # PATH, -k and -m narrow what the matrix chose; they never widen it.
    narrowed = attestlab("run", CATALOG / "known-issues", "--matrix", matrix, "--collect-only", "-k", "both")
    assert [line.split("[")[0] for line in narrowed.out.splitlines() if "[" in line] == [
        "known-issue-okta-verify-in-both-profiles"
    ]
    # Narrowed to nothing, the run checked nothing: bad input, as a -k that matches nothing.
    empty = attestlab("run", "--matrix", matrix, "--collect-only", "-m", "ios")
    admitted = len(names)
    assert (empty.code, empty.err) == (
        2,
        f"attestlab: error: no case to run: -m 'ios' selected none of the {admitted} cases\n",
    )


def test_real_devices_in_a_matrix_mix_with_simulated_ones(tmp_path: Path) -> None:
    """``source:`` entries are the registry's spellings; a capture is found from the matrix file."""
    folder = tmp_path / "lab"
    folder.mkdir()
    shutil.copytree(CAPTURES / "android" / "pixel6-android12-intune-abx", folder / "pixel6")
    matrix = _matrix(
        folder,
        "devices:\n  - source: capture:pixel6\n    emm: intune\n  - platform=android,model=Pixel 8,emm=intune\n"
        "  - {source: 'adb-server:emulator-5554', emm: workspace_one}\n  - source: 'ios:00008110-001A2B3C4D5E801E'\n",
    )
    entries = load_matrix(matrix).entries
    assert [type(e) for e in entries] == [MatrixSource, MatrixDevice, MatrixSource, MatrixSource]
    assert entries[0] == MatrixSource(f"capture:{folder / 'pixel6'}", f"{matrix}:2", "intune")
    scenario = tmp_path / "real.yaml"
    scenario.write_text(
        f"name: real-device-is-managed\norg: {ROOT / 'fixtures' / 'orgs' / 'standard.yaml'}\n"
        "device: {platform: android, emm: {provider: intune, config: {managementHint: '${secret:intune-android}'}}}\n"
        "steps:\n  - sign_in:\n    expect: {decision: managed, reason: managed}\n"
    )
    report = tmp_path / "r.json"
    result = attestlab("run", scenario, "--matrix", matrix, "--json", report, env={"ATTESTLAB_SOURCE_TIMEOUT": "1"})
    cases = {c["device"]: c["outcome"] for c in json.loads(report.read_text())["cases"]}
    # The Workspace ONE phone runs no Intune scenario; the absent iPhone none of Android's.
    assert cases == {"capture:pixel6": "passed", "Pixel 8 · Android · intune": "passed"}, (cases, result.err)


def _no_timings(report: dict[str, Any]) -> dict[str, Any]:
    """A report without what differs between two runs of the same cases: durations, the start
    time, and the command that wrote it (``attestlab run`` / ``attestlab report merge``); cases
    by id (a merge lists them shard by shard, a run in the order they finished)."""
    run = {k: v for k, v in report["run"].items() if k not in ("started_at", "command")}
    summary = {k: v for k, v in report["summary"].items() if k != "duration_s"}
    cases = sorted(({k: v for k, v in c.items() if k != "duration_s"} for c in report["cases"]), key=lambda c: c["id"])
    return {"run": run, "summary": summary, "cases": cases}


#: The sample lab matrix over the catalog and docs/ci/device-checks, as docs/cli.md runs it.
_LAB_RUN = [*LAB_SCENARIOS, "--matrix", LAB, "--seed", "11", "-q"]


@pytest.fixture(scope="module")
def lab_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Result, dict[str, Any]]:
    """One unsharded run of the lab matrix (100 cases) and its JSON report, for the tests that
    compare with it: each made its own, the same run with the same seed."""
    report = tmp_path_factory.mktemp("lab") / "whole.json"
    result = attestlab("run", *_LAB_RUN, "--json", report)
    return result, json.loads(report.read_text())


@pytest.mark.slow
def test_merged_shards_equal_the_unsharded_run_but_for_timings(
    tmp_path: Path, lab_run: tuple[Result, dict[str, Any]]
) -> None:
    """Three shards of 100 cases (sizes 34, 33, 33). Partition and balance for any shard count
    are tests/test_sharding.py's properties, and ``report merge`` has no path that depends on
    the count (a second count, 4, ran 100 more cases for the same checks)."""
    total = 3
    whole, expected = lab_run
    assert whole.code == 0, whole.out + whole.err
    shards = [tmp_path / f"shard-{k}.json" for k in range(1, total + 1)]
    for k, path in enumerate(shards, 1):
        assert attestlab("run", *_LAB_RUN, "--shard", f"{k}/{total}", "--json", path).code == 0
    sizes = [len(json.loads(path.read_text())["cases"]) for path in shards]
    assert max(sizes) - min(sizes) <= 1
    merged = tmp_path / "merged.json"
    assert attestlab("report", "merge", *shards, "-o", merged).code == 0
    got = json.loads(merged.read_text())
    ids = [c["id"] for c in got["cases"]]
    assert len(ids) == len(set(ids)) == sum(sizes) == expected["summary"]["total"] == 100
    assert _no_timings(got) == _no_timings(expected)


@pytest.mark.slow
def test_the_lab_matrix_runs_through_attestlab_run_and_pytest_alike(
    pytester: pytest.Pytester, lab_run: tuple[Result, dict[str, Any]]
) -> None:
    listed = attestlab("run", *LAB_SCENARIOS, "--matrix", LAB, "--collect-only")
    ids = {line for line in listed.out.splitlines() if "[" in line}
    ran, _ = lab_run
    assert ran.code == 0 and "100 passed, 45 deselected" in ran.out, ran.out
    assert any("capture:emulator-android14-testdpc" in i for i in ids)
    # `-n 0`: the scenarios' paths put the inner run under the project's pyproject.toml, whose
    # addopts ask for `-n auto` (two worker processes, ~5 s of CPU, for what one process shows).
    # One inner session: the items that ran (``-rA`` names each) are the cases attestlab listed.
    inner = pytester.runpytest_inprocess(
        *PLUGIN, "-n", "0", "-q", "-rA", *map(str, LAB_SCENARIOS), "--attestlab-matrix", str(LAB)
    )
    inner.assert_outcomes(passed=100)
    passed = [line.removeprefix("PASSED ").split("::", 1)[1] for line in inner.outlines if line.startswith("PASSED ")]
    assert len(passed) == 100 and set(passed) == ids


def test_the_documented_example_is_a_valid_matrix(tmp_path: Path) -> None:
    """docs/cli.md "Matrix file" shows every key; that example must load as written."""
    text = (ROOT / "docs" / "cli.md").read_text()
    example = text.split("### Matrix file", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    matrix = load_matrix(_matrix(tmp_path, example))
    sources = [e.spec.partition(":")[0] for e in matrix.entries if isinstance(e, MatrixSource)]
    assert sources == ["adb-server", "ios", "capture"]
    assert matrix.scenarios is not None and matrix.scenarios.tags
    simulated = [e for e in matrix.entries if isinstance(e, MatrixDevice)]
    assert len(simulated) == 2 + 2 * 2 * 2 * 2 - 4 + 1
