"""Lines, colours and rules for the terminal summary, written without rich.

The summary of every run goes through here, and importing rich's console, text and rule cost
~30-45 ms of CPU, a tenth of a one-scenario run, for what is a few lines of text. So this is a
small writer in the manner of pytest's own (``_pytest/_io/terminalwriter.py``: a stream, a
colour decision, ``write``/``line``/``sep``), that prints what rich printed, byte for byte on a
stream that is not a terminal and with the same escape sequences on one:

* whether the stream is a terminal and gets colours follows rich's rules (``rich/console.py``,
  ``Console.is_terminal``, ``is_dumb_terminal``, ``_detect_color_system``, ``no_color``):
  ``TTY_COMPATIBLE=1``/``0`` says so outright, else a set ``FORCE_COLOR`` (non-empty: yes,
  empty: no), else the stream's ``isatty()``; ``TERM=dumb`` or ``unknown`` on a terminal means
  no colours; a non-empty ``NO_COLOR`` means no colours (still a terminal: the progress bar
  stays);
* the width is rich's too (``Console.size``): ``COLUMNS`` when it is a number, else the size of
  the first of standard input, output and error that is a terminal, else 80; 80 on a dumb
  terminal (unless ``LINES`` is set as well, as rich has it);
* a rule is rich's ``Console.rule(title, characters=...)`` (``rich/rule.py``, centred): the
  title truncated with ``…`` to the width less 4, one space either side, the left side
  ``(width - len(title)) // 2 - 1`` characters long, the right side the rest; the rule's line
  in rich's default ``rule.line`` style (bright green) unless a colour is given;
* tabs are expanded to the next multiple of 8 columns from the start of the line, and widths
  are counted in terminal cells: ASCII as its length, anything else by ``rich.cells`` (imported
  only then: rich's tables of East Asian widths and emoji are not worth copying).

There is no markup language: text is printed as given, through
:func:`harness.report.text.one_line`, so an ESC or CR in a scenario name shows as ``#x1B``
and cannot rewrite the terminal, and a ``[red]`` in it is just text. Case lines are never
wrapped (the terminal wraps them, as it does pytest's); the summary's own sentences (``seed ...``,
``!! ... !!``, ``interrupted: ...``: ``line(wrap=True)``) are broken at words to the width, as
rich broke them.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Literal, TextIO

from harness.report.text import one_line

if TYPE_CHECKING:
    from rich.console import Console

Colour = Literal["green", "red", "yellow", "bright_green"]

#: SGR codes of the colours the summary uses (rich's standard colours emit these on every
#: colour system, 16 colours to truecolor).
_SGR: dict[Colour, str] = {"red": "31", "green": "32", "yellow": "33", "bright_green": "92"}
#: rich's default style for the line of a rule (``rule.line`` in ``rich/default_styles.py``).
RULE_COLOUR: Colour = "bright_green"
#: Where a tab stops, as rich expands them (``Text.expand_tabs``).
_TAB_SIZE = 8
#: The width of a stream that is no terminal, or of a dumb one (rich's fallback).
DEFAULT_WIDTH = 80
#: A word and the spaces around it, where rich breaks lines (``rich/_wrap.py``).
_WORD = re.compile(r"\s*\S+\s*")


def is_terminal(stream: TextIO, environ: Mapping[str, str]) -> bool:
    """Whether ``stream`` takes terminal control codes: rich's ``Console.is_terminal``."""
    compatible = environ.get("TTY_COMPATIBLE", "")
    if compatible in ("0", "1"):
        return compatible == "1"
    force = environ.get("FORCE_COLOR")  # https://force-color.org/
    if force is not None:
        return force != ""
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty()) if isatty is not None else False
    except ValueError:  # a closed stream
        return False


def is_dumb(environ: Mapping[str, str]) -> bool:
    """``TERM=dumb`` (or ``unknown``): a terminal that takes no control codes."""
    return environ.get("TERM", "").lower() in ("dumb", "unknown")


