"""The pytest plugin: scenario files collected as items, run, filtered and reported by pytest.

Each test runs a real inner pytest session (``pytester``) over real scenario files, the bundled
catalog or small ones written here, so collection, ids, markers and failure reports are pytest's
own.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import CATALOG, ORGS
from tests.plugin.inner import PLUGIN, catalog_config

STANDARD_ORG = ORGS / "standard.yaml"


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_inprocess(*PLUGIN, "-n", "0", *args)


def run_catalog(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    """The bundled catalog, as a user's run of it (on two workers: tests/plugin/test_xdist_devices.py)."""
    return run(pytester, *catalog_config(pytester), str(CATALOG), *args)


def scenario(name: str, *, reason: str = "managed", tags: str = "[android, demo-tag]") -> str:
    return f"""\
name: {name}
tags: {tags}
org: {STANDARD_ORG}
device:
  platform: android
  okta_verify: work
  emm:
    provider: intune
    config: {{managementHint: "${{secret:intune-android}}"}}
steps:
  - sign_in:
    expect: {{decision: managed, reason: {reason}}}
"""


def test_the_bundled_catalog_runs_as_items_and_passes(pytester: pytest.Pytester) -> None:
    result = run_catalog(pytester, "-q")
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed", 0) == 0 and outcomes.get("errors", 0) == 0
    assert outcomes["passed"] >= 49
    assert result.ret == 0


def test_items_have_readable_ids_and_k_filters_on_them(pytester: pytest.Pytester) -> None:
    result = run_catalog(pytester, "--collect-only", "-q", "-k", "reset and not rotation and not add")
    ids = [line for line in result.outlines if "::" in line]
    assert ids == ["scenarios/known-issues/reset-secret-key.yaml::known-issue-reset-secret-key[Android]"]


def test_tags_become_markers(pytester: pytest.Pytester) -> None:
    both = pytester.inline_run(
        *PLUGIN, "-n", "0", *catalog_config(pytester), str(CATALOG), "--collect-only", "-m", "known_issue and ios"
    )
    selected = both.getcalls("pytest_collection_finish")[0].session.items
    assert selected and all("known-issues/" in item.nodeid for item in selected)
    assert all({"known_issue", "ios"} <= {mark.name for mark in item.iter_markers()} for item in selected)
    # "and ios" narrowed it: the known issues of Android were deselected.
    deselected = [item for call in both.getcalls("pytest_deselected") for item in call.items]
    assert any(item.get_closest_marker("known_issue") and item.get_closest_marker("android") for item in deselected)


def test_each_tag_is_registered_once_however_many_items_carry_it(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", one=scenario("one"), two=scenario("two"))
    devices = "devices: [{platform: android, model: Pixel 7}, {platform: android, model: Pixel 8}]"
    matrix = pytester.makefile(".yml", matrix=devices)
    calls = pytester.inline_run(
        *PLUGIN, "-n", "0", "--strict-markers", "--collect-only", "--attestlab-matrix", str(matrix)
    ).getcalls("pytest_collection_finish")
    session = calls[0].session
    tags = [line for line in session.config.getini("markers") if line.endswith(": scenario tag")]
    assert sorted(tags) == ["android: scenario tag", "demo_tag: scenario tag"]
    assert len(session.items) == 4
    assert all({"attestlab", "android", "demo_tag"} <= {m.name for m in item.iter_markers()} for item in session.items)


FREEZE_PROBE = """
import gc

def pytest_runtest_call(item):
    item.user_properties.append(("frozen", gc.get_freeze_count()))
"""


def frozen_during_run(pytester: pytest.Pytester) -> list[object]:
    reports = pytester.inline_run(*PLUGIN, "-n", "0").getreports("pytest_runtest_logreport")
    return [value for r in reports if r.when == "call" for name, value in r.user_properties if name == "frozen"]


@contextlib.contextmanager
def thawed() -> Iterator[None]:
    """This process with nothing frozen (the suite's conftest freezes its own collection), and
    frozen again after."""
    outer = gc.get_freeze_count()
    gc.unfreeze()
    try:
        yield
    finally:
        if outer:
            gc.freeze()


def test_the_collection_is_frozen_for_the_run_of_scenarios_and_thawed_after(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(FREEZE_PROBE)
    pytester.makefile(".yaml", one=scenario("one"))
    with thawed():
        frozen = frozen_during_run(pytester)
        after = gc.get_freeze_count()
    assert len(frozen) == 1 and isinstance(frozen[0], int) and frozen[0] > 1000
    assert after == 0


def test_a_process_frozen_before_is_left_as_it_was(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(FREEZE_PROBE)
    pytester.makefile(".yaml", one=scenario("one"))
    with thawed():
        gc.freeze()
        before = gc.get_freeze_count()
        frozen = frozen_during_run(pytester)
        after = gc.get_freeze_count()
    # Not frozen again (the inner collection would add thousands), not thawed (frozen objects
    # that die leave the count, so it may only shrink).
    assert len(frozen) == 1 and isinstance(frozen[0], int) and 0 < frozen[0] <= before
    assert 0 < after <= before


def test_a_session_without_scenarios_is_not_frozen(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(FREEZE_PROBE)
    pytester.makepyfile(test_plain="def test_plain():\n    pass\n")
    with thawed():
        assert frozen_during_run(pytester) == [0]


def test_a_failing_scenario_shows_the_step_expected_and_actual(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", wrong=scenario("wrong-expectation", reason="no_hint"))
    result = run(pytester, "-q")
    assert result.ret == 1
    result.stdout.fnmatch_lines(
        ["*wrong-expectation*failed*", "*step 1 (line *) sign_in*reason: expected no_hint, got managed*"]
    )


def test_a_broken_scenario_file_is_a_failing_item_not_a_crash(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", good=scenario("good"), broken=scenario("broken").replace("sign_in:", "sign_inn:"))
    result = run(pytester, "-q")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*broken.yaml*sign_inn*"])


def test_other_yaml_files_are_not_collected(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", org=STANDARD_ORG.read_text(), ci="jobs: {test: {runs-on: ubuntu-latest}}\n")
    pytester.makefile(".yaml", one=scenario("one"))
    run(pytester, "-q").assert_outcomes(passed=1)


def test_a_matrix_gives_an_item_per_device(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", one=scenario("one"))
    matrix = pytester.makefile(
        ".yml", matrix="cross:\n  - {platform: android, model: [Pixel 8, Galaxy S24], version: ['14', '15']}\n"
    )
    result = run(pytester, "--attestlab-matrix", str(matrix), "-v")
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(["*one[[]Pixel 8*14*PASSED*"])


def test_an_absent_device_skips_with_the_reason(pytester: pytest.Pytester, tmp_path: Path) -> None:
    pytester.makefile(".yaml", one=scenario("one"))
    result = run(pytester, "-rs", "--attestlab-device", f"capture:{tmp_path / 'unplugged'}")
    result.assert_outcomes(passed=0, skipped=1)
    result.stdout.fnmatch_lines(["*device absent*unplugged*"])
