"""Batched shell commands: each answer cut out exactly, and no output can forge a sentinel."""

from __future__ import annotations

import pytest

from harness.sources import shell_batch
from harness.sources.transport import Answer

COMMANDS = ["getprop", "pm list users", "su 0 cat /data/system/users/10/res_com.okta.android.auth.xml"]


def device_output(nonce: str, outputs: list[tuple[bytes, int]]) -> bytes:
    """What ``sh -c SCRIPT`` prints for commands printing ``outputs`` (echo ends with a newline)."""
    return b"".join(data + f"{nonce}:{i}:{status}\n".encode() for i, (data, status) in enumerate(outputs))


def test_script_runs_each_command_then_echoes_its_status() -> None:
    script = shell_batch.script(COMMANDS[:2], "n0nce")
    assert script == "getprop; echo n0nce:0:$?; pm list users; echo n0nce:1:$?"


def test_answers_are_byte_exact_with_or_without_a_final_newline() -> None:
    nonce = shell_batch.new_nonce()
    abx = b"ABX\x00\x01\x10\n\x00binary without newline"
    outputs = [(b"[ro.serialno]: [X]\n", 0), (b"", 0), (abx, 0)]
    assert shell_batch.split(device_output(nonce, outputs), COMMANDS, nonce) == [Answer(d, s) for d, s in outputs]


def test_a_pty_line_ending_is_taken_off_the_sentinel_only() -> None:
    nonce = "abc"
    output = b"Users:\r\n" + b"abc:0:0\r\n" + b"abc:1:1\r\n"
    assert shell_batch.split(output, ["a", "b"], nonce) == [Answer(b"Users:\r\n", 0), Answer(b"", 1)]


def test_a_sentinel_printed_by_the_device_without_the_nonce_is_just_output() -> None:
    nonce = shell_batch.new_nonce()
    forged = b"deadbeefdeadbeefdeadbeefdeadbeef:1:0\n"  # a hostile restriction value
    output = device_output(nonce, [(forged, 0), (b"ok\n", 0)])
    assert shell_batch.split(output, ["a", "b"], nonce)[0] == Answer(forged, 0)
    assert shell_batch.new_nonce() != shell_batch.new_nonce()


@pytest.mark.parametrize("cut", [0, 10, 25, -1])
def test_a_stream_cut_short_names_the_first_unfinished_command(cut: int) -> None:
    nonce = "n"
    output = device_output(nonce, [(b"first\n", 0), (b"second\n", 0), (b"third\n", 0)])
    short = output[:cut]
    expected = sum(1 for i in range(3) if f"n:{i}:0\n".encode() in short)
    with pytest.raises(shell_batch.BatchCutShort) as info:
        shell_batch.split(short, COMMANDS, nonce)
    assert info.value.index == expected


def test_sentinels_out_of_order_are_a_cut() -> None:
    with pytest.raises(shell_batch.BatchCutShort):
        shell_batch.split(b"n:1:0\nn:0:0\n", ["a", "b"], "n")


@pytest.mark.parametrize("command", ["a\nb", "echo n"])
def test_commands_that_would_break_the_script_are_refused(command: str) -> None:
    with pytest.raises(ValueError):
        shell_batch.script([command], "n")
