"""`due` lists customers not contacted within their class's interval and follow-ups whose
date passed, per owner, and owners who have left the team with who can take over."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from conftest import Invoke, Member, importable, step
from formulactl.archive.cadence import cadence_items, intervals, orphaned_owners
from formulactl.audit.reports import DueItem
from formulactl.model.team import Team
from formulactl.store.store import Store

TODAY = date(2026, 12, 1)
CUSTOMERS: dict[str, dict[str, Any]] = {
    "C-00001": {"class": "A", "owner": "li.wei", "status": "approved"},
    "C-00002": {"class": "B", "owner": "wang.fang", "status": "approved"},
    "C-00003": {"class": "C", "owner": "wang.fang", "status": "draft"},
    "C-00004": {"class": "A", "owner": "li.wei", "status": "archived"},
    "C-00005": {"class": "A", "owner": "li.wei", "status": "draft", "merged_into": "C-00002"},
    "C-00006": {"class": "A", "owner": "li.wei", "status": "draft"},  # never contacted
}


def contact(
    record_id: str, customer: str, day: str, next_date: str | None = None
) -> dict[str, Any]:
    found = {"id": record_id, "customer": customer, "date": day, "by": "li.wei"}
    if next_date:
        found.update(next_date=next_date, next_step="寄样")
    return found


INTERACTIONS = [
    contact("I-1", "C-00001", "2026-10-01", "2026-10-15"),  # A: due 2026-10-31, promise passed
    contact("I-2", "C-00001", "2026-09-01", "2026-09-05"),  # settled by the later I-1
    contact("I-3", "C-00002", "2026-08-01"),  # B: due 2026-10-30
    contact("I-4", "C-00005", "2026-11-20", "2026-12-20"),  # counts for C-00002, not yet due
    contact("I-5", "C-00003", "2026-11-01", "2026-11-30"),  # C: not due; promise passed
    contact("I-6", "C-00004", "2025-01-01", "2025-02-01"),  # archived: nothing
]


def test_overdue_contacts_and_follow_ups_by_class_and_owner() -> None:
    items = cadence_items(CUSTOMERS, INTERACTIONS, {}, TODAY)
    assert items == [
        DueItem(
            "2026-10-31",
            "C-00001",
            "customer",
            "contact",
            ("li.wei",),
            True,
            "class A: every 30 days, last contact 2026-10-01 (I-1)",
        ),
        DueItem(
            "2026-10-15",
            "I-1",
            "interaction",
            "follow-up",
            ("li.wei",),
            True,
            "C-00001 on 2026-10-01: 寄样",
        ),
        DueItem(
            "2026-11-30",
            "I-5",
            "interaction",
            "follow-up",
            ("wang.fang",),
            True,
            "C-00003 on 2026-11-01: 寄样",
        ),
    ]


def test_the_intervals_come_from_the_settings() -> None:
    settings = {"contact_interval_days": {"C": 20}}
    assert intervals(settings) == {"A": 30, "B": 90, "C": 20}
    items = cadence_items(CUSTOMERS, INTERACTIONS, settings, TODAY)
    assert [(item.record, item.due) for item in items if item.task == "contact"] == [
        ("C-00001", "2026-10-31"),
        ("C-00003", "2026-11-21"),
    ]


def test_a_merged_customers_contacts_count_for_the_one_it_was_merged_into() -> None:
    late = {**CUSTOMERS, "C-00005": {**CUSTOMERS["C-00005"], "merged_into": None}}
    without_merge = cadence_items(late, INTERACTIONS, {}, TODAY)
    assert ("C-00002", "contact") in [(item.record, item.task) for item in without_merge]
    with_merge = cadence_items(CUSTOMERS, INTERACTIONS, {}, TODAY)
    assert ("C-00002", "contact") not in [(item.record, item.task) for item in with_merge]


def test_owners_who_left_are_named_with_who_can_take_over() -> None:
    team = Team.from_data(
        {
            "people": [
                _person("chen.jing", "admin", "approver"),
                _person("zhang.min", "entry"),
                _person("wang.fang", "entry"),
                _person("liu.yang", "approver"),
            ]
        }
    )
    assert orphaned_owners(CUSTOMERS, team) == [
        DueItem(
            "",
            "li.wei",
            "customer",
            "reassign",
            ("chen.jing", "wang.fang", "zhang.min"),
            False,
            "li.wei owns 2 customer(s) (C-00001, C-00006) but is not in the team: "
            '`formulactl reassign --from li.wei --to chen.jing --reason "…"`',
        )
    ]


def _person(person_id: str, *roles: str) -> dict[str, Any]:
    return {
        "id": person_id,
        "name": person_id,
        "email": f"{person_id}@example.com",
        "roles": list(roles),
        "keys": [],
    }


def test_due_lists_them_for_each_owner(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member], tmp_path: Path
) -> None:
    day = (date.today() - timedelta(days=40)).isoformat()
    promised = (date.today() - timedelta(days=10)).isoformat()
    stamp = day.replace("-", "")
    source = importable(
        tmp_path / "incoming",
        {
            f"interactions/I-{stamp}-0a0a.yaml": (
                f'id: I-{stamp}-0a0a\ncustomer: C-00001\ndate: "{day}"\nchannel: visit\n'
                f"by: li.wei\npurpose: visit\nsummary: 季度拜访\nnext_step: 报价\n"
                f'next_date: "{promised}"\n'
            )
        },
    )
    step(signed_store, invoke, "import", source, "--reason", "拜访记录", who=team_keys["chen.jing"])
    done = invoke("due", "--overdue", cwd=signed_store.root)
    assert done.code == 0, done.err
    assert done.out.splitlines()[-2:] == [  # both fall on the same day: 40 - 30 = 10 days ago
        f"{promised}  OVERDUE contact  C-00001          by li.wei — class A: every 30 days, "
        f"last contact {day} (I-{stamp}-0a0a)",
        f"{promised}  OVERDUE follow-up I-{stamp}-0a0a  by li.wei — C-00001 on {day}: 报价",
    ]
    items = json.loads(invoke("due", "--overdue", "--json", cwd=signed_store.root).out)
    mine = [item for item in items if item["task"] in ("contact", "follow-up")]
    assert [(item["record"], item["due"], item["who"]) for item in mine] == [
        ("C-00001", promised, ["li.wei"]),
        (f"I-{stamp}-0a0a", promised, ["li.wei"]),
    ]
