"""The HTML grid in a real browser: headless Chromium (Debian's ``chromium``) driven by Playwright.

The page is what a person opens from CI: it must load without a console error, show a clicked
cell's details at once, hide rows with a filter and keep its header and scenario column in place
while a 60-device grid scrolls. A screenshot of that grid is left in the test's temp dir.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from harness.report import HtmlReporter
from harness.results import CaseOutcome, CaseResult, StepResult
from tests.report.report_cases import drive

playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is a test extra")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no chromium on PATH (.ci/run installs Debian's chromium)")

DEVICES = [f"Pixel {n} · Android {12 + n % 4}" for n in range(1, 31)] + [
    f"iPhone{14 + n % 4},{n} · iOS 18.{n % 6}" for n in range(1, 31)
]


def _grid_cases() -> list[CaseResult]:
    """30 scenarios on 60 devices (each on its platform's 30); one fails on Pixel 7, one errors."""
    cases = []
    for s in range(30):
        platform = "android" if s < 15 else "ios"
        for device in DEVICES:
            if (platform == "android") != device.startswith("Pixel"):
                continue
            outcome, steps, message = CaseOutcome.PASSED, [StepResult("sign_in", "managed", "managed", line=10)], ""
            if s == 2 and device.startswith("Pixel 7 "):
                outcome = CaseOutcome.FAILED
                steps = [
                    StepResult(
                        "sign_in",
                        "not_managed",
                        "hint_mismatch",
                        remediation={"title": "Additional setup required", "provider": "Microsoft Intune"},
                        findings=["hint_key_case"],
                        mismatches=["reason: expected managed, got hint_mismatch"],
                        line=12,
                    )
                ]
            if s == 20 and device.startswith("iPhone15,1 "):
                outcome, steps, message = CaseOutcome.ERROR, [], "capture:x: the capture has no answer"
            cases.append(
                CaseResult(
                    f"{platform}-check-{s}[{device}]",
                    f"{platform}-check-{s}",
                    device,
                    outcome,
                    steps,
                    message,
                    file=f"{platform}/check-{s}.yaml",
                    tags=[platform, "intune" if s % 2 else "workspace-one"],
                    platform=platform,
                    emm="intune" if s % 2 else "workspace_one",
                )
            )
    return cases


#: Back to the state the page loaded in: every filter on "all" (through its change event, as a
#: person's choice), the details panel closed, the grid scrolled to its top left corner.
_RESET = """() => {
  document.querySelectorAll('.filters select').forEach((s) => {
    s.value = '';
    s.dispatchEvent(new Event('change'));
  });
  document.getElementById('panel').hidden = true;
  const grid = document.querySelector('.scroll');
  grid.scrollTop = 0;
  grid.scrollLeft = 0;
  return [grid.scrollTop, grid.scrollLeft];
}"""


def devices_in_natural_order(grid: Any) -> None:
    headers = grid.locator("table.grid thead th").all_inner_texts()
    assert headers[0] == "scenario" and headers[-1] == "passed"
    pixels = [h for h in headers if h.startswith("Pixel")]
    assert pixels[:3] == ["Pixel 1 · Android 13", "Pixel 2 · Android 14", "Pixel 3 · Android 15"]
    assert pixels.index("Pixel 9 · Android 13") < pixels.index("Pixel 10 · Android 14")
    assert len(headers) == 60 + 2


def a_click_on_a_failing_cell_shows_its_details_at_once(grid: Any) -> None:
    panel = grid.locator("#panel")
    assert not panel.is_visible()
    grid.locator('td[data-outcome="failed"]').click()
    assert panel.is_visible()
    text = panel.inner_text()
    assert "android-check-2 [Pixel 7" in text
    assert "reason: expected managed, got hint_mismatch" in text
    assert "hint_key_case" in text and "Microsoft Intune" in text
    grid.locator("#panel-close").click()
    assert not panel.is_visible()


def a_filter_hides_the_other_rows(grid: Any) -> None:
    rows = grid.locator("table.grid tbody tr[data-platform]")
    visible = grid.locator("table.grid tbody tr[data-platform]:visible")  # one query, not one a row
    assert rows.count() == 30
    grid.select_option('select[name="outcomes"]', "failed")
    assert visible.locator("th").all_inner_texts() == ["android-check-2"]
    grid.select_option('select[name="outcomes"]', "")
    grid.select_option('select[name="platform"]', "ios")
    assert visible.count() == 15 and rows.count() == 30
    assert not grid.locator("tr.group-row", has_text="android").is_visible()


def header_and_scenario_column_stay_in_place_when_scrolling(grid: Any) -> None:
    before_header = grid.locator("table.grid thead th").nth(5).bounding_box()
    before_name = grid.locator('table.grid th[scope="row"]').first.bounding_box()
    scrolled = grid.locator(".scroll").evaluate(
        "(el) => { el.scrollTop = 400; el.scrollLeft = 3000; return [el.scrollTop, el.scrollLeft]; }"
    )
    assert scrolled[0] > 100 and scrolled[1] > 100  # the grid really moved under them
    after_header = grid.locator("table.grid thead th").nth(5).bounding_box()
    after_name = grid.locator('table.grid th[scope="row"]').first.bounding_box()
    assert after_header["y"] == pytest.approx(before_header["y"], abs=1)  # the header row stayed on top
    assert after_name["x"] == pytest.approx(before_name["x"], abs=1)  # the scenario column stayed left


CHECKS = [
    devices_in_natural_order,
    a_click_on_a_failing_cell_shows_its_details_at_once,
    a_filter_hides_the_other_rows,
    header_and_scenario_column_stay_in_place_when_scrolling,
]


def test_the_grid_in_chromium(tmp_path: Path) -> None:
    """Every check of :data:`CHECKS` on one Chromium, one rendered report and one page load.

    One test, not one a check: loading the 900-case grid is most of the time here (~1.3 s of
    Chromium's CPU a load, another ~1.5 s to start Playwright and Chromium), and xdist hands
    tests out one at a time, so tests of one module sharing a module fixture would each start
    and load on both workers. Each check starts from the state the page loaded in (restored by
    :data:`_RESET`, and checked) and must raise no console error; a failure names its check.
    """
    path = tmp_path / "grid.html"
    drive(HtmlReporter(path), _grid_cases())
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        errors: list[str] = []
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(path.as_uri())
        page.screenshot(path=str(tmp_path / "grid-60-devices.png"))
        assert errors == [], "while loading"
        for check in CHECKS:
            assert page.evaluate(_RESET) == [0, 0], f"{check.__name__}: could not scroll back"
            assert not page.locator("#panel").is_visible(), f"{check.__name__}: the panel stayed open"
            visible = page.locator("table.grid tbody tr[data-platform]:visible").count()
            assert visible == 30, f"{check.__name__}: {visible} rows shown after the reset"
            check(page)
            assert errors == [], check.__name__
        browser.close()
