"""The terminal writer prints what rich printed: rich itself is the oracle. The same environment
gives the same terminal, colour and width decisions as a rich ``Console`` (its ``_environ`` is
rich's own seam for tests), and the same rules and lines give the same characters and escape
sequences as rich's ``Console.rule`` and ``Console.print(Text.assemble(...), soft_wrap=True)``,
for any text the summary may show (after :func:`one_line`) and any width."""

from __future__ import annotations

import fcntl
import io
import itertools
import os
import struct
import subprocess
import sys
import termios

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console
from rich.text import Text

from harness.report.terminal_writer import RULE_COLOUR, Colour, TerminalWriter
from harness.report.text import one_line
from tests.helpers import ROOT, examples


class _Stream(io.StringIO):
    """A string stream that says whether it is a terminal."""

    def __init__(self, tty: bool) -> None:
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


def _environ(**values: str | None) -> dict[str, str]:
    return {name: value for name, value in values.items() if value is not None}


ENVIRONS = [
    _environ(TTY_COMPATIBLE=compatible, FORCE_COLOR=force, NO_COLOR=no_colour, TERM=term)
    for compatible, force, no_colour, term in itertools.product(
        (None, "0", "1", "yes"),
        (None, "", "1", "0"),
        (None, "", "1"),
        (None, "xterm-256color", "dumb", "DUMB", "unknown"),
    )
]


@pytest.mark.parametrize("tty", [False, True])
def test_terminal_and_colours_follow_rich(tty: bool) -> None:
    for environ in ENVIRONS:
        ours = TerminalWriter(_Stream(tty), environ=environ)
        theirs = Console(file=_Stream(tty), _environ=environ)
        colour = theirs.color_system is not None and not theirs.no_color
        assert (ours.is_terminal, ours.colour) == (theirs.is_terminal, colour), (tty, environ)


def test_widths_follow_rich() -> None:
    for columns, lines, term, force in itertools.product(
        (None, "", "100", "37", "0", "wide", "-5", "١٢٠"),
        (None, "30", "x"),
        (None, "xterm", "dumb", "unknown"),
        (None, "1"),
    ):
        environ = _environ(COLUMNS=columns, LINES=lines, TERM=term, FORCE_COLOR=force)
        ours = TerminalWriter(_Stream(False), environ=environ)
        assert ours.width == Console(file=_Stream(False), _environ=environ).width, environ


def test_width_of_a_real_terminal_on_standard_input() -> None:
    """No COLUMNS: the size of the first standard stream that is a terminal, as rich asks it
    (here standard input, a pseudo-terminal 123 columns wide; standard output is a pipe)."""
    leader, follower = os.openpty()
    try:
        fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 123, 0, 0))
        code = (
            "from rich.console import Console; from harness.report.terminal_writer import TerminalWriter;"
            "print(TerminalWriter().width, Console().width)"
        )
        env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
        env["PYTHONPATH"] = str(ROOT)
        done = subprocess.run(
            [sys.executable, "-c", code], stdin=follower, capture_output=True, text=True, env=env, timeout=60
        )
    finally:
        os.close(leader)
        os.close(follower)
    assert done.stdout.split() == ["123", "123"], done.stderr


COLOURS: list[Colour | None] = [None, "green", "red", "yellow", "bright_green"]
# What scenario names, device names and messages may hold once made one line: ASCII, tabs,
# markup and emoji codes, Latin, wide and zero-width characters, the ellipsis rich truncates with.
ODD_CHARACTERS = ["\t", "é", "·", "✓", "…", "日", "本", "\u200d", "👍", "\u0301"]
TEXT = st.text(st.sampled_from([*(chr(c) for c in range(32, 127)), *ODD_CHARACTERS]), max_size=60).map(one_line)


def _rich(terminal: bool, width: int) -> Console:
    return Console(file=io.StringIO(), width=width, force_terminal=terminal, highlight=False, _environ={})


