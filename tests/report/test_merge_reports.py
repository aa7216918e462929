"""``merge_json_reports``: shards written by the JSON reporter, merged, then loaded; shards that
are not one run (other seed, catalog or shard count, a shard twice or missing) are refused."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from report_cases import INFO, drive, make_cases

from harness.errors import InputError
from harness.report import JsonReporter, merge_json_reports
from harness.report import merge as merge_module
from harness.results import CaseResult, Summary


def shard(path: Path, cases: list[CaseResult], duration_s: float, label: str = "1/2", **info: object) -> Path:
    drive(JsonReporter(path), cases, duration_s=duration_s, info=replace(INFO, shard=label, **info))
    return path


@pytest.fixture
def shards(tmp_path: Path) -> list[Path]:
    cases = make_cases()
    return [shard(tmp_path / "a.json", cases[:3], 2.0), shard(tmp_path / "b.json", cases[3:], 3.5, "2/2")]


def test_merge_concatenates_recounts_and_takes_the_longest_shard(tmp_path: Path, shards: list[Path]) -> None:
    out = tmp_path / "merged.json"
    summary = merge_json_reports(shards, out)
    assert summary == Summary(total=6, passed=1, failed=2, errors=1, skipped=1, flaky=1, duration_s=3.5, planned=6)
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["summary"] == summary.to_json()
    assert [CaseResult.from_json(case) for case in report["cases"]] == make_cases()
    assert report["run"] == {
        "seed": INFO.seed,
        "started_at": INFO.started_at,
        "command": "attestlab report merge",
        "shard": None,
        "catalog": INFO.catalog,
        "workers": 1,
        "missing_shards": [],
    }


def test_merge_may_overwrite_one_of_its_inputs(shards: list[Path]) -> None:
    assert merge_json_reports(shards, shards[0]).total == 6
    assert len(json.loads(shards[0].read_text(encoding="utf-8"))["cases"]) == 6


def test_duplicate_case_id_names_both_files(tmp_path: Path, shards: list[Path]) -> None:
    again = shard(tmp_path / "c.json", make_cases()[1:2], 1.0, "2/2")  # overlaps a.json
    out = tmp_path / "merged.json"
    with pytest.raises(InputError) as caught:
        merge_json_reports([shards[0], again], out)
    message = str(caught.value)
    assert "'android/hint.yaml::pixel-8'" in message
    assert str(shards[0]) in message and str(again) in message
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json", "b.json", "c.json"]


@pytest.mark.parametrize(
    ("label", "info", "expected"),
    [
        ("2/2", {"seed": 7}, r"are not shards of one run \(seed 42 vs 7\)"),
        ("2/2", {"catalog": "sha256:ffff"}, r"\(catalog sha256:0123456789abcdef vs sha256:ffff\)"),
        ("2/3", {}, r"\(shard count 2 vs 3\)"),
        ("1/2", {}, r"shard 1/2 given twice: .*a\.json and .*c\.json"),
        (None, {}, r"\(shard count 2 vs none \(a whole run\)\)"),
    ],
)
def test_shards_of_different_runs_are_refused(
    tmp_path: Path, shards: list[Path], label: str | None, info: dict[str, object], expected: str
) -> None:
    other = shard(tmp_path / "c.json", make_cases()[3:], 1.0, label, **info)  # type: ignore[arg-type]
    out = tmp_path / "merged.json"
    with pytest.raises(InputError, match=expected):
        merge_json_reports([shards[0], other], out)
    assert not out.exists()


def test_an_incomplete_set_names_the_missing_shards(tmp_path: Path) -> None:
    cases = make_cases()
    given = [shard(tmp_path / "a.json", cases[:2], 1.0, "1/4"), shard(tmp_path / "c.json", cases[2:4], 1.0, "3/4")]
    out = tmp_path / "merged.json"
    with pytest.raises(InputError, match=r"incomplete set, missing shards 2/4, 4/4 \(--allow-partial"):
        merge_json_reports(given, out)
    assert not out.exists()
    summary = merge_json_reports(given, out, allow_partial=True)
    assert summary.partial and summary.total == 4
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["summary"]["partial"] is True
    assert report["run"]["missing_shards"] == ["2/4", "4/4"]


def test_one_whole_run_converts_but_two_do_not_merge(tmp_path: Path) -> None:
    whole = shard(tmp_path / "a.json", make_cases(), 1.0, None)  # type: ignore[arg-type]
    assert merge_json_reports([whole], tmp_path / "copy.json").total == 6
    again = shard(tmp_path / "b.json", make_cases(), 1.0, None)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="are both whole runs"):
        merge_json_reports([whole, again], tmp_path / "merged.json")


@pytest.mark.parametrize("label", ["3/2", "0/4", "1/999999", "²/4"])
def test_a_shard_label_out_of_range_is_refused(tmp_path: Path, label: str) -> None:
    """Read as ``--shard`` is (harness.shards): 3/2 was merged as an incomplete set of two, and
    1/999999 listed 999,998 missing shards in one message."""
    given = [shard(tmp_path / "a.json", make_cases()[:2], 1.0, label)]
    with pytest.raises(InputError, match=r"a\.json: run\.shard: not K/N with 1 <= K <= N <= 1000$"):
        merge_json_reports(given, tmp_path / "merged.json")


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b'{"cases": [', r"bad\.json: not valid JSON: Expecting value \(line 1, column 12\)"),
        (b'{"cases": ["\xff"]}', r"bad\.json: not UTF-8 at byte offset 12"),
        (b"[]", r'bad\.json: not an attestlab JSON report \(no "cases" list\)'),
        (b'{"cases": [], "summary": {"duration_s": 1}}', r"bad\.json: report\.run: missing"),
        (b'{"cases": [], "run": {"seed": 1, "started_at": "x"}}', r"bad\.json: run\.catalog: missing or not str"),
        (
            b'{"cases": [], "run": {"seed": 1, "started_at": "x", "catalog": "c"}}',
            r"bad\.json: report\.summary: missing or not dict",
        ),
    ],
)
def test_unusable_shard_names_the_file(tmp_path: Path, shards: list[Path], content: bytes, expected: str) -> None:
    bad = tmp_path / "bad.json"
    bad.write_bytes(content)
    out = tmp_path / "merged.json"
    out.write_text("previous", encoding="utf-8")
    for order in ([bad, *shards], [*shards, bad]):  # before and after writing has begun
        with pytest.raises(InputError, match=expected):
            merge_json_reports(order, out)
        assert out.read_text(encoding="utf-8") == "previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "a.json",
        "b.json",
        "bad.json",
        "merged.json",
    ]


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        ({"outcome": "green"}, r"cases\[1\]\.outcome: not one of passed, failed, error, skipped"),
        ({"id": 7}, r"cases\[1\]\.id: missing or not str"),
        ({"steps": [{"decision": "managed"}]}, r"cases\[1\]\.steps\[0\]\.action: missing"),
        ({"steps": [{"action": "sign_in", "findings": 3}]}, r"cases\[1\]\.steps: malformed"),
        ({"duration_s": "fast"}, r"cases\[1\]\.duration_s: missing or not int or float"),
    ],
)
def test_malformed_case_names_file_and_field(
    tmp_path: Path, shards: list[Path], edit: dict[str, object], expected: str
) -> None:
    report = json.loads(shards[1].read_text(encoding="utf-8"))
    report["cases"][1].update(edit)
    shards[1].write_text(json.dumps(report), encoding="utf-8")
    with pytest.raises(InputError, match=r"b\.json: " + expected):
        merge_json_reports(shards, tmp_path / "merged.json")


def test_missing_and_oversized_files(tmp_path: Path, shards: list[Path], monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(InputError, match=r"nope\.json: cannot read report"):
        merge_json_reports([tmp_path / "nope.json"], tmp_path / "merged.json")
    with pytest.raises(InputError, match="no report to merge"):
        merge_json_reports([], tmp_path / "merged.json")
    monkeypatch.setattr(merge_module, "MAX_REPORT_BYTES", 100)
    with pytest.raises(InputError, match=r"a\.json: report larger than 100 bytes"):
        merge_json_reports(shards, tmp_path / "merged.json")
