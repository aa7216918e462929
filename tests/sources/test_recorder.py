"""``attestlab capture`` writes what a transport answered; ``capture:DIR`` replays it the same."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.errors import CaptureError
from harness.inspect import inspect_device
from harness.readers import read_device
from harness.sources import open_source
from harness.sources.capture import INDEX, Capture
from harness.sources.recorder import Recorder

CAPTURES = Path(__file__).resolve().parents[2] / "fixtures" / "captures"
ALL = sorted(p for platform in ("android", "ios") for p in (CAPTURES / platform).iterdir() if p.is_dir())


@pytest.mark.parametrize("original", ALL, ids=lambda p: p.name)
def test_a_recorded_read_replays_to_the_same_device(original: Path, tmp_path: Path) -> None:
    with Recorder(open_source(f"capture:{original}")) as recorder:
        device = read_device(recorder)
    recorder.write(tmp_path / "copy")
    replayed = read_source_json(tmp_path / "copy")
    recorded = inspect_device(device, None, source="x").to_json()
    for doc in (replayed, recorded):  # each names its own capture as where the facts came from
        doc["device"].pop("facts_from")
    assert replayed == recorded
    source = Capture.load(original)
    copy = Capture.load(tmp_path / "copy")
    assert list(copy.entries) == list(source.entries)  # every request, in the order asked
    for request in source.entries:
        assert copy.ask(request) == source.ask(request)
    index = json.loads((tmp_path / "copy" / INDEX).read_text())
    assert index["source"] == f"capture:{original}" and index["format"] == 1
    assert index["platform"] == source.platform


def read_source_json(directory: Path) -> dict[str, object]:
    from harness.readers import read_source

    return inspect_device(read_source(f"capture:{directory}"), None, source="x").to_json()


def test_file_names_follow_the_bundled_captures(tmp_path: Path) -> None:
    original = CAPTURES / "android" / "emulator-android14-testdpc"
    with Recorder(open_source(f"capture:{original}")) as recorder:
        read_device(recorder)
    recorder.write(tmp_path / "copy")
    assert {e["file"] for e in json.loads((tmp_path / "copy" / INDEX).read_text())["entries"]} == {
        e["file"] for e in json.loads((original / INDEX).read_text())["entries"]
    }


def test_an_existing_capture_is_never_overwritten(tmp_path: Path) -> None:
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "notes.txt").write_text("mine")
    with Recorder(open_source(f"capture:{CAPTURES / 'android' / 'pixel6-android12-intune-abx'}")) as recorder:
        read_device(recorder)
    with pytest.raises(CaptureError, match="not an empty directory"):
        recorder.write(tmp_path / "taken")
    assert (tmp_path / "taken" / "notes.txt").read_text() == "mine"