def terminal_width(environ: Mapping[str, str], dumb: bool = False) -> int:
    """The width rich gives a console: ``COLUMNS``, the terminal's, or 80 (see the module)."""
    columns = environ.get("COLUMNS", "")
    if columns.isdecimal() and (not dumb or environ.get("LINES", "").isdecimal()):
        return int(columns)
    if dumb:
        return DEFAULT_WIDTH
    for descriptor in (0, 1, 2):  # rich asks standard input first: `attestlab run | tee log`
        try:
            return os.get_terminal_size(descriptor).columns or DEFAULT_WIDTH
        except (AttributeError, ValueError, OSError):
            continue
    return DEFAULT_WIDTH


def cells(text: str) -> int:
    """How many terminal columns ``text`` (printable, no tabs) takes."""
    if text.isascii():
        return len(text)
    from rich.cells import cell_len

    return cell_len(text)


def _cropped(text: str, width: int) -> str:
    """``text`` cut to ``width`` cells (rich's ``set_cell_size``, which pads where it cuts a
    wide character in two)."""
    if text.isascii():
        return text[:width]
    from rich.cells import set_cell_size

    return set_cell_size(text, width)


def _truncated(pieces: list[str], width: int) -> list[str]:
    """``pieces`` cut to ``width`` cells, the last one ``…`` (rich's ``overflow="ellipsis"``).

    A tab's pieces stay apart, as rich keeps their spans: the ``…`` joins the piece it replaces
    the rest of."""
    text = "".join(pieces)
    kept = _cropped(text, width - 1)
    cut, start = [], 0
    for piece in pieces:
        end = start + len(piece)
        cut.append(kept[start:end] + ("…" if start <= len(kept) < end else ""))
        start = end
    return cut if len(kept) < start else [*cut, kept[start:] + "…"]


def _chopped(word: str, width: int) -> list[str]:
    """``word`` in pieces of ``width`` cells (rich's ``chop_cells``)."""
    if word.isascii():
        return [word[start : start + width] for start in range(0, len(word), width)]
    from rich.cells import chop_cells

    return chop_cells(word, width)


def wrapped(text: str, width: int) -> list[str]:
    """``text`` (one line, no tabs) in lines of at most ``width`` cells, broken before the word
    that does not fit and a word longer than a line folded: rich's ``Text.wrap`` for a plain
    print (``rich/_wrap.py``, ``divide_line``; then the spaces past the width dropped)."""
    breaks: list[int] = []
    used = 0
    for match in _WORD.finditer(text):
        start, word = match.start(), match.group()
        size = cells(word.rstrip())
        if width - used >= size:
            used += cells(word)
        elif size > width:
            *folded, last = _chopped(word, width)
            for piece in folded:
                breaks += [start] if start else []
                start += len(piece)
            breaks += [start] if start else []
            used = cells(last)
        elif used and start:
            breaks.append(start)
            used = cells(word)
    lines = []
    for start, end in zip([0, *breaks], [*breaks, len(text)], strict=True):
        line = text[start:end]
        if len(line) > width:
            line = line[: max(width, len(line.rstrip()))]
        if cells(line) > width:
            line = _cropped(line, width)
        lines.append(line)
    return lines


