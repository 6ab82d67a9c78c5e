"""The HTML report in a real browser: Debian's chromium, driven by playwright, opens the
page from file:// with no console error and no network request, shows every chart, and
shows the same numbers as the JSON reports it is made of (`report complaints`,
`satisfaction`, `churn`, `kpi`); a screenshot is kept as a test artifact."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from conftest import PROJECT, Invoke, step
from formulactl.store.store import Store

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

# Debian's package `chromium` (installed by .ci/run); playwright never downloads a browser.
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
TRACED = "B-20261120-001"


def artifacts() -> Path:
    folder = Path(os.environ.get("FORMULACTL_TEST_ARTIFACTS") or PROJECT / "tests" / "artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def cell(value: Any) -> str:
    return "" if value is None else str(value)


def json_of(store: Store, invoke: Invoke, *args: str) -> dict[str, Any]:
    found: dict[str, Any] = json.loads(step(store, invoke, *args, "--json").out)
    return found


def shown_rows(page: Page, section: str, table: str) -> list[list[str]]:
    """A table's cells as the browser lays them out; [] for a table shown as “None.”."""
    found = page.locator(f'section[data-title="{section}"] [data-table="{table}"]')
    if found.inner_text() == "None.":
        return []
    return [row.locator("td").all_inner_texts() for row in found.locator("tbody tr").all()]


def figure(page: Page, section: str, name: str) -> str:
    return page.locator(f'section[data-title="{section}"] dd[data-figure="{name}"]').inner_text()


def check_visible(charts: Locator) -> None:
    for index in range(charts.count()):
        chart = charts.nth(index)
        chart.scroll_into_view_if_needed()
        box = chart.bounding_box()
        assert chart.is_visible() and box is not None
        assert box["width"] > 200 and box["height"] > 100


def test_the_page_in_chromium_loads_nothing_shows_every_chart_and_the_reports_numbers(
    sample_signed_store: Store, invoke: Invoke, tmp_path: Path
) -> None:
    assert Path(CHROMIUM).is_file(), "install Debian's chromium (apt-get install chromium)"
    from playwright.sync_api import sync_playwright

    store = sample_signed_store
    page_file = tmp_path / "report.html"
    step(store, invoke, "report", "html", "-o", page_file, "--trace", TRACED)
    expected = json_of(store, invoke, "report", "html", "--trace", TRACED)
    day = expected["as_of"]
    reports = {
        "Open and overdue complaints": json_of(store, invoke, "report", "complaints"),
        "Satisfaction trend": json_of(store, invoke, "report", "satisfaction", "--period", "month"),
        "Staff KPIs": json_of(store, invoke, "report", "kpi"),
    }
    churn = json_of(store, invoke, "report", "churn", "--on", day)
    console: list[str] = []
    errors: list[str] = []
    requests: list[str] = []
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.on("request", lambda request: requests.append(request.url))
            page.goto(page_file.as_uri(), wait_until="load")
            page.screenshot(path=str(artifacts() / "html-report.png"), full_page=True)
            assert requests == [page_file.as_uri()]
            assert (console, errors) == ([], [])
            drawn = [s["title"] for s in expected["sections"] if s["chart"] or s["picture"]]
            assert drawn == [
                "Archive overview",
                "Customers by class and type",
                "Open and overdue complaints",
                "Satisfaction trend",
                "Churn list",
                "Staff KPIs",
                f"Trace of {TRACED}",
            ]
            assert page.locator("svg").count() == len(drawn)
            check_visible(page.locator("svg"))
            assert page.locator("#store-id").inner_text() == expected["store_id"]
            assert page.locator("#commit").inner_text() == expected["commit"]
            # Every number on the page is the page's JSON...
            for section in expected["sections"]:
                for name, value in section["figures"].items():
                    assert figure(page, section["title"], name) == str(value)
                for table in section["tables"]:
                    rows = [[cell(v) for v in row] for row in table["rows"]]
                    assert shown_rows(page, section["title"], table["title"]) == rows
            # ...and the JSON of the report each section is made of, at the same commit.
            for title, report in reports.items():
                assert report["commit"] == expected["commit"]
                assert report["tables"], title
                for name, dicts in report["tables"].items():
                    rows = [[cell(v) for v in found.values()] for found in dicts]
                    assert shown_rows(page, title, name) == rows, (title, name)
            summary = reports["Open and overdue complaints"]["summary"]
            assert figure(page, "Open and overdue complaints", "open") == str(summary["open"])
            assert figure(page, "Open and overdue complaints", "answers overdue") == str(
                summary["answers_overdue"]
            )
            summary = reports["Satisfaction trend"]["summary"]
            assert figure(page, "Satisfaction trend", "surveys") == str(summary["surveys"])
            assert figure(page, "Satisfaction trend", "CSAT %") == str(summary["csat_percent"])
            assert churn["commit"] == expected["commit"]
            flagged = shown_rows(page, "Churn list", next(iter(_titles(expected, "Churn list"))))
            assert [row[0] for row in flagged] == [c["customer"] for c in churn["churners"]]
            assert [row[4] for row in flagged] == [str(c["gap_days"]) for c in churn["churners"]]
            assert figure(page, "Churn list", "at risk") == str(len(churn["churners"]))
            assert figure(page, "Churn list", "steady") == str(churn["steady"])
            assert len(churn["churners"]) > 0  # the sample store has customers gone quiet
            # Chinese text is laid out with a CJK font, not as empty boxes.
            name = page.locator("td", has_text=churn["churners"][0]["name"]).first
            assert name.bounding_box() is not None
        finally:
            browser.close()


def _titles(report: dict[str, Any], section: str) -> list[str]:
    (found,) = [s for s in report["sections"] if s["title"] == section]
    return [table["title"] for table in found["tables"]]
