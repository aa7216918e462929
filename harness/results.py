"""Results of a run: one :class:`CaseResult` per (scenario, device), and the run's summary.

These are the shapes the reports serialize (DESIGN.md §2, JSON report). They are plain
dataclasses of strings and numbers so that they cross process boundaries (``--workers``) cheaply
and never carry a secret: remediation and messages are built from redacted values only.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any


class CaseOutcome(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"
    SKIPPED = "skipped"
    FLAKY = "flaky"


@dataclass(slots=True)
class StepResult:
    """One step of a case: what was done and, for judged steps, what the org decided."""

    action: str
    decision: str | None = None
    reason: str | None = None
    #: ``{"title", "provider", "enrollment_link"}`` of what the user was shown, or None.
    remediation: dict[str, Any] | None = None
    findings: list[str] = field(default_factory=list)
    #: Mismatches between expectation and outcome (``"reason: expected managed, got no_hint"``).
    mismatches: list[str] = field(default_factory=list)
    #: The line of the step in its scenario file.
    line: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "decision": self.decision,
            "reason": self.reason,
            "remediation": self.remediation,
            "findings": self.findings,
            "mismatches": self.mismatches,
            "line": self.line,
        }


@dataclass(slots=True)
class CaseResult:
    """One case (a scenario on a device) as the reports see it: outcome, steps, message."""

    id: str
    scenario: str
    device: str
    outcome: CaseOutcome
    steps: list[StepResult] = field(default_factory=list)
    message: str = ""
    duration_s: float = 0.0
    #: Scenario file (relative to the catalog or as given) and tags, for grouping in reports.
    file: str = ""
    tags: list[str] = field(default_factory=list)
    #: The scenario's platform and EMM (``intune``, ``workspace_one``, ``none``): what the HTML
    #: grid filters on. Empty for a file that did not load.
    platform: str = ""
    emm: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "scenario": self.scenario,
            "device": self.device,
            "outcome": self.outcome.value,
            "steps": [s.to_json() for s in self.steps],
            "message": self.message,
            "duration_s": round(self.duration_s, 6),
            "file": self.file,
            "tags": self.tags,
            "platform": self.platform,
            "emm": self.emm,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CaseResult:
        steps = [
            StepResult(
                s["action"],
                s.get("decision"),
                s.get("reason"),
                s.get("remediation"),
                list(s.get("findings", [])),
                list(s.get("mismatches", [])),
                s.get("line"),
            )
            for s in data.get("steps", [])
        ]
        return cls(
            data["id"],
            data["scenario"],
            data["device"],
            CaseOutcome(data["outcome"]),
            steps,
            data.get("message", ""),
            float(data.get("duration_s", 0.0)),
            data.get("file", ""),
            list(data.get("tags", [])),
            str(data.get("platform", "")),
            str(data.get("emm", "")),
        )


@dataclass(slots=True)
class Summary:
    """Counts of the cases that ran, and what a reader needs to know the run was not whole.

    ``total`` and the outcome counts are the contract's (DESIGN.md §2) and count the cases a
    report holds. ``planned`` is how many cases the run was to have (``total < planned`` when it
    stopped early), ``deselected`` how many were left out (pytest's word: a scenario the matrix
    had no device for, a case ``-k``/``-m``/``--tag`` did not choose), ``interrupted`` whether
    it stopped before its end (Ctrl-C, SIGTERM, or a report that could not be written),
    ``stopped`` why it ended early on purpose (``--maxfail``), and ``partial`` whether a merged
    report lacks some shards.
    """

    total: int = 0
    passed: int = 0
    failed: int = 0
    errors: int = 0
    skipped: int = 0
    flaky: int = 0
    duration_s: float = 0.0
    planned: int = 0
    deselected: int = 0
    interrupted: bool = False
    partial: bool = False
    stopped: str = ""

    def count(self, outcome: CaseOutcome) -> None:
        self.total += 1
        if outcome is CaseOutcome.PASSED:
            self.passed += 1
        elif outcome is CaseOutcome.FAILED:
            self.failed += 1
        elif outcome is CaseOutcome.ERROR:
            self.errors += 1
        elif outcome is CaseOutcome.SKIPPED:
            self.skipped += 1
        else:
            self.flaky += 1

    @property
    def ok(self) -> bool:
        return self.failed == 0 and self.errors == 0

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["duration_s"] = round(self.duration_s, 3)
        return data

    def received(self, run: Summary) -> None:
        """Take the run-level facts of ``run`` (duration, planned, deselected, interrupted,
        partial) into these counts of the cases a reporter received."""
        self.duration_s = run.duration_s
        self.planned = run.planned
        self.deselected = run.deselected
        self.interrupted = run.interrupted
        self.partial = run.partial
        self.stopped = run.stopped


@dataclass(slots=True)
class RunInfo:
    """What the reports say about the run as a whole."""

    seed: int
    started_at: str
    command: str = "attestlab run"
    #: ``K/N`` of a sharded run.
    shard: str | None = None
    #: Fingerprint of what the run was made of (scenario files and matrix devices), so that
    #: ``report merge`` can tell shards of one run from shards of different runs.
    catalog: str | None = None
    #: Worker processes the run used.
    workers: int = 1
    #: A merged report's shards that were not there (``report merge --allow-partial``).
    missing_shards: list[str] = field(default_factory=list)