class TerminalWriter:
    """Writes the summary to ``file``, or to standard output (``stderr``: standard error)
    looked up at each write, as ``print`` does, so that a display that redirects the standard
    streams (rich's progress bar) or a test capturing them gets the lines.

    ``environ`` (default :data:`os.environ`) decides terminal, colours and width; ``terminal``
    and ``width`` force them (tests writing into a string).
    """

    def __init__(
        self,
        file: TextIO | None = None,
        *,
        stderr: bool = False,
        environ: Mapping[str, str] | None = None,
        terminal: bool | None = None,
        width: int | None = None,
    ) -> None:
        self._file = file
        self.stderr = stderr
        self._environ = os.environ if environ is None else environ
        self.is_terminal = is_terminal(self.file, self._environ) if terminal is None else terminal
        self._dumb = self.is_terminal and is_dumb(self._environ)
        self.colour = self.is_terminal and not self._dumb and self._environ.get("NO_COLOR", "") == ""
        self._width = width
        self._current = ""  # what was written of the line so far: where a tab stops

    @property
    def file(self) -> TextIO:
        """The stream written to."""
        if self._file is not None:
            return self._file
        return sys.stderr if self.stderr else sys.stdout

    @property
    def width(self) -> int:
        """The width of the terminal (asked at each rule: a terminal can be resized)."""
        return self._width if self._width is not None else terminal_width(self._environ, self._dumb)

    def markup(self, text: str, colour: Colour | None) -> str:
        """``text`` in ``colour`` when the stream takes colours (rich's form: the colour's code,
        the text, a reset)."""
        if colour is None or not self.colour or not text:
            return text
        return f"\x1b[{_SGR[colour]}m{text}\x1b[0m"

    def write(self, text: str, colour: Colour | None = None) -> None:
        """``text`` (made one printable line, its tabs expanded) in ``colour``; no line end."""
        pieces = self._expand_tabs(one_line(text), self._current)
        self._current += "".join(pieces)
        self._raw("".join(self.markup(piece, colour) for piece in pieces))

    def line(self, text: str = "", colour: Colour | None = None, *, wrap: bool = False) -> None:
        """``text`` and a line end, flushed (a CI log shows each line when it is printed).

        ``wrap``: broken at words to the width, as rich printed the summary's own sentences (a
        line of a scenario's or a case's text is never broken: it stays one line to grep)."""
        if wrap and self._current == "" and "\t" not in text:
            *lines, text = wrapped(one_line(text), max(self.width, 1))
            for line in lines:
                self.line(line, colour)
        self.write(text, colour)
        self._raw("\n")
        self._current = ""
        self.file.flush()

    def rule(
        self,
        title: str = "",
        *,
        characters: str = "=",
        colour: Colour | None = RULE_COLOUR,
        title_colour: Colour | None = None,
    ) -> None:
        """A line of ``characters`` (one character, one cell) the full width, ``title`` centred
        in it with a space either side: rich's ``Console.rule``, characters and escapes."""
        width = self.width
        pieces = self._expand_tabs(one_line(title))
        title = "".join(pieces)
        if not title or width <= 4:
            self._raw(self.markup(characters * max(width, 0), colour) + "\n")
        else:
            size = cells(title)
            if size > width - 4:
                pieces = _truncated(pieces, width - 4)
                size = cells("".join(pieces))
            side = (width - size) // 2
            left, right = characters * (side - 1), characters * (width - side - size - 1)
            middle = "".join(self.markup(piece, title_colour) for piece in pieces)
            self._raw(f"{self.markup(f'{left} ', colour)}{middle}{self.markup(f' {right}', colour)}\n")
        self._current = ""
        self.file.flush()

    def rich_console(self) -> Console:
        """A rich Console on the same stream, terminal and colours: for the progress bar."""
        from rich.console import Console

        return Console(
            file=self._file,
            stderr=self.stderr,
            highlight=False,
            force_terminal=self.is_terminal,
            no_color=not self.colour,
            width=self._width,
        )

    @staticmethod
    def _expand_tabs(text: str, before: str = "") -> list[str]:
        """``text`` with each tab made the spaces to the next tab stop, counted from the start of
        the line (``before``: what precedes ``text`` on it), in the pieces rich colours apart:
        each up to and including a tab's spaces."""
        if "\t" not in text:
            return [text]
        pieces: list[str] = []
        *ended, last = text.split("\t")
        for piece in ended:
            piece += " "
            piece += " " * (-cells(before + piece) % _TAB_SIZE)
            before += piece
            pieces.append(piece)
        return [*pieces, last] if last else pieces

    def _raw(self, text: str) -> None:
        """Write ``text``; on a stream whose encoding cannot hold it, with ``\\xNN`` escapes
        instead of failing the run (pytest's ``write_raw`` does the same)."""
        try:
            self.file.write(text)
        except UnicodeEncodeError:
            self.file.write(text.encode("ascii", "backslashreplace").decode("ascii"))
