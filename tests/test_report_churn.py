"""`report churn`: a planted churner with its evidence, a steady buyer left alone, and a
customer with too little history to judge."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import Invoke, Member
from formulactl.store.store import Store
from sales_fixture import customer, import_sales, order

COMPLAINT = """\
id: FB-20260610-c0c3
customer: C-00003
date: "2026-06-10"
type: complaint
severity: medium
description: 漆膜起泡
response_due: "2026-06-17"
status: open
"""
SURVEY = """\
id: SV-20260615-c0c3
customer: C-00003
date: "2026-06-15"
scores:
  overall: 2
"""
VISIT = """\
id: I-20260701-c0c3
customer: C-00003
date: "2026-07-01"
channel: call
by: li.wei
summary: 客户说在比较其他供应商
"""


@pytest.fixture
def history(signed_store: Store, team_keys: dict[str, Member], tmp_path: Path) -> Store:
    """C-00003 ordered monthly to May and stopped; C-00004 orders every two months."""
    records = [
        customer("C-00003", "甲"),
        customer("C-00004", "乙"),
        *(order("C-00003", f"2026-0{month}-05", 100, 10) for month in range(1, 6)),
        *(order("C-00004", f"2026-{month:02d}-20", 50, 10) for month in (5, 7, 9, 11)),
        ("feedback/FB-20260610-c0c3.yaml", COMPLAINT),
        ("surveys/SV-20260615-c0c3.yaml", SURVEY),
        ("interactions/I-20260701-c0c3.yaml", VISIT),
    ]
    import_sales(signed_store, team_keys, tmp_path / "sales", records)
    return signed_store


def test_a_planted_churner_with_its_evidence(history: Store, invoke: Invoke) -> None:
    done = invoke("report", "churn", "--on", "2026-12-01", "--json", cwd=history.root)
    assert done.code == 0, done.err
    found = json.loads(done.out)
    assert found["rule"] == "gap since last order > 2 × median interval between orders"
    assert found["churners"] == [
        {
            "customer": "C-00003",
            "name": "甲",
            "owner": "wang.fang",
            "last_order": "2026-05-05",
            "gap_days": 210,
            "usual_days": 30.5,  # intervals 31, 28, 31, 30 days
            "ratio": 6.9,
            "quarters": {"2026Q1": 3, "2026Q2": 2, "2026Q3": 0, "2026Q4": 0},
            "open_complaints": ["FB-20260610-c0c3"],
            "low_scores": ["SV-20260615-c0c3 overall 2"],
            "last_contact": "2026-07-01",
            "last_contact_by": "li.wei",
        }
    ]
    assert found["steady"] == 1  # C-00004: 11 days since its last order, usual 61
    # C-00001 has one order in the small store: no rhythm to judge
    assert found["too_little_history"] == [
        {"customer": "C-00001", "name": "华彩涂料", "order_days": 1, "last_order": "2026-11-01"}
    ]


def test_text_states_the_factor_and_lists_too_little_history(
    history: Store, invoke: Invoke
) -> None:
    done = invoke("report", "churn", "--on", "2026-12-01", "--factor", "3", cwd=history.root)
    assert done.code == 0, done.err
    assert "Gap since last order > 3 × the customer's usual interval:" in done.out
    assert "  C-00003   甲    wang.fang  2026-05-05  210    30.5     6.9  3 → 2 → 0 → 0" in done.out
    assert "Too little history (fewer than 3 order days):" in done.out


def test_a_gap_within_the_rhythm_is_not_churn(history: Store, invoke: Invoke) -> None:
    done = invoke("report", "churn", "--on", "2026-05-20", "--json", cwd=history.root)
    found = json.loads(done.out)
    assert found["churners"] == []
    assert found["steady"] == 1  # C-00003; C-00004 had one order by then
    assert [row["customer"] for row in found["too_little_history"]] == ["C-00004"]


def test_bad_factor_is_one_line(history: Store, invoke: Invoke) -> None:
    done = invoke("report", "churn", "--factor", "1", cwd=history.root)
    assert (done.code, done.err) == (
        2,
        "formulactl: --factor 1 must be above 1 — e.g. --factor 2\n",
    )
