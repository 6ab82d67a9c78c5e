"""report html: one self-contained page at one commit, with the same numbers as its JSON,
no URL and no script, sealed values shown only to a reader who asks (--decrypt)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from conftest import Invoke, Member, git, head, raw, step
from formulactl.model.sealed import is_sealed
from formulactl.reports import sections
from formulactl.reports.html import HtmlReport, render_page
from formulactl.reports.sections import section_of
from formulactl.store.store import Store
from formulactl.trace.snapshot import Snapshot
from formulactl.trace.tables import Table, table
from html_fixture import TRACED


def report(store: Store, invoke: Invoke, *args: str | Path) -> dict[str, Any]:
    done = invoke("report", "html", "--json", *args, cwd=store.root)
    assert done.code == 0, done.err
    found: dict[str, Any] = json.loads(done.out)
    return found


def rows(found: dict[str, Any], table: str) -> list[list[Any]]:
    for section in found["sections"]:
        for item in section["tables"]:
            if item["title"] == table:
                return [list(row) for row in item["rows"]]
    raise AssertionError(f"no table {table}")


def test_the_json_holds_every_section_with_its_numbers(report_store: Store, invoke: Invoke) -> None:
    found = report(report_store, invoke)
    assert found["store_id"] == report_store.settings.store_id
    assert found["commit"] == head(report_store)
    assert found["decrypted"] is False
    assert [s["title"] for s in found["sections"]] == [
        "Archive overview",
        "Customers by class and type",
        "Reviews due",
        "Open and overdue complaints",
        "Satisfaction trend",
        "Churn list",
        "Staff KPIs",
    ]
    assert rows(found, "Records per kind and status") == [
        ["customer", "approved", 1],
        ["customer", "in_review", 1],
        ["formula", "approved", 1],
        ["material", "approved", 2],
        ["supplier", "approved", 1],
        ["batch", "—", 1],
        ["order", "—", 1],
        ["feedback", "investigating", 1],
        ["survey", "—", 3],
    ]
    assert found["sections"][0]["figures"] == {"records": 12}
    assert rows(found, "Customers by class and type") == [["A", "key", 1], ["B", "existing", 1]]
    waiting = [row for row in rows(found, "Reviews due") if row[3] == "approve"]
    assert waiting == [["", "C-00002", "customer", "approve", "", "submitted, waiting"]]
    titled = {section["title"]: section for section in found["sections"]}
    # The complaints, satisfaction, churn and KPI sections are those reports, judged today.
    overdue = (date.today() - date(2026, 11, 17)).days
    assert rows(found, "Complaints and claims") == [
        [
            "FB-20261110-9b1e",
            "C-00001",
            "medium",
            "2026-11-10",
            "investigating",
            None,
            None,
            None,
            None,
            f"not acknowledged; answer overdue since 2026-11-17 ({overdue} d)",
        ]
    ]
    assert titled["Open and overdue complaints"]["figures"] == {
        "open": 1,
        "answers overdue": 1,
        "CAPA overdue": 0,
    }
    assert titled["Open and overdue complaints"]["chart"]["series"] == [
        {"name": "complaints", "values": [1.0]}
    ]
    assert rows(found, "By month") == [
        ["2026-09", 2, 2, 100.0, 50, None, ""],
        ["2026-10", 1, 0, 0.0, -100, "-100 pts", ""],
    ]
    assert titled["Satisfaction trend"]["figures"] == {"surveys": 3, "CSAT %": 66.7, "NPS": 0}
    chart = titled["Satisfaction trend"]["chart"]
    assert (chart["kind"], chart["labels"]) == ("line", ["2026-09", "2026-10"])
    assert chart["series"] == [
        {"name": "CSAT %", "values": [100.0, 0.0]},
        {"name": "NPS", "values": [50.0, -100.0]},
    ]
    # One order day is no rhythm: nobody is flagged, so the churn list draws no chart.
    assert titled["Churn list"]["figures"] == {"at risk": 0, "steady": 0, "too little history": 1}
    assert rows(found, "Too little history (fewer than 3 order days)") == [
        ["C-00001", "华彩涂料", 1, "2026-11-01"]
    ]
    assert titled["Churn list"]["chart"] is None
    assert rows(found, "Entry and approval")[3] == ["zhang.min", 0, 1, 0, None, 0, 0.0, None, ""]
    assert titled["Staff KPIs"]["figures"] == {"people": 4}
    assert titled["Staff KPIs"]["chart"]["series"][1] == {
        "name": "submitted",
        "values": [0.0, 0.0, 0.0, 1.0],
    }


def test_the_page_is_written_names_store_and_commit_and_loads_nothing(
    report_store: Store, invoke: Invoke, tmp_path: Path
) -> None:
    output = tmp_path / "out" / "报告.html"
    output.parent.mkdir()
    commit = head(report_store)
    done = step(report_store, invoke, "report", "html", "--output", output, "--trace", TRACED)
    store_id = report_store.settings.store_id
    assert done.out == (
        f"Wrote {output}: 8 sections, 6 charts, store {store_id}, commit {commit[:10]} "
        "(sealed values hidden)\n"
    )
    page = output.read_text(encoding="utf-8")
    assert page.startswith('<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">')
    assert f'<code id="store-id">{store_id}</code>' in page
    assert f'<code id="commit">{commit}</code>' in page
    assert "Noto Sans CJK SC" in page
    assert "华彩涂料" in page
    assert "default-src 'none'" in page
    # No URL of any kind, no script, nothing loaded from anywhere.
    for banned in ("://", "<script", "src=", "<link", "@import", "//cdn"):
        assert banned not in page, banned
    assert page.count("<svg") == 6
    assert 'class="trace"' in page


def test_sealed_values_are_never_shown_unless_a_reader_decrypts(
    report_store: Store, invoke: Invoke, team_keys: dict[str, Member], tmp_path: Path
) -> None:
    sealed = tmp_path / "sealed.html"
    step(report_store, invoke, "report", "html", "-o", sealed, "--trace", TRACED)
    page = sealed.read_text(encoding="utf-8")
    assert "fcx2:" not in page and "312.5" not in page and "187.5" not in page
    assert "<td>TI-88</td><td></td><td></td><td>sealed</td><td>kg</td>" in page
    assert "M-00002 TI-88 · sealed" in page  # in the picture too
    assert "confidential values opened" not in page
    opened = tmp_path / "opened.html"
    key = team_keys["chen.jing"].key
    done = step(
        report_store,
        invoke,
        "report",
        "html",
        "-o",
        opened,
        "--trace",
        TRACED,
        "--decrypt",
        "--identity",
        key,
    )
    assert done.out.endswith("(decrypted by a reader)\n")
    page = opened.read_text(encoding="utf-8")
    assert "<td>TI-88</td><td></td><td></td><td>187.5</td><td>kg</td>" in page
    assert "M-00002 TI-88 · 187.5 kg" in page
    assert "fcx2:" not in page
    warning = page.index('<p class="decrypted" role="alert">This page shows confidential values')
    assert warning < page.index("<section")


def test_at_an_earlier_commit_shows_the_store_as_it_was(
    report_store: Store, invoke: Invoke
) -> None:
    before = git(report_store.root, "rev-parse", "HEAD^")
    found = report(report_store, invoke, "--at", before)
    assert found["commit"] == before
    customers = [row for row in rows(found, "Records per kind and status") if row[0] == "customer"]
    assert customers == [["customer", "approved", 1], ["customer", "draft", 1]]
    assert [row for row in rows(found, "Reviews due") if row[3] == "approve"] == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--trace", "B-20261105-009"), "no batch `B-20261105-009` in the store at"),
        (("--at", "2001-01-01"), "the store had no commits on or before 2001-01-01"),
        (("--identity", "key.txt"), "--identity is used only with --decrypt"),
        (("--format", "pdf"), "--format 'pdf' is not one of text, markdown, csv"),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(
    report_store: Store, invoke: Invoke, args: tuple[str, ...], message: str
) -> None:
    done = invoke("report", "html", *args, cwd=report_store.root)
    assert (done.code, done.out) == (2, "")
    assert done.err.startswith(f"formulactl: {message}")
    assert len(done.err.splitlines()) == 1
    assert not (report_store.root / "report.html").exists()


def test_the_tables_print_as_text_too(report_store: Store, invoke: Invoke) -> None:
    done = step(report_store, invoke, "report", "html", "--format", "csv")
    assert "By month,2026-09,2,2,100.0,50,," in done.out.splitlines()
    assert not (report_store.root / "report.html").exists()


def test_the_same_commit_gives_the_same_page(
    report_store: Store, invoke: Invoke, tmp_path: Path
) -> None:
    first, second = tmp_path / "1.html", tmp_path / "2.html"
    step(report_store, invoke, "report", "html", "-o", first, "--trace", TRACED)
    step(report_store, invoke, "report", "html", "-o", second, "--trace", TRACED)
    assert first.read_bytes() == second.read_bytes()


def test_merged_customers_count_under_the_customer_they_were_merged_into() -> None:
    snapshot = Snapshot(
        "c0ffee",
        {
            "customer": {
                "C-00001": {"class": "A", "type": "key"},
                "C-00002": {"class": "B", "type": "existing", "merged_into": "C-00001"},
                "C-00003": {"class": "B", "type": "existing"},
            },
            "feedback": {
                "FB-1": {"customer": "C-00002", "type": "complaint", "status": "open"},
            },
        },
    )
    found = sections.customers(snapshot)
    assert found.tables[0].rows == (("A", "key", 1), ("B", "existing", 1))
    assert found.figures == (("customers", 2),)
    assert found.note.startswith("1 merged customer(s) counted under")


def test_any_report_with_tables_becomes_a_section_and_sealed_cells_stay_sealed(
    report_store: Store,
) -> None:
    sealed = raw(report_store, f"batches/{TRACED}.yaml")["lots"][0]["quantity"]
    assert is_sealed(sealed)

    class Churn:  # stands for any report result offering tables()
        def tables(self) -> list[Table]:
            return [table("At risk", ("customer", "quantity"), [("C-00001", sealed)])]

    report = HtmlReport("fst-1", "c0ffee", "2026-12-01", False, (section_of("Churn", Churn()),))
    page = render_page(report)
    assert "<td>C-00001</td><td>sealed</td>" in page
    assert sealed not in page
    assert report.as_dict()["sections"][0]["tables"][0]["title"] == "At risk"


def test_a_date_given_as_at_is_the_day_every_section_is_judged_on(
    report_store: Store, invoke: Invoke
) -> None:
    found = report(report_store, invoke, "--at", "2027-01-01")
    assert (found["commit"], found["as_of"]) == (head(report_store), "2027-01-01")
    (complaint,) = rows(found, "Complaints and claims")
    assert complaint[-1] == "not acknowledged; answer overdue since 2026-11-17 (45 d)"
    titled = {section["title"]: section for section in found["sections"]}
    assert titled["Churn list"]["note"].startswith("From `report churn` on 2027-01-01:")
    note = titled["Open and overdue complaints"]["note"]
    assert note.startswith("From `report complaints` on 2027-01-01:")
