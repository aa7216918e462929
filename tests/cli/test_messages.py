"""Error messages in the words of the tools users know: what is wrong with which file, never a
Python exception's name; ``~`` in SOURCE paths is the home folder."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.helpers import CAPTURES, ORGS, ROOT, attestlab

#: A Python exception class name, as ``(FileNotFoundError)`` used to appear in messages.
EXCEPTION_NAME = re.compile(r"\b[A-Z][A-Za-z]*(Error|Exception|Forbidden)\b")


def _broken_inputs(tmp: Path) -> dict[str, tuple[list[str], str]]:
    (tmp / "latin1.yaml").write_bytes(b"name: caf\xe9\n")
    (tmp / "folder.yaml").mkdir()
    (tmp / "file").write_text("not a folder")
    return {
        "missing scenario": (["run", str(tmp / "none.yaml")], "no such scenario file or folder"),
        "scenario not UTF-8": (["run", str(tmp / "latin1.yaml")], "not UTF-8 at byte 9"),
        "org missing": (["run", "--org", str(tmp / "none.yaml")], "no such file"),
        "org is a directory": (["run", "--org", str(tmp / "folder.yaml")], "is a directory"),
        "org not UTF-8": (
            [
                "inspect",
                f"capture:{CAPTURES / 'android' / 'pixel6-android12-intune-abx'}",
                "--org",
                str(tmp / "latin1.yaml"),
            ],
            "not UTF-8 at byte 9",
        ),
        "capture missing": (["inspect", f"capture:{tmp / 'none'}"], "not a capture (no such directory)"),
        "capture is a file": (["inspect", f"capture:{tmp / 'file'}"], "not a directory"),
        "device capture missing": (["run", "--device", f"capture:{tmp / 'none'}"], "not a capture (no such directory)"),
    }


@pytest.mark.parametrize(
    "case",
    [
        "missing scenario",
        "scenario not UTF-8",
        "org missing",
        "org is a directory",
        "org not UTF-8",
        "capture missing",
        "capture is a file",
        "device capture missing",
    ],
)
def test_bad_input_is_one_plain_line_exit_2(tmp_path: Path, case: str) -> None:
    args, words = _broken_inputs(tmp_path)[case]
    result = attestlab(*args)
    assert result.code == 2, (result.out, result.err)
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("attestlab: error: "), result.err
    assert words in lines[0], lines[0]
    assert not EXCEPTION_NAME.search(lines[0]), lines[0]


def test_tilde_in_a_source_is_the_home_folder(tmp_path: Path) -> None:
    home = tmp_path / "home"
    shutil.copytree(CAPTURES / "android" / "pixel6-android12-intune-abx", home / "phone")
    result = attestlab("inspect", "capture:~/phone", "--org", ORGS / "standard.yaml", "--json", env={"HOME": str(home)})
    assert result.code == 0, result.err
    assert '"managed": true' in result.out


@pytest.mark.parametrize("port", ["²", "65536", "9" * 5000, ""])
def test_an_adb_port_that_is_no_port_is_one_line(port: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every HOST:PORT is read by one reader (harness.sources.transport.port_number): ``'²'``
    passes ``str.isdigit`` and was a ValueError traceback from ``int()``."""
    monkeypatch.setenv("ADB_SERVER_SOCKET", f"tcp:127.0.0.1:{port}")
    for source, words in (
        (f"adb:127.0.0.1:{port}", "expected adb:HOST:PORT"),
        ("adb-server:x", "expected tcp:HOST:PORT"),
    ):
        result = attestlab("inspect", source)
        assert result.code == 2, (result.out, result.err)
        assert result.err.count("\n") == 1 and words in result.err and "Traceback" not in result.err


def test_a_bad_source_timeout_is_bad_input_even_when_only_a_scenario_names_the_source() -> None:
    """$ATTESTLAB_SOURCE_TIMEOUT is read when the run starts, not when the first case reads its
    capture: a typo in it is exit 2 with one line, not an error case per scenario."""
    scenario = ROOT / "scenarios" / "android" / "capture-fully-managed.yaml"
    result = attestlab("run", "--seed", "1", scenario, env={"ATTESTLAB_SOURCE_TIMEOUT": "abc"})
    assert (result.code, result.out) == (2, "")
    expected = "attestlab: error: $ATTESTLAB_SOURCE_TIMEOUT='abc': expected a number of seconds"
    assert result.err.splitlines() == [expected]
