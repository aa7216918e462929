"""JUnit XML for CI systems (Jenkins, GitLab, GitHub test-report actions).

Layout — one ``<testsuite name="attestlab">`` inside ``<testsuites>``, because CI systems
already group by ``classname``; one suite per folder would need one scratch file per folder to
stay streaming and shows the same tree::

    <testsuites name="attestlab" tests= failures= errors= skipped= time=>
      <testsuite name="attestlab" tests= failures= errors= skipped= time= timestamp=>
        <properties><property name="seed" value="42"/>...</properties>
        <testcase classname="android.intune-basic" name="intune basic[pixel-8]" time=
                  file="android/intune-basic.yaml">
          <failure message="step 2 (line 14) sign_in: ..." type="expectation">...</failure>
        </testcase>

``classname`` is the scenario file's folder and name joined with dots (``android/x.yaml`` ->
``android.x``): Jenkins reads the part before the last dot as the package, so the catalog's
folders become its package tree. ``<failure>`` carries one line per mismatched step (expected vs
actual, with the step's line), ``<error>`` and ``<skipped>`` the case's message. A flaky case
passed in the end: it is a plain testcase whose ``<system-out>`` says it was flaky (the JUnit
schemas Jenkins and GitLab read have no flaky element). ``timestamp`` is the start in UTC
without zone, as the Ant schema's ``ISO8601_DATETIME_PATTERN`` wants.

Testcases stream to an anonymous scratch file next to the target as they arrive; ``finish``
writes the suite header with the counts, copies the testcases after it and renames the whole
into place. Each testcase is serialized by ElementTree (escaping) from :func:`printable` text
(no character XML 1.0 forbids).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from harness.report.atomic import Output, open_report, scratch_file
from harness.report.text import mismatch_lines, printable, problem
from harness.results import CaseOutcome, CaseResult, RunInfo, Summary

_SUITE = "attestlab"


def _classname(case: CaseResult) -> str:
    path = PurePosixPath(case.file.replace("\\", "/"))
    if not path.stem:
        return _SUITE
    folders = [part for part in path.parent.parts if part not in ("/", ".", "..")]
    return ".".join([*folders, path.stem])


def _timestamp(started_at: str) -> str:
    moment = datetime.fromisoformat(started_at)
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.isoformat(timespec="seconds")


def _testcase(case: CaseResult) -> ET.Element:
    element = ET.Element(
        "testcase",
        {
            "classname": printable(_classname(case)),
            "name": printable(f"{case.scenario}[{case.device}]"),
            "time": f"{case.duration_s:.3f}",
        },
    )
    if case.file:
        element.set("file", printable(case.file))
    message = printable(problem(case))
    if case.outcome is CaseOutcome.FAILED:
        lines = mismatch_lines(case)
        more = f" (+{len(lines) - 1} more)" if len(lines) > 1 else ""
        headline = printable(lines[0]) + more if lines else message
        failure = ET.SubElement(element, "failure", {"message": headline, "type": "expectation"})
        failure.text = printable("\n".join([*lines, case.message] if case.message else lines))
    elif case.outcome is CaseOutcome.ERROR:
        ET.SubElement(element, "error", {"message": message, "type": "error"}).text = message
    elif case.outcome is CaseOutcome.SKIPPED:
        ET.SubElement(element, "skipped", {"message": message})
    elif case.outcome is CaseOutcome.FLAKY:
        ET.SubElement(element, "system-out").text = f"flaky: {message}"
    return element


class JUnitReporter:
    """Streams a run into a JUnit XML file at ``path`` (assembled and renamed at :meth:`finish`)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._out: tuple[Output, Output] | None = None  # the report, and the testcases' scratch
        self._properties: dict[str, str] = {}
        self._timestamp = ""
        self._counts = Summary()

    def start(self, info: RunInfo) -> None:
        self._timestamp = _timestamp(info.started_at)
        self._properties = {"command": info.command, "seed": str(info.seed)}
        if info.shard is not None:
            self._properties["shard"] = info.shard
        if info.catalog is not None:
            self._properties["catalog"] = info.catalog
        out = open_report(self.path)
        self._out = (out, scratch_file(out))

    def add(self, case: CaseResult) -> None:
        body = self._started()[1]
        body.write(f"    {ET.tostring(_testcase(case), encoding='unicode')}\n")
        self._counts.count(case.outcome)

    def finish(self, summary: Summary) -> None:
        """Write the file with the counts of the cases received and the run's duration."""
        out, body = self._started()
        counts = self._counts
        counts.received(summary)
        self._properties.update(
            planned=str(summary.planned),
            deselected=str(summary.deselected),
            interrupted="true" if summary.interrupted else "false",
        )
        if summary.partial:
            self._properties["partial"] = "true"
        totals = {
            "tests": str(counts.total),
            "failures": str(counts.failed),
            "errors": str(counts.errors),
            "skipped": str(counts.skipped),
            "time": f"{summary.duration_s:.3f}",
        }
        suites = ET.Element("testsuites", {"name": _SUITE, **totals})
        suite = ET.SubElement(
            suites,
            "testsuite",
            {
                "name": _SUITE,
                **totals,
                "timestamp": self._timestamp,
            },
        )
        properties = ET.SubElement(suite, "properties")
        for name, value in self._properties.items():
            ET.SubElement(properties, "property", {"name": name, "value": printable(value)})
        # Serialize the empty suite and split it open to slip the streamed testcases inside.
        head, _, tail = ET.tostring(suites, encoding="unicode").rpartition("</testsuite>")
        with body, out:
            out.write(f'<?xml version="1.0" encoding="UTF-8"?>\n{head}\n')
            out.copy_from(body)
            out.write(f"  </testsuite>{tail}\n")

    def discard(self) -> None:
        if self._out is not None:
            for output in self._out:
                output.discard()

    def _started(self) -> tuple[Output, Output]:
        if self._out is None:
            raise RuntimeError("JUnitReporter.start() was not called")
        return self._out
