"""``attestlab run`` end to end: exit codes, reports, errors, secrets, interruption."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

from tests.helpers import CATALOG, ROOT, attestlab, attestlab_process, catalog_secrets


class _Cells(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.cells: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        data = dict(attrs)
        if tag == "td" and "data-scenario" in data:
            self.cells.append(data)


def test_bundled_catalog_passes_with_every_report(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = attestlab(
        "run", "--seed", "5", "--json", out / "r.json", "--junit", out / "j.xml", "--html", out / "g.html"
    )
    assert result.code == 0, result.out + result.err
    report = json.loads((out / "r.json").read_text())
    summary = report["summary"]
    assert summary["total"] >= 30 and summary["passed"] == summary["total"]
    assert {"total", "passed", "failed", "errors", "skipped", "flaky", "duration_s"} <= set(summary)
    for case in report["cases"]:
        assert {"id", "scenario", "device", "outcome", "steps", "message", "duration_s"} <= set(case)
        for step in case["steps"]:
            assert {"action", "decision", "reason", "remediation"} <= set(step)
    suite = ET.parse(out / "j.xml").getroot().find("testsuite")
    assert suite is not None and int(suite.get("tests", "0")) == summary["total"]
    assert int(suite.get("failures", "1")) == 0 and int(suite.get("errors", "1")) == 0
    parser = _Cells()
    parser.feed((out / "g.html").read_text())
    ran = [c for c in parser.cells if c.get("data-outcome") != "not-run"]
    assert len(ran) == summary["total"]
    assert all(c["data-outcome"] == "passed" for c in ran)
    texts = [(out / n).read_text() for n in ("r.json", "j.xml", "g.html")] + [result.out, result.err]
    secrets = catalog_secrets()
    assert len(secrets) >= 2
    for secret in secrets:
        for text in texts:
            assert secret not in text


@pytest.mark.slow
def test_same_seed_same_report(tmp_path: Path) -> None:
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    assert attestlab("run", CATALOG / "known-issues", "--seed", "9", "--json", a).code == 0
    # Worker processes are forked: not from inside pytest's own worker, from a real command.
    both = ("--workers", "2", "--force-workers")  # a plan this small would otherwise run in one process
    pool = attestlab_process("run", CATALOG / "known-issues", "--seed", "9", "--json", b, *both)
    # A plain run (no --debug) of a real process, workers and all, prints nothing on stderr: no
    # library's warnings or logs (tests/cli/test_command.py checks what --debug shows).
    assert (pool.code, pool.err) == (0, ""), pool.out + pool.err

    def strip(path: Path) -> list[dict[str, object]]:
        cases = json.loads(path.read_text())["cases"]
        for case in cases:
            case.pop("duration_s")
        return sorted(cases, key=lambda c: str(c["id"]))

    assert strip(a) == strip(b)


def _write(path: Path, doc: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(doc, sort_keys=False) if not isinstance(doc, str) else doc)
    return path


def _scenario(reason: str = "managed") -> dict[str, object]:
    return {
        "name": "wrong-expectation",
        "org": str(ROOT / "fixtures" / "orgs" / "standard.yaml"),
        "device": {
            "platform": "android",
            "emm": {"provider": "intune", "config": {"managementHint": "${secret:intune-android}"}},
        },
        "steps": [{"sign_in": None, "expect": {"decision": "managed", "reason": reason}}],
    }


def test_wrong_expectation_exits_1_and_shows_expected_vs_actual(tmp_path: Path) -> None:
    path = _write(tmp_path / "s.yaml", _scenario("hint_mismatch"))
    result = attestlab("run", path, "--json", tmp_path / "r.json")
    assert result.code == 1
    assert "expected hint_mismatch, got managed" in result.out
    case = json.loads((tmp_path / "r.json").read_text())["cases"][0]
    assert case["outcome"] == "failed" and "expected hint_mismatch" in case["message"]


MALFORMED = {
    "bad-yaml.yaml": ("org: [unclosed\n", "invalid YAML"),
    "unknown-step.yaml": (None, "unknown step 'fly_to_moon'"),
    "unknown-reason.yaml": (None, "'almost_managed' is not one of"),
    "missing-org.yaml": (None, "missing required field 'org'"),
}


def _malformed(tmp_path: Path, name: str) -> Path:
    text, _ = MALFORMED[name]
    if text is not None:
        return _write(tmp_path / name, text)
    doc = _scenario()
    if name == "unknown-step.yaml":
        doc["steps"] = [{"fly_to_moon": None}]
    elif name == "unknown-reason.yaml":
        doc["steps"] = [{"sign_in": None, "expect": {"reason": "almost_managed"}}]
    else:
        del doc["org"]
    return _write(tmp_path / name, doc)


def test_malformed_scenario_alone_is_exit_2_with_one_line(tmp_path: Path) -> None:
    for name, (_, needle) in MALFORMED.items():
        path = _malformed(tmp_path, name)
        result = attestlab("run", path)
        assert result.code == 2, (name, result.out, result.err)
        lines = result.err.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in result.err
        assert lines[0].startswith(f"attestlab: error: {path}:") and needle in lines[0], lines[0]


def test_malformed_scenarios_among_others_are_error_cases(tmp_path: Path) -> None:
    folder = tmp_path / "mixed"
    for name in MALFORMED:
        _malformed(folder, name)
    _write(folder / "good.yaml", _scenario())
    result = attestlab("run", folder, "--json", tmp_path / "r.json")
    assert result.code == 1
    report = json.loads((tmp_path / "r.json").read_text())
    outcomes = {c["scenario"]: c["outcome"] for c in report["cases"]}
    assert outcomes.pop("wrong-expectation") == "passed"
    assert sorted(outcomes.values()) == ["error"] * len(MALFORMED)
    assert report["summary"]["errors"] == len(MALFORMED)


def test_bad_options_exit_2(tmp_path: Path) -> None:
    assert attestlab("run", "--shard", "3/2").code == 2
    assert attestlab("run", tmp_path / "missing").code == 2
    assert attestlab("run", "--org", tmp_path / "missing.yaml").code == 2


def test_matrix_and_shards_cover_every_case_once(tmp_path: Path) -> None:
    """The shards' cases, as the CLI plans them (``--collect-only``), are the whole run's, each
    once. That merged shard reports equal the unsharded run's report, case by case, is
    tests/test_matrix_file.py's (the lab matrix, run); here the cases are only listed."""
    matrix = _write(
        tmp_path / "m.yaml",
        {
            "devices": ["platform=android,model=Pixel 8,version=14"],
            "cross": [{"platform": "ios", "model": ["iPhone15,2", "iPhone16,1"], "version": ["18.1"]}],
        },
    )

    def listed(*args: str) -> list[str]:
        result = attestlab("run", "--matrix", matrix, "--collect-only", *args)
        assert result.code == 0, result.err
        *ids, count = result.out.splitlines()
        assert count == f"{len(ids)} cases collected"
        return ids

    whole = listed()
    shards = [listed("--shard", f"{k}/3") for k in (1, 2, 3)]
    ids = sorted(i for s in shards for i in s)
    assert ids == sorted(whole)
    assert len(ids) == len(set(ids))
    assert any("Pixel 8 · Android 14" in i for i in ids) and any("iPhone16,1 · iOS 18.1" in i for i in ids)


