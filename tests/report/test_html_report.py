"""The HTML report, checked by parsing it: the grid's cells, their details, self-containment."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from report_cases import DECISION_MISMATCH, HINT_MISMATCH, INFO, ODD, drive, make_cases

from harness.report import HtmlReporter
from harness.report.html import MAX_TITLE_CHARS
from harness.report.text import printable
from harness.results import CaseOutcome, CaseResult, StepResult, Summary


@dataclass
class Cell:
    attrs: dict[str, str]
    text: str = ""
    links: list[str] = field(default_factory=list)


class Page(HTMLParser):
    """What the tests look at: grid cells by (scenario, device), details text by id, all tags."""

    def __init__(self, markup: str) -> None:
        super().__init__()
        self.cells: dict[tuple[str, str], Cell] = {}
        self.details: dict[str, str] = {}
        self.tags: set[str] = set()
        self.hrefs: list[str] = []
        self.text: list[str] = []
        #: The text of the grid alone (not the filters above it or the details below).
        self.grid_text: list[str] = []
        #: The attributes of every <script>: the page may have inline scripts, never a src.
        self.scripts: list[dict[str, str]] = []
        self._in_grid = False
        self._cell: Cell | None = None
        self._details: str | None = None
        self.feed(markup)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        self.tags.add(tag)
        if tag == "table":
            self._in_grid = True
        elif tag == "script":
            self.scripts.append(values)
        if "href" in values:
            self.hrefs.append(values["href"])
            if self._cell is not None:
                self._cell.links.append(values["href"])
        if tag == "td" and "data-scenario" in values:
            self._cell = Cell(values)
            self.cells[(values["data-scenario"], values["data-device"])] = self._cell
        elif tag == "details":
            self._details = values["id"]
            self.details[self._details] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._in_grid = False
        if tag == "td":
            self._cell = None
        elif tag == "details":
            self._details = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._in_grid:
            self.grid_text.append(data)
        if self._cell is not None:
            self._cell.text += data
        if self._details is not None:
            self.details[self._details] += data


def page(tmp_path: Path, cases: list[CaseResult]) -> Page:
    path = tmp_path / "report.html"
    drive(HtmlReporter(path), cases, duration_s=2.5)
    return Page(path.read_text(encoding="utf-8"))


def test_every_case_has_its_cell_with_outcome_in_words(tmp_path: Path) -> None:
    cases = make_cases()
    html = page(tmp_path, cases)
    words = {"passed": "passed", "failed": "FAILED", "error": "ERROR", "skipped": "skipped", "flaky": "flaky"}
    for case in cases:
        cell = html.cells[(printable(case.scenario), printable(case.device))]
        assert cell.attrs["data-outcome"] == case.outcome.value
        assert cell.attrs["data-file"] == case.file
        assert cell.attrs["class"] == f"o-{case.outcome.value}"
        assert cell.text.startswith(words[case.outcome.value])
        (anchor,) = cell.links
        assert anchor.startswith("#") and anchor[1:] in html.details


def test_hover_and_cell_show_the_decision_and_the_mismatches(tmp_path: Path) -> None:
    html = page(tmp_path, make_cases())
    passed = html.cells[("intune basic", "pixel-8")]
    assert passed.attrs["title"] == "step 2 (line 11) sign_in: managed (managed)"
    assert passed.text == "passedmanaged"
    failed = html.cells[("wrong hint", "pixel-8")]
    assert failed.text == "FAILEDhint_mismatch"
    assert failed.attrs["title"].splitlines() == [
        "step 2 (line 14) sign_in: not_managed (hint_mismatch)",
        f"mismatch: step 2 (line 14) sign_in: {DECISION_MISMATCH}; {HINT_MISMATCH}",
    ]
    error = html.cells[("broken", "iphone-15")]
    assert error.attrs["title"] == make_cases()[2].message


def test_combinations_not_run_are_marked(tmp_path: Path) -> None:
    html = page(tmp_path, make_cases())
    cell = html.cells[("intune basic", "iphone-15")]
    assert (cell.attrs["data-outcome"], cell.text, cell.links) == ("not-run", "—", [])
    devices = {device for _, device in html.cells}
    scenarios = {scenario for scenario, _ in html.cells}
    assert len(html.cells) == len(devices) * len(scenarios)


def test_details_show_steps_expected_vs_actual_and_remediation(tmp_path: Path) -> None:
    html = page(tmp_path, make_cases())
    (anchor,) = html.cells[("wrong hint", "pixel-8")].links
    details = html.details[anchor[1:]]
    for text in (
        "step 1 (line 9) emm_push",
        "step 2 (line 14) sign_in",
        "not_managed",
        DECISION_MISMATCH,
        HINT_MISMATCH,
        "Microsoft Intune",
        "https://portal.manage.microsoft.com/",
        "hint_whitespace",
    ):
        assert text in details
    assert "https://portal.manage.microsoft.com/" in html.hrefs


def test_summary_header_counts(tmp_path: Path) -> None:
    text = "".join(page(tmp_path, make_cases()).text)
    for count in (
        "6 cases",
        "1 passed",
        "2 failed",
        "1 error",
        "1 skipped",
        "1 flaky",
        "in 2.50s",
        "seed 42",
        "shard 1/2",
    ):
        assert count in text


def test_self_contained_and_hostile_text_is_inert(tmp_path: Path) -> None:
    html = page(tmp_path, make_cases())
    assert html.tags.isdisjoint({"link", "img", "iframe", "object"})
    assert html.scripts == [{}]  # one inline script, nothing loaded from anywhere
    assert all(href.startswith(("#", "https://")) for href in html.hrefs)  # no javascript:
    odd = html.cells[(printable(ODD), printable(ODD))]
    assert odd.attrs["data-outcome"] == "failed"
    assert "javascript:alert(1)" in html.details[odd.links[0][1:]]
    raw = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "<&\"'>" not in raw and "\x1b" not in raw and "\x00" not in raw


def test_rows_are_grouped_by_folder_then_tag(tmp_path: Path) -> None:
    loose = CaseResult("x", "loose", "pixel-8", CaseOutcome.PASSED, tags=["smoke"], file="x.yaml")
    text = "".join(page(tmp_path, [*make_cases(), loose]).grid_text)
    positions = [text.index(group) for group in ("android", "ios", "security", "smoke")]
    assert positions == sorted(positions)


def test_scenario_run_twice_on_a_device_shows_both_and_the_worst(tmp_path: Path) -> None:
    first = make_cases()[0]
    again = CaseResult(
        first.id + "#2",
        first.scenario,
        first.device,
        CaseOutcome.FAILED,
        [
            StepResult(
                "sign_in", "not_managed", "no_hint", line=11, mismatches=["reason: expected managed, got no_hint"]
            )
        ],
        file=first.file,
    )
    cell = page(tmp_path, [first, again]).cells[("intune basic", "pixel-8")]
    assert cell.attrs["data-outcome"] == "failed"
    assert cell.text == "passedmanagedFAILEDno_hint"
    assert len(cell.links) == 2


def test_hover_text_is_bounded(tmp_path: Path) -> None:
    case = CaseResult("x", "long", "d", CaseOutcome.ERROR, message="m" * 5000)
    title = page(tmp_path, [case]).cells[("long", "d")].attrs["title"]
    assert len(title) == MAX_TITLE_CHARS and title.endswith("…")


def test_interrupted_and_empty_runs_write_a_page(tmp_path: Path) -> None:
    path = tmp_path / "report.html"
    reporter = HtmlReporter(path)
    reporter.start(INFO)
    reporter.add(make_cases()[1])
    assert not path.exists()
    reporter.finish(Summary(duration_s=0.1))
    assert list(Page(path.read_text(encoding="utf-8")).cells) == [("wrong hint", "pixel-8")]
    assert "No case finished." in "".join(page(tmp_path, []).text)
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(scenario=st.text(), device=st.text(), reason=st.text())
def test_any_text_lands_in_its_cell(tmp_path: Path, scenario: str, device: str, reason: str) -> None:
    case = CaseResult("id", scenario, device, CaseOutcome.PASSED, [StepResult("sign_in", "managed", reason)])
    cell = page(tmp_path, [case]).cells[(printable(scenario), printable(device))]
    assert cell.attrs["data-outcome"] == "passed"
    assert cell.text == "passed" + printable(reason)


def test_devices_sort_naturally_whatever_their_digits() -> None:
    from harness.report.html import natural_key

    assert sorted(["Pixel 10", "Pixel 2", "iPhone15,10", "iPhone15,2", "Gerät ¹"], key=natural_key) == [
        "Gerät ¹",
        "iPhone15,2",
        "iPhone15,10",
        "Pixel 2",
        "Pixel 10",
    ]
