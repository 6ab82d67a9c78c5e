"""`report suppliers` on a small store: the latest evaluation, its trend, the materials and
formulas that depend on each supplier, and a disqualified supplier still listed by an
approved material as a finding."""

from __future__ import annotations

import json

from conftest import Invoke, Member
from formulactl.reports.suppliers import suppliers_report
from formulactl.store.store import Store
from quality_fixture import basis, put, rows


def evaluation(day: str, result: str, *scores: int) -> str:
    quality, delivery, price, service = scores
    return (
        f'  - date: "{day}"\n    by: li.wei\n    scores:\n      quality: {quality}\n'
        f"      delivery: {delivery}\n      price: {price}\n      service: {service}\n"
        f"    result: {result}\n"
    )


RECORDS = {
    "suppliers/S-0001.yaml": "id: S-0001\nname: 龙蟒佰利联集团\nqualification: disqualified\n"
    "status: approved\nversion: 1\nevaluations:\n"
    + evaluation("2026-06-01", "disqualified", 50, 60, 70, 40)
    + evaluation("2025-06-01", "approved", 80, 80, 80, 80),
    "suppliers/S-0002.yaml": "id: S-0002\nname: 江苏某化工\nqualification: conditional\n"
    "status: approved\nversion: 1\nevaluations:\n"
    + evaluation("2026-03-01", "conditional", 70, 80, 75, 75),
    "suppliers/S-0003.yaml": "id: S-0003\nname: 某助剂\nqualification: pending\n"
    'last_evaluation: "2025-12-01"\nstatus: draft\nversion: 1\n',
    "materials/M-00003.yaml": "id: M-00003\nname: 分散剂\nsuppliers:\n  - S-0003\n"
    "status: draft\nversion: 1\n",
}


def test_latest_evaluation_trend_dependents_and_a_disqualified_supplier_in_use(
    signed_store: Store, team_keys: dict[str, Member], invoke: Invoke
) -> None:
    put(signed_store, team_keys["zhang.min"], RECORDS)
    found = suppliers_report(basis(signed_store, "2026-12-01"))
    reason = "disqualified on 2026-06-01 but listed by approved material M-00002"
    assert rows(found, "Findings") == [("S-0001", "M-00002", reason)]
    assert rows(found, "Suppliers") == [
        (
            "S-0001",
            "龙蟒佰利联集团",
            "2026-06-01",
            "disqualified",
            55,
            "-25 pts",
            1,
            1,
            1,
            f"{reason}; score down 25 pts",
        ),
        (
            "S-0002",
            "江苏某化工",
            "2026-03-01",
            "conditional",
            75,
            None,
            0,
            0,
            0,
            "conditional since 2026-03-01",
        ),
        (
            "S-0003",
            "某助剂",
            "2025-12-01",
            "pending",
            None,
            None,
            1,
            0,
            0,
            "no evaluation recorded; from its qualification",
        ),
    ]
    assert rows(found, "What depends on suppliers not approved") == [
        ("S-0001", "M-00002", "钛白粉", "approved", "F-000001"),
        ("S-0003", "M-00003", "分散剂", "draft", ""),
    ]
    done = invoke("report", "suppliers", "--json", cwd=signed_store.root)
    assert json.loads(done.out)["summary"] == {
        "suppliers": 3,
        "disqualified_still_used": 1,
        "results": {"conditional": 1, "disqualified": 1, "pending": 1},
    }
    markdown = invoke("report", "suppliers", "--format", "markdown", cwd=signed_store.root).out
    assert f"| S-0001 | M-00002 | {reason} |" in markdown
