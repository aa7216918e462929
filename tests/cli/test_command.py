"""The ``attestlab`` command itself: version, help, ``--debug``, usage errors, exit codes."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness import __version__
from tests.helpers import CATALOG, attestlab, attestlab_process

ONE_SCENARIO = CATALOG / "known-issues" / "reset-secret-key.yaml"


def test_version() -> None:
    result = attestlab("--version")
    assert (result.code, result.out, result.err) == (0, f"attestlab {__version__}\n", "")


@pytest.mark.parametrize("flag", ["-h", "--help"])
@pytest.mark.parametrize("command", [[], ["run"], ["inspect"], ["report"], ["report", "merge"]])
def test_short_and_long_help(command: list[str], flag: str) -> None:
    result = attestlab(*command, flag)
    assert result.code == 0, result.err
    assert result.out.startswith(f"Usage: attestlab {' '.join(command)}".rstrip())
    assert "-h, --help" in result.out


def test_no_arguments_prints_the_usage() -> None:
    result = attestlab()
    assert result.code == 2
    assert "Usage: attestlab" in result.err and "run" in result.err and "inspect" in result.err


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["run", "--workers", "0"], "'--workers'"),
        (["run", "--workers", "two"], "'--workers'"),
        (["run", "--frobnicate"], "--frobnicate"),
        (["inspect"], "SOURCE"),
        (["fly"], "fly"),
    ],
)
def test_usage_errors_are_one_line_exit_2(args: list[str], needle: str) -> None:
    result = attestlab(*args)
    assert result.code == 2
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert lines[0].startswith("attestlab: error: ") and needle in lines[0]
    assert "Traceback" not in result.err and result.out == ""


@pytest.mark.parametrize("where", ["before", "after"])
def test_debug_keeps_exit_2_and_adds_the_traceback(tmp_path: Path, where: str) -> None:
    missing = tmp_path / "nowhere.yaml"
    args = ["--debug", "run", missing] if where == "before" else ["run", missing, "--debug"]
    result = attestlab(*args)
    assert result.code == 2
    assert "Traceback (most recent call last)" in result.err
    assert result.err.strip().splitlines()[-1] == f"attestlab: error: {missing}: no such scenario file or folder"
    plain = attestlab("run", missing)
    assert plain.code == 2 and "Traceback" not in plain.err


def test_debug_after_a_double_dash_is_not_the_flag(tmp_path: Path) -> None:
    result = attestlab("run", "--", "--debug")
    assert result.code == 2 and "Traceback" not in result.err
    assert "--debug: no such scenario file or folder" in result.err


def test_debug_shows_our_logs_not_other_libraries(tmp_path: Path) -> None:
    """A real process: logging is configured once per process, as a user's run would see it."""
    result = attestlab_process("run", ONE_SCENARIO, "--seed", "1", "--debug")
    assert result.code == 0, result.err
    lines = result.err.splitlines()
    assert any(line.startswith("simulator.verifier: ") for line in lines), result.err
    assert not [line for line in lines if not line.startswith(("simulator.", "harness."))], result.err
    assert "faker" not in result.err.lower()
    quiet = attestlab_process("run", ONE_SCENARIO, "--seed", "1")
    assert quiet.code == 0 and quiet.err == ""
