"""A small signed store for the HTML report: the records of records_fixture, three
surveys over two months (the `report_store` fixture in conftest adds them and submits
C-00002 for review)."""

from __future__ import annotations

SURVEYS = {
    f"surveys/SV-{day.replace('-', '')}-{tag}.yaml": (
        f'id: SV-{day.replace("-", "")}-{tag}\ncustomer: C-00001\ndate: "{day}"\n'
        f"scores:\n  overall: {overall}\nnps: {nps}\ncomments: 交货及时\n"
    )
    for day, tag, overall, nps in (
        ("2026-09-03", "a1b2", 4, 8),
        ("2026-09-20", "c3d4", 5, 9),
        ("2026-10-11", "e5f6", 3, 6),
    )
}
TRACED = "B-20261105-001"