def _ours(terminal: bool, width: int) -> TerminalWriter:
    return TerminalWriter(io.StringIO(), environ={}, terminal=terminal, width=width)


def _written(writer: TerminalWriter | Console) -> str:
    stream = writer.file
    assert isinstance(stream, io.StringIO)
    return stream.getvalue()


@settings(max_examples=examples(300))
@given(
    title=TEXT,
    width=st.integers(1, 130),
    characters=st.sampled_from("=_"),
    colour=st.sampled_from(COLOURS),
    title_colour=st.sampled_from(COLOURS),
    terminal=st.booleans(),
)
def test_rules_are_rich_rules(
    title: str, width: int, characters: str, colour: Colour | None, title_colour: Colour | None, terminal: bool
) -> None:
    theirs, ours = _rich(terminal, width), _ours(terminal, width)
    theirs.rule(Text(title, title_colour or ""), characters=characters, style=colour or "none")
    ours.rule(title, characters=characters, colour=colour, title_colour=title_colour)
    assert _written(ours) == _written(theirs)


def test_a_rule_s_line_is_rich_s_default_colour() -> None:
    theirs, ours = _rich(True, 80), _ours(True, 80)
    theirs.rule("FAILURES", characters="=")
    ours.rule("FAILURES")
    assert _written(ours) == _written(theirs)
    assert RULE_COLOUR == "bright_green" and "\x1b[92m" in _written(ours)


@settings(max_examples=examples(300))
@given(
    parts=st.lists(st.tuples(TEXT, st.sampled_from(COLOURS)), max_size=4),
    width=st.integers(1, 130),
    terminal=st.booleans(),
)
def test_lines_are_rich_s_unwrapped_lines(parts: list[tuple[str, Colour | None]], width: int, terminal: bool) -> None:
    theirs, ours = _rich(terminal, width), _ours(terminal, width)
    theirs.print(Text.assemble(*((text, colour or "") for text, colour in parts)), soft_wrap=True)
    for text, colour in parts:
        ours.write(text, colour)
    ours.line()
    assert _written(ours) == _written(theirs)


# The summary's own sentences (``seed 1, shard 1/2, started ...``, ``!! interrupted: ...``):
# words and runs of spaces, some longer than a narrow terminal.
SENTENCE = st.lists(
    st.sampled_from(["seed", "1,", "!!", "(--maxfail):", "2026-12-01T20:14:44+00:00", " ", "  ", "é✓", "日本語"])
)


@settings(max_examples=examples(300))
@given(words=SENTENCE, width=st.integers(1, 100), colour=st.sampled_from(COLOURS), terminal=st.booleans())
def test_wrapped_lines_are_rich_s_wrapped_prints(
    words: list[str], width: int, colour: Colour | None, terminal: bool
) -> None:
    text = " ".join(words)
    theirs, ours = _rich(terminal, width), _ours(terminal, width)
    theirs.print(Text(text, colour or ""))
    ours.line(text, colour, wrap=True)
    assert _written(ours) == _written(theirs)


def test_no_markup_and_no_control_characters() -> None:
    ours = _ours(True, 80)
    ours.line("[red]x[/] :thumbs_up: \x1b[2J\rover\x07", "green")
    assert _written(ours) == "\x1b[32m[red]x[/] :thumbs_up: #x1B[2J#x0Dover#x07\x1b[0m\n"


def test_a_stream_that_cannot_hold_the_text_gets_escapes() -> None:
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="ascii")
    writer = TerminalWriter(stream, environ={}, terminal=True)
    writer.line("Zürich ✓", "red")
    assert raw.getvalue() == b"\x1b[31mZ\\xfcrich \\u2713\x1b[0m\n"


def test_standard_streams_are_looked_up_at_each_write(capsys: pytest.CaptureFixture[str]) -> None:
    out, err = TerminalWriter(environ={}), TerminalWriter(stderr=True, environ={})
    out.line("to stdout")
    err.line("to stderr")
    assert capsys.readouterr() == ("to stdout\n", "to stderr\n")
