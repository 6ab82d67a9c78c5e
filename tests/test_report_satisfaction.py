"""`report satisfaction` on a small store: CSAT (overall 4 or 5) and NPS per quarter and
month with the trend, per customer class and owner, against the target; a store without
surveys says so."""

from __future__ import annotations

import json

import pytest

from conftest import Invoke, Member
from formulactl.reports.satisfaction import satisfaction_report
from formulactl.store.store import Store
from quality_fixture import basis, put, rows, settings

# (ID, customer, overall, nps): C-00001 is class A owned by li.wei, C-00002 B by wang.fang.
SURVEYS = [
    ("SV-20260110-0001", "C-00001", 5, 10),
    ("SV-20260220-0002", "C-00002", 3, 6),
    ("SV-20260405-0003", "C-00001", 4, 9),
    ("SV-20260415-0004", "C-00002", 4, 7),
    ("SV-20260501-0005", "C-00002", 5, 9),
]


def survey(sid: str, customer: str, overall: int, nps: int) -> str:
    day = f"{sid[3:7]}-{sid[7:9]}-{sid[9:11]}"
    return (
        f'id: {sid}\ncustomer: {customer}\ndate: "{day}"\nby: li.wei\n'
        f"scores:\n  overall: {overall}\nnps: {nps}\n"
    )


@pytest.fixture
def survey_store(signed_store: Store, team_keys: dict[str, Member]) -> Store:
    settings(signed_store, team_keys["chen.jing"], targets={"satisfaction_percent": 95})
    put(
        signed_store,
        team_keys["zhang.min"],
        {f"surveys/{row[0]}.yaml": survey(*row) for row in SURVEYS},
    )
    return signed_store


def test_csat_and_nps_per_quarter_class_and_owner_against_the_target(survey_store: Store) -> None:
    found = satisfaction_report(basis(survey_store, "2026-12-01"))
    below = "CSAT {} % below target 95 %".format
    assert rows(found, "By quarter") == [
        ("2026-Q1", 2, 1, 50.0, 0, None, below(50.0)),
        ("2026-Q2", 3, 3, 100.0, 67, "+50 pts", ""),
    ]
    assert rows(found, "By customer class") == [
        ("A", 2, 2, 100.0, 100, ""),
        ("B", 3, 2, 66.7, 0, below(66.7)),
    ]
    assert rows(found, "By owner") == [
        ("li.wei", 2, 2, 100.0, 100, ""),
        ("wang.fang", 3, 2, 66.7, 0, below(66.7)),
    ]
    assert rows(found, "Low scores") == [
        (
            "SV-20260220-0002",
            "C-00002",
            "2026-02-20",
            3,
            6,
            "overall 3 < 4; detractor (would recommend 6/10)",
        )
    ]
    assert found.summary == {
        "surveys": 5,
        "csat_percent": 80.0,
        "nps": 40,
        "target_percent": 95.0,
        "period": "quarter",
    }


def test_months_show_the_trend_from_month_to_month(survey_store: Store, invoke: Invoke) -> None:
    done = invoke("report", "satisfaction", "--period", "month", "--json", cwd=survey_store.root)
    months = json.loads(done.out)["tables"]["By month"]
    assert [(m["month"], m["CSAT %"], m["NPS"], m["trend"]) for m in months] == [
        ("2026-01", 100.0, 100, None),
        ("2026-02", 0.0, -100, "-100 pts"),
        ("2026-04", 100.0, 50, "+100 pts"),
        ("2026-05", 100.0, 100, "+0 pts"),
    ]


def test_a_store_without_surveys_says_so(signed_store: Store, invoke: Invoke) -> None:
    done = invoke("report", "satisfaction", cwd=signed_store.root)
    assert done.code == 0
    assert "\nBy quarter: none\n" in done.out
    assert "\nLow scores: none" in done.out