@pytest.mark.slow
def test_ctrl_c_writes_the_cases_that_finished(tmp_path: Path) -> None:
    matrix = _write(
        tmp_path / "m.yaml",
        {
            "cross": [
                {"platform": "android", "model": [f"Lab {i}" for i in range(60)], "version": ["14"]},
                {"platform": "ios", "model": [f"iPhone lab {i}" for i in range(60)], "version": ["18.1"]},
            ]
        },
    )
    report = tmp_path / "r.json"
    proc = subprocess.Popen(
        [sys.executable, "-m", "harness", "run", "--matrix", str(matrix), "--json", str(report), "--seed", "3"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60

    def written() -> int:  # bytes of cases the JSON reporter has streamed so far
        return sum(p.stat().st_size for p in tmp_path.iterdir() if p.name.endswith(".part"))

    while time.monotonic() < deadline and written() < 2000:
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, (out, err)
    data = json.loads(report.read_text())
    total = data["summary"]["total"]
    assert 0 < total == len(data["cases"]) < 47 * 60


def test_real_devices_from_captures_join_the_run(tmp_path: Path) -> None:
    scenario = _write(
        tmp_path / "real.yaml",
        {
            "name": "real-device-is-managed",
            "org": str(ROOT / "fixtures" / "orgs" / "standard.yaml"),
            "device": {"platform": "android"},
            "steps": [{"sign_in": None, "expect": {"decision": "managed", "reason": "managed"}}],
        },
    )
    captures = ROOT / "fixtures" / "captures"
    result = attestlab(
        "run",
        scenario,
        "--json",
        tmp_path / "r.json",
        "--device",
        f"capture:{captures / 'android' / 'pixel6-android12-intune-abx'}",
        "--device",
        f"capture:{captures / 'android' / 'pixel7-android13-personal-only'}",
        "--device",
        f"capture:{captures / 'ios' / 'iphone15pro-ios17-ws1-managed'}",  # other platform: no case
    )
    assert result.code == 1
    cases = {c["device"]: c for c in json.loads((tmp_path / "r.json").read_text())["cases"]}
    assert set(cases) == {"capture:pixel6-android12-intune-abx", "capture:pixel7-android13-personal-only"}
    assert cases["capture:pixel6-android12-intune-abx"]["outcome"] == "passed"
    failed = cases["capture:pixel7-android13-personal-only"]
    assert failed["outcome"] == "failed" and failed["steps"][0]["reason"] == "app_not_in_work_profile"


def test_an_unusable_device_source_is_exit_2(tmp_path: Path) -> None:
    result = attestlab("run", CATALOG / "security", "--device", f"capture:{tmp_path}")
    assert result.code == 2 and "not a capture" in result.err
