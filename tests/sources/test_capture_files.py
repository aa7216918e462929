"""A capture is handed over by someone else: only regular files inside it are ever read.

Each test builds the hostile file system object for real (a FIFO, a symlink to one, a device
node, a hard link, an oversized file) in a temporary capture and checks that reading it is one
:class:`CaptureError` line, without blocking and without reading without end.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from harness.errors import CaptureError
from harness.readers import read_source
from harness.sources.capture import INDEX, MAX_FILE_BYTES, MAX_INDEX_BYTES, Capture
from tests.helpers import one_line

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "captures"
ANDROID = FIXTURES / "android" / "pixel6-android12-intune-abx"


def one_entry_capture(tmp_path: Path, file: str = "getprop.txt") -> Path:
    capture = tmp_path / "cap"
    capture.mkdir()
    index = {"format": 1, "platform": "android", "entries": [{"request": "getprop", "file": file, "status": 0}]}
    (capture / INDEX).write_text(json.dumps(index), encoding="utf-8")
    return capture


def refused(capture: Path, *parts: str) -> str:
    return one_line(CaptureError, lambda: Capture.load(capture).ask("getprop"), *parts)


def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    capture = one_entry_capture(tmp_path)
    os.mkfifo(capture / "getprop.txt")  # no writer: an open() or read() would wait forever
    refused(capture, "getprop.txt", "not a regular file")


def test_a_symlink_to_a_fifo_inside_the_capture_is_refused(tmp_path: Path) -> None:
    capture = one_entry_capture(tmp_path)
    os.mkfifo(capture / "pipe")
    (capture / "getprop.txt").symlink_to(capture / "pipe")
    refused(capture, "pipe", "not a regular file")


def test_a_symlink_to_a_regular_file_inside_the_capture_is_read(tmp_path: Path) -> None:
    capture = one_entry_capture(tmp_path)
    (capture / "real.txt").write_text("[ro.product.model]: [Pixel 8]\n")
    (capture / "getprop.txt").symlink_to("real.txt")
    answer = Capture.load(capture).ask("getprop")
    assert answer is not None and answer.data == b"[ro.product.model]: [Pixel 8]\n"


def test_a_device_node_is_refused(tmp_path: Path) -> None:
    capture = one_entry_capture(tmp_path)
    (capture / "getprop.txt").symlink_to("/dev/zero")  # outside the capture
    refused(capture, "leaves the capture directory")
    if os.geteuid() != 0:
        pytest.skip("making a device node inside the capture needs root")
    (capture / "getprop.txt").unlink()
    os.mknod(capture / "getprop.txt", 0o600 | 0o020000, os.makedev(1, 5))  # /dev/zero's numbers
    refused(capture, "not a regular file")


def test_a_hard_link_is_refused(tmp_path: Path) -> None:
    capture = one_entry_capture(tmp_path)
    outside = tmp_path / "outside.txt"
    outside.write_text("[ro.product.model]: [leaked]\n")
    os.link(outside, capture / "getprop.txt")
    refused(capture, "getprop.txt", "2 hard links")


def test_capture_json_may_not_be_a_symlink_out_of_the_capture(tmp_path: Path) -> None:
    capture = one_entry_capture(tmp_path)
    (tmp_path / "elsewhere.json").write_text((capture / INDEX).read_text())
    (capture / INDEX).unlink()
    (capture / INDEX).symlink_to(tmp_path / "elsewhere.json")
    with pytest.raises(CaptureError, match="symlink that leaves the capture directory"):
        Capture.load(capture)


def test_capture_json_may_not_be_a_fifo(tmp_path: Path) -> None:
    capture = tmp_path / "cap"
    capture.mkdir()
    os.mkfifo(capture / INDEX)
    with pytest.raises(CaptureError, match="not a regular file"):
        Capture.load(capture)


def test_a_file_over_the_size_bound_is_refused_before_reading(tmp_path: Path) -> None:
    capture = one_entry_capture(tmp_path)
    with open(capture / "getprop.txt", "wb") as handle:
        handle.truncate(MAX_FILE_BYTES + 1)  # sparse: the size is checked, not the bytes read
    refused(capture, f"larger than {MAX_FILE_BYTES} bytes")


def test_a_capture_json_over_the_size_bound_is_refused(tmp_path: Path) -> None:
    capture = one_entry_capture(tmp_path)
    with open(capture / INDEX, "ab") as handle:
        handle.truncate(MAX_INDEX_BYTES + 1)
    with pytest.raises(CaptureError, match=f"larger than {MAX_INDEX_BYTES} bytes"):
        Capture.load(capture)


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("get\x00prop.txt", "holds a NUL character"),
        ("get\ud800prop.txt", "lone surrogate"),
        ("a" * 300, "longer than 255 bytes"),
        ("", "leaves the capture directory"),
    ],
    ids=["nul", "surrogate", "long", "empty"],
)
def test_impossible_file_names_are_refused_when_loading(tmp_path: Path, name: str, problem: str) -> None:
    capture = tmp_path / "cap"
    capture.mkdir()
    index = {"format": 1, "platform": "android", "entries": [{"request": "getprop", "file": name}]}
    (capture / INDEX).write_text(json.dumps(index), encoding="utf-8")
    with pytest.raises(CaptureError) as caught:
        Capture.load(capture)
    assert problem in str(caught.value) and "entries[0].file" in str(caught.value)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("[" * 100_000 + "]" * 100_000, "nested deeper than 64 levels"),
        ('{"format": 1, "x": ' + "[" * 200 + "]" * 200 + "}", "nested deeper than 64 levels"),
        ('{"format": ' + "9" * 5000 + "}", "a number of 5000 digits"),
    ],
    ids=["deep", "deep-under-python-limit", "huge-number"],
)
def test_hostile_capture_json_is_one_line(tmp_path: Path, text: str, problem: str) -> None:
    capture = tmp_path / "cap"
    capture.mkdir()
    (capture / INDEX).write_text(text, encoding="utf-8")
    with pytest.raises(CaptureError) as caught:
        Capture.load(capture)
    assert problem in str(caught.value) and str(capture / INDEX) in str(caught.value)


def test_a_capture_path_that_does_not_exist_says_so(tmp_path: Path) -> None:
    with pytest.raises(CaptureError, match="no such directory"):
        read_source(f"capture:{tmp_path / 'nope'}")


def test_a_copied_bundled_capture_still_reads(tmp_path: Path) -> None:
    """The checks refuse nothing a real capture holds."""
    shutil.copytree(ANDROID, tmp_path / "cap")
    assert read_source(f"capture:{tmp_path / 'cap'}").identity.model
