"""Where ``--json/--junit/--html`` write: ``-`` is standard output, symlinks are written through,
devices and FIFOs in place, directories refused, nothing replaced that was not a report file, and
a full disk is one line with no ``.part`` left behind."""

from __future__ import annotations

import contextlib
import json
import os
import resource
import signal
import stat
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import CATALOG, attestlab

SMALL = CATALOG / "security"


def _one_error_line(err: str, *needles: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("attestlab: error: "), err
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def test_dash_is_standard_output_and_the_summary_moves_to_stderr(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = attestlab("run", SMALL, "--seed", "1", "--json", "-")
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert report["summary"]["total"] == report["summary"]["passed"] > 0
    assert "passed" in result.err  # the terminal summary
    assert list(tmp_path.iterdir()) == []  # no file named "-"
    junit = attestlab("run", SMALL, "--seed", "1", "--junit", "-")
    assert ET.fromstring(junit.out).tag == "testsuites"


def test_two_reports_cannot_share_standard_output(tmp_path: Path) -> None:
    result = attestlab("run", SMALL, "--json", "-", "--html", "-")
    assert result.code == 2
    _one_error_line(result.err, "only one report can be written to standard output")


def test_a_symlink_is_written_through_and_kept(tmp_path: Path) -> None:
    real = tmp_path / "reports" / "real.json"
    real.parent.mkdir()
    real.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    dangling = tmp_path / "dangling.xml"
    dangling.symlink_to(tmp_path / "reports" / "new.xml")
    assert attestlab("run", SMALL, "--json", link, "--junit", dangling).code == 0
    assert link.is_symlink() and dangling.is_symlink()
    assert json.loads(real.read_text())["summary"]["total"] > 0
    assert ET.parse(tmp_path / "reports" / "new.xml").getroot().tag == "testsuites"
    assert sorted(p.name for p in real.parent.iterdir()) == ["new.xml", "real.json"]  # no .part


def test_character_devices_are_written_in_place_never_replaced(tmp_path: Path) -> None:
    result = attestlab("run", SMALL, "--json", os.devnull)
    assert result.code == 0, result.err
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full on this system")
    result = attestlab("run", SMALL, "--junit", "/dev/full", "--json", tmp_path / "r.json")
    assert result.code == 2
    _one_error_line(result.err, "/dev/full: cannot write report: No space left on device")
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)  # as root, a rename would have replaced it
    assert json.loads((tmp_path / "r.json").read_text())["summary"]["total"] > 0  # the others written
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]


def test_a_fifo_is_written_when_read_and_refused_when_not(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    result = attestlab("run", SMALL, "--json", fifo)
    assert result.code == 2
    _one_error_line(result.err, f"{fifo}: cannot write report: no process is reading this FIFO")
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    keep_open = os.open(fifo, os.O_WRONLY)  # so that the reader waits for data instead of seeing EOF
    os.set_blocking(reader, True)
    received: list[bytes] = []

    def read_all() -> None:
        while chunk := os.read(reader, 1 << 16):
            received.append(chunk)

    thread = threading.Thread(target=read_all)
    thread.start()
    try:
        result = attestlab("run", SMALL, "--json", fifo)
    finally:
        os.close(keep_open)
        thread.join(timeout=30)
        os.close(reader)
    assert result.code == 0, result.err
    assert json.loads(b"".join(received))["summary"]["total"] > 0
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_a_directory_is_refused_and_left_alone(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    result = attestlab("run", SMALL, "--html", tmp_path / "d")
    assert result.code == 2
    _one_error_line(result.err, "is a directory, not a file")
    assert list((tmp_path / "d").iterdir()) == []


def test_a_missing_report_directory_is_created_or_refused_in_one_line(tmp_path: Path) -> None:
    assert attestlab("run", SMALL, "--json", tmp_path / "a" / "b" / "r.json").code == 0
    assert (tmp_path / "a" / "b" / "r.json").is_file()
    (tmp_path / "file").write_text("x")
    result = attestlab("run", SMALL, "--json", tmp_path / "file" / "r.json", "--html", tmp_path / "g.html")
    assert result.code == 2
    _one_error_line(result.err, "file/r.json: cannot write report: Not a directory")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "file"]  # nothing started


@contextlib.contextmanager
def _files_of_at_most(size: int) -> Iterator[None]:
    """In this process, for the block: a regular file may not grow past ``size`` bytes, and
    going over is an error (EFBIG), not a signal. Only the soft limit is lowered, so it can be
    raised back; the limit binds regular files only (pytest's pipes to xdist are not)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (size, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, handler)


def test_a_full_disk_is_one_line_and_leaves_no_part_file(tmp_path: Path) -> None:
    """A real write failure on a regular file: the file size limit makes ``write`` fail (EFBIG)
    as a full disk does (ENOSPC), at whatever byte the report has reached. In this process (a
    process of its own cost ~1 s of CPU): only the reports are written while the limit holds."""
    out = tmp_path / "out"
    with _files_of_at_most(16384):
        result = attestlab("run", "--seed", "1", "--json", out / "r.json", "--junit", out / "j.xml")
    assert result.code == 2, result.out + result.err
    _one_error_line(result.err, f"{out / 'r.json'}: cannot write report: File too large")
    # No JSON report and no .part; the JUnit report, small enough, holds what ran before.
    assert [p.name for p in out.iterdir()] == ["j.xml"]
    properties = {p.get("name"): p.get("value") for p in ET.parse(out / "j.xml").iter("property")}
    assert properties["interrupted"] == "true"
