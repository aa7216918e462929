"""The terminal summary, read back from a :class:`TerminalWriter` writing into a string (100
columns; a terminal taking colours when forced)."""

from __future__ import annotations

import io
import re

import pytest
from report_cases import DECISION_MISMATCH, HINT_MISMATCH, ODD, drive, make_cases

from harness.report import TerminalReporter
from harness.report.terminal import totals
from harness.report.terminal_writer import TerminalWriter
from harness.results import CaseOutcome, CaseResult, Summary


def console(force_terminal: bool = False) -> TerminalWriter:
    return TerminalWriter(io.StringIO(), environ={}, terminal=force_terminal, width=100)


def output(term: TerminalWriter, plain: bool = True) -> str:
    """What was written, without terminal control sequences (colours, cursor) unless asked."""
    stream = term.file
    assert isinstance(stream, io.StringIO)
    text = stream.getvalue()
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text) if plain else text


def run(cases: list[CaseResult], total: int | None = None, verbosity: int = 0) -> str:
    term = console()
    reporter = TerminalReporter(term, verbosity=verbosity)
    reporter.set_total(len(cases) if total is None else total)
    drive(reporter, cases)
    return output(term)


def test_characters_failure_lines_and_totals() -> None:
    lines = run(make_cases()).splitlines()
    assert lines[0].strip("= ") == "attestlab run"
    assert lines[1] == "seed 42, shard 1/2, started 2026-01-05T11:00:00+01:00"
    assert lines[2] == ".FEsRF"
    assert lines[3].strip("= ") == "short test summary info"
    assert lines[4] == (
        f"FAILED android/hint.yaml::pixel-8 - step 2 (line 14) sign_in: {DECISION_MISMATCH}; {HINT_MISMATCH}"
    )
    assert lines[5] == (
        "ERROR ios/broken.yaml::iphone-15 - ios/broken.yaml:7: unknown step 'sing_in' (allowed: sign_in, emm_push)"
    )
    assert lines[6].startswith("FAILED odd::")
    assert re.fullmatch(r"=+ 2 failed, 1 passed, 1 skipped, 1 flaky, 1 error in 0\.42s =+", lines[7])
    assert len(lines) == 8


def test_characters_wrap_at_80_columns() -> None:
    case = make_cases()[0]
    lines = run([case] * 170).splitlines()
    assert lines[2:5] == ["." * 80, "." * 80, "." * 10]
    assert re.fullmatch(r"=+ 170 passed in 0\.42s =+", lines[5])


def test_hostile_text_prints_literally_and_harmlessly() -> None:
    text = run([make_cases()[5]])
    assert "\x1b" not in text and "\r" not in text and "\x00" not in text
    assert "[bold]b[/bold]" in text  # not taken as markup
    assert "nul#x00 bell#x07 #x1B[31mred[/]" in text
    odd_line = next(line for line in text.splitlines() if line.startswith("FAILED"))
    assert ODD not in text
    assert odd_line.endswith("cr#x0Dx #xD800 end")


def test_verbose_prints_a_line_per_case() -> None:
    lines = run(make_cases()[:3], verbosity=1).splitlines()
    assert lines[2:5] == [
        "android/basic.yaml::pixel-8 PASSED",
        "android/hint.yaml::pixel-8 FAILED",
        "ios/broken.yaml::iphone-15 ERROR",
    ]


def test_interrupted_run_says_so() -> None:
    text = run(make_cases()[:2], total=5)
    assert "!! run stopped: 2 of 5 planned cases ran !!" in text
    assert re.search(r"=+ 1 failed, 1 passed in 0\.42s =+", text)


def test_progress_bar_on_a_terminal_for_long_runs() -> None:
    term = console(force_terminal=True)
    reporter = TerminalReporter(term)
    reporter.set_total(60)
    drive(reporter, [make_cases()[0]] * 59 + [make_cases()[1]])
    text = output(term)
    assert " 0/60" in text and "60/60" in text  # first and last frames (then cleared)
    assert "." * 60 not in text
    assert "FAILED android/hint.yaml::pixel-8" in text
    assert "1 failed, 59 passed in 0.42s" in text


def test_short_runs_on_a_terminal_print_characters() -> None:
    term = console(force_terminal=True)
    reporter = TerminalReporter(term)
    reporter.set_total(3)
    drive(reporter, [make_cases()[0]] * 3)
    assert "..." in output(term)


def test_totals_wording() -> None:
    assert totals(Summary(duration_s=0.001)) == "no cases ran in 0.00s"
    assert totals(Summary(total=2, errors=2, duration_s=1)) == "2 errors in 1.00s"
    empty = run([])
    assert re.search(r"=+ no cases ran in 0\.42s =+", empty)
    assert "short test summary info" not in empty


def test_totals_colour() -> None:
    def colour(cases: list[CaseResult]) -> str:
        term = console(force_terminal=True)
        reporter = TerminalReporter(term)
        drive(reporter, cases)
        return output(term, plain=False).splitlines()[-1]

    red, green, yellow = "\x1b[31m", "\x1b[32m", "\x1b[33m"
    assert red in colour(make_cases()[:2])
    assert green in colour(make_cases()[:1])
    skipped = CaseResult("s", "s", "d", CaseOutcome.SKIPPED)
    assert yellow in colour([skipped])


def test_verbose_lines_print_above_the_progress_bar(capsys: pytest.CaptureFixture[str]) -> None:
    """The writer writes to the standard output of the moment, which rich's live display
    redirects while the bar shows, so each case's line lands above the bar, never in it."""
    reporter = TerminalReporter(TerminalWriter(environ={}, terminal=True, width=100), verbosity=1)
    reporter.set_total(60)
    drive(reporter, [make_cases()[0]] * 60)
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", capsys.readouterr().out)
    # The bar is redrawn after each line, behind a CR; a line written into the bar would follow it.
    assert re.split(r"[\r\n]", text).count("android/basic.yaml::pixel-8 PASSED") == 60
    assert "0:00:00android" not in text
    assert "60/60" in text and "60 passed in 0.42s" in text
