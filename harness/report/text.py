"""Wording and characters shared by the reports.

The terminal, JUnit and HTML reports say what went wrong in the same words
(``step 2 (line 14) sign_in: reason: expected managed, got hint_mismatch``), so a line seen in
a CI log can be found in the HTML grid. Scenario names, device names and messages come from
user files and device output, so every report shows them through :func:`printable` first: a
character XML 1.0 forbids would make a JUnit file unparseable for CI, and a control character
(ESC, CR, BEL) could rewrite a terminal line or be an HTML parse error.
"""

from __future__ import annotations

import re

from harness.results import CaseOutcome, CaseResult, StepResult

# What may be shown as is: tab, newline and the XML 1.0 ``Char`` production
# (https://www.w3.org/TR/xml/#charsets) minus CR, DEL and the C1 controls, which terminals
# interpret and HTML calls parse errors. Written as the complement (the C0 controls but tab and
# newline, DEL and C1, surrogates, U+FFFE/U+FFFF): the same set, and compiled in ~1 ms where
# the negated class over the astral planes took ~20 ms of every run's start-up.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def printable(text: str) -> str:
    """``text`` with each unsafe character written as ``#xNN``, as pytest's JUnit writer does.

    Replacing rather than dropping keeps ``dev\\x00ice`` distinguishable from ``device``
    (pytest ``_pytest/junitxml.py``, ``bin_xml_escape``).
    """
    return _UNSAFE.sub(lambda m: f"#x{ord(m.group()):02X}", text)


def one_line(text: str) -> str:
    """:func:`printable` on a single line: line breaks become spaces (terminal summaries)."""
    return " ".join(printable(text).splitlines())


def step_label(number: int, step: StepResult) -> str:
    """``step 2 (line 14) sign_in``: the step's 1-based position, its line, its action."""
    line = f" (line {step.line})" if step.line is not None else ""
    return f"step {number}{line} {step.action}"


def mismatch_lines(case: CaseResult) -> list[str]:
    """One line per step that did not meet its expectation, with each expected vs actual."""
    return [
        f"{step_label(number, step)}: {'; '.join(step.mismatches)}"
        for number, step in enumerate(case.steps, 1)
        if step.mismatches
    ]


def problem(case: CaseResult) -> str:
    """Why a case did not pass, in one line (unsafe characters not yet replaced).

    A failed case is described by its mismatches; an error, skip, or a failure the runner
    explained without a step (an expectation it could not check) by its message.
    """
    lines = mismatch_lines(case)
    if case.outcome is CaseOutcome.FAILED and lines:
        return "; ".join(lines)
    return case.message or case.outcome.value


def case_details(case: CaseResult) -> list[str]:
    """A failing case as a person debugging it wants it: the problem, then every step with the
    org's decision, reason, findings and what the user was shown (pytest's FAILURES section and
    ``attestlab run -v``)."""
    lines = [f"{case.id}: {case.outcome.value}", f"  {one_line(problem(case))}"]
    for number, step in enumerate(case.steps, 1):
        judged = f" -> {step.decision} ({step.reason})" if step.decision else ""
        mark = "  <-- " + "; ".join(step.mismatches) if step.mismatches else ""
        lines.append(f"  {one_line(step_label(number, step))}{judged}{one_line(mark)}")
        if step.findings:
            lines.append(f"      findings: {', '.join(step.findings)}")
        if step.remediation:
            shown = ", ".join(f"{k}: {v}" for k, v in step.remediation.items() if v is not None)
            lines.append(f"      remediation: {one_line(shown)}")
    return lines
