"""Cases for the report tests (imported by them), built by hand: one per outcome, one hostile.

``ODD`` holds what a scenario file or a device may put in a name or message: non-ASCII, the
five characters XML and HTML escape, NUL and other characters XML 1.0 forbids, an ANSI escape
sequence, rich markup, a CR that would rewrite a terminal line, and a lone surrogate.
"""

from __future__ import annotations

from collections.abc import Iterable

from harness.report import Reporter
from harness.results import CaseOutcome, CaseResult, RunInfo, StepResult, Summary

ODD = "Zürich ✓ <&\"'> nul\x00 bell\x07 \x1b[31mred[/] [bold]b[/bold] cr\rx \ud800 end"

INFO = RunInfo(seed=42, started_at="2026-01-05T11:00:00+01:00", shard="1/2", catalog="sha256:0123456789abcdef")

HINT_MISMATCH = "reason: expected managed, got hint_mismatch"
DECISION_MISMATCH = "decision: expected managed, got not_managed"


def make_cases() -> list[CaseResult]:
    """Passed, failed (two mismatches on one step), error, skipped, flaky, and the odd one."""
    intune = {
        "title": "Your device must be managed",
        "provider": "Microsoft Intune",
        "enrollment_link": "https://portal.manage.microsoft.com/",
    }
    return [
        CaseResult(
            "android/basic.yaml::pixel-8",
            "intune basic",
            "pixel-8",
            CaseOutcome.PASSED,
            [StepResult("emm_push", line=9), StepResult("sign_in", "managed", "managed", line=11)],
            duration_s=0.012,
            file="android/basic.yaml",
            tags=["intune"],
        ),
        CaseResult(
            "android/hint.yaml::pixel-8",
            "wrong hint",
            "pixel-8",
            CaseOutcome.FAILED,
            [
                StepResult("emm_push", line=9),
                StepResult(
                    "sign_in",
                    "not_managed",
                    "hint_mismatch",
                    intune,
                    ["hint_whitespace"],
                    [DECISION_MISMATCH, HINT_MISMATCH],
                    line=14,
                ),
            ],
            duration_s=0.02,
            file="android/hint.yaml",
        ),
        CaseResult(
            "ios/broken.yaml::iphone-15",
            "broken",
            "iphone-15",
            CaseOutcome.ERROR,
            message="ios/broken.yaml:7: unknown step 'sing_in' (allowed: sign_in, emm_push)",
            file="ios/broken.yaml",
        ),
        CaseResult(
            "ios/sso.yaml::iphone-15",
            "sso",
            "iphone-15",
            CaseOutcome.SKIPPED,
            message="no device matches",
            file="ios/sso.yaml",
        ),
        CaseResult(
            "ios/sso.yaml::iphone-se",
            "sso",
            "iphone-se",
            CaseOutcome.FLAKY,
            [StepResult("sign_in", "managed", "managed", line=5)],
            message="passed on retry 2",
            file="ios/sso.yaml",
        ),
        CaseResult(
            f"odd::{ODD}",
            ODD,
            ODD,
            CaseOutcome.FAILED,
            [
                StepResult(
                    ODD,
                    "not_managed",
                    ODD,
                    {"title": ODD, "provider": ODD, "enrollment_link": "javascript:alert(1)"},
                    [ODD],
                    [f"reason: expected managed, got {ODD}"],
                    line=3,
                )
            ],
            message=ODD,
            file="security/odd.yaml",
            tags=[ODD],
        ),
    ]


def drive(reporter: Reporter, cases: Iterable[CaseResult], duration_s: float = 0.42, info: RunInfo = INFO) -> Summary:
    """Run ``cases`` through ``reporter`` as the runner does; the summary given to ``finish``."""
    summary = Summary(duration_s=duration_s)
    reporter.start(info)
    try:
        for case in cases:
            reporter.add(case)
            summary.count(case.outcome)
    finally:
        summary.planned = summary.total
        reporter.finish(summary)
    return summary
