"""The HTML report in a real browser: Debian's chromium, driven by playwright, opens the
page from file:// with no console error and no network request, shows every chart, and
shows the same numbers as the JSON report; a screenshot is kept as a test artifact."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

from conftest import PROJECT, Invoke, step
from formulactl.store.store import Store
from html_fixture import TRACED

# Debian's package `chromium` (installed by .ci/run); playwright never downloads a browser.
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def artifacts() -> Path:
    folder = Path(os.environ.get("FORMULACTL_TEST_ARTIFACTS") or PROJECT / "tests" / "artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def cell(value: Any) -> str:
    return "" if value is None else str(value)


def test_the_page_in_chromium_loads_nothing_shows_every_chart_and_the_json_numbers(
    report_store: Store, invoke: Invoke, tmp_path: Path
) -> None:
    assert Path(CHROMIUM).is_file(), "install Debian's chromium (apt-get install chromium)"
    from playwright.sync_api import sync_playwright

    page_file = tmp_path / "report.html"
    step(report_store, invoke, "report", "html", "-o", page_file, "--trace", TRACED)
    done = step(report_store, invoke, "report", "html", "--json", "--trace", TRACED)
    expected = json.loads(done.out)
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
            charts = page.locator("svg")
            drawn = [s for s in expected["sections"] if s["chart"] or s["picture"]]
            assert charts.count() == len(drawn) == 5  # four pygal charts, the trace picture
            for index in range(charts.count()):
                chart = charts.nth(index)
                chart.scroll_into_view_if_needed()
                box = chart.bounding_box()
                assert chart.is_visible() and box is not None
                assert box["width"] > 200 and box["height"] > 100
            assert page.locator("#store-id").inner_text() == expected["store_id"]
            assert page.locator("#commit").inner_text() == expected["commit"]
            for section in expected["sections"]:
                shown = page.locator(f'section[data-title="{section["title"]}"]')
                for name, value in section["figures"].items():
                    figure = shown.locator(f'dd[data-figure="{name}"]').inner_text()
                    assert figure == str(value)
                for table in section["tables"]:
                    found = shown.locator(f'[data-table="{table["title"]}"]')
                    if not table["rows"]:
                        assert found.inner_text() == "None."
                        continue
                    header = found.locator("thead th").all_inner_texts()
                    assert header == table["columns"]
                    rows = [
                        row.locator("td").all_inner_texts()
                        for row in found.locator("tbody tr").all()
                    ]
                    assert rows == [[cell(v) for v in row] for row in table["rows"]]
            # Chinese text is laid out with a CJK font, not as empty boxes.
            name = page.locator("td", has_text="华彩涂料").first
            assert name.bounding_box() is not None
        finally:
            browser.close()
