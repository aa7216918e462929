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
    ("args", "line"),
    [
        # Every numeric option of every command (run has them all), in plain words rather than
        # pydantic's "Invalid value for '--workers': Input should be greater than or equal to 1".
        (["run", "--workers", "0"], "--workers: must be at least 1"),
        (["run", "--workers", "two"], "--workers: must be a whole number"),
        # --timeout: one rule, whatever is wrong (nan passed typer's range check, which then
        # said "must be at most 86400"; inf crashed the interval timer).
        *(
            (["run", "--timeout", value], "--timeout: must be a number of seconds from 0 to 86400")
            for value in ("nan", "NaN", "inf", "-inf", "-1", "1e9", "86400.5", "1e400", "soon", "0x10", "")
        ),
        (["run", "--seed", "1.5"], "--seed: must be a whole number"),
        (["run", "--seed", "nan"], "--seed: must be a whole number"),
        (["run", "--seed", "9" * 5000], "--seed: must be a whole number of at most 4300 digits"),
        (["run", "--workers", "inf"], "--workers: must be a whole number"),
        (["run", "--workers", "-1"], "--workers: must be at least 1"),
        (["run", "--workers", "9" * 5000], "--workers: must be a whole number of at most 4300 digits"),
        (["run", "--maxfail", "0"], "--maxfail: must be at least 1"),
        (["run", "--maxfail", "many"], "--maxfail: must be a whole number"),
        (["run", "--maxfail", "1e9"], "--maxfail: must be a whole number"),
        (["run", "--retries", "-1"], "--retries: must be at least 0"),
        (["run", "--retries", "x"], "--retries: must be a whole number"),
        (["run", "--retries", "nan"], "--retries: must be a whole number"),
        # An errored case is tried again up to N times, each with its own deadline: 10**20 never ended.
        (["run", "--retries", "11"], "--retries: must be at most 10"),
        (["run", "--retries", "100000000000000000000"], "--retries: must be at most 10"),
        *(
            (["run", "--shard", value], "--shard: must be K/N with 1 <= K <= N <= 1000, e.g. 2/4")
            # A huge N was an OverflowError traceback (or gigabytes of shard sizes); 5,000 digits
            # and '²' passed str.isdigit, then int() raised.
            for value in ("5/2", "0/0", "-1/2", "nan/inf", "1/1001", "1/99999999999999999999", "9" * 5000 + "/2", "²/³")
        ),
        (
            ["device", "serve", "--capture", "x", "--listen", "nowhere"],
            "--listen: must be HOST:PORT with a port from 0 to 65535, e.g. 127.0.0.1:5555",
        ),
        *(
            (
                ["device", "serve", "--capture", "x", "--listen", f"127.0.0.1:{port}"],
                "--listen: must be HOST:PORT with a port from 0 to 65535, e.g. 127.0.0.1:5555",
            )
            for port in ("-1", "nan", "65536", "²", "9" * 5000)
        ),
        # Unknown or missing options and commands point at the help.
        (["run", "--frobnicate"], "no such option: --frobnicate (see 'attestlab run --help')"),
        (["run", "--json"], "option '--json' requires an argument"),
        (["inspect"], "missing argument SOURCE (see 'attestlab inspect --help')"),
        (["capture", "capture:x"], "missing option --output DIR (see 'attestlab capture --help')"),
        (["report", "merge", "a.json"], "missing option --output FILE (see 'attestlab report merge --help')"),
        (["fly"], "no such command 'fly' (see 'attestlab --help')"),
    ],
)
def test_usage_errors_are_one_plain_line_exit_2(args: list[str], line: str) -> None:
    result = attestlab(*args)
    assert result.code == 2
    assert result.err == f"attestlab: error: {line}\n"
    assert result.out == ""


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--timeout", "0"),  # no deadline
        ("--timeout", "-0"),
        ("--timeout", "2.5"),
        ("--timeout", "86400"),
        ("--retries", "10"),
        ("--shard", "1000/1000"),  # an empty shard is no mistake
        ("--seed", "-1"),  # any integer seeds random.Random; the report keeps it as given
        ("--seed", "9" * 4300),
        ("--maxfail", "9" * 30),
        ("--workers", "9" * 30),  # capped at the cases and CPUs
    ],
)
def test_numeric_options_at_their_bounds_are_taken(option: str, value: str) -> None:
    result = attestlab("run", ONE_SCENARIO, option, value, "--collect-only")
    assert (result.code, result.err) == (0, "")


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


@pytest.mark.slow
def test_debug_shows_our_logs_not_other_libraries(tmp_path: Path) -> None:
    """A real process: logging is configured once per process, as a user's run would see it.
    That a plain run, a real process too, prints nothing on stderr is checked on the worker-pool
    run of tests/cli/test_run.py's test_same_seed_same_report (a process each cost ~1 s of CPU)."""
    result = attestlab_process("run", ONE_SCENARIO, "--seed", "1", "--debug")
    assert result.code == 0, result.err
    lines = result.err.splitlines()
    assert any(line.startswith("simulator.verifier: ") for line in lines), result.err
    assert not [line for line in lines if not line.startswith(("simulator.", "harness."))], result.err
    assert "faker" not in result.err.lower()
