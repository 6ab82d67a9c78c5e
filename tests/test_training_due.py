"""`due` lists training that expired or expires within 30 days, and people holding a role
without a course `training_required` names for it; taking a course again renews it."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from conftest import Invoke, Member, commit_as, edit_yaml, in_days
from formulactl.audit.reports import DueItem
from formulactl.reports.training import training_items
from formulactl.store.store import Store

REQUIRED = {"entry": ["GMP basics"], "approver": ["GMP basics", "formula review"]}


def trained(soon: str) -> dict[str, list[dict[str, str]]]:
    """chen.jing's GMP basics expires on `soon`; zhang.min renewed hers; wang.fang's
    expired and she never took formula review; li.wei took nothing."""
    return {
        "chen.jing": [
            {"course": "GMP basics", "date": "2025-01-10", "expires": soon},
            {"course": "formula review", "date": "2025-02-01"},
        ],
        "zhang.min": [
            {"course": "GMP basics", "date": "2024-01-01", "expires": "2025-01-01"},
            {"course": "GMP basics", "date": "2025-01-05", "expires": "2099-01-05"},
        ],
        "wang.fang": [{"course": "GMP basics", "date": "2024-06-30", "expires": "2025-06-30"}],
    }


def with_training(team: dict[str, Any], soon: str) -> dict[str, Any]:
    courses = trained(soon)
    for person in team["people"]:
        if person["id"] in courses:
            person["training"] = courses[person["id"]]
    return team


def test_expiring_expired_and_missing_training(signed_store: Store) -> None:
    team = with_training(signed_store.load_checked("team.yaml", "team"), "2026-12-20")
    found = training_items(team, {"training_required": REQUIRED}, date(2026, 12, 1))
    assert found == [
        DueItem("2026-12-20", "GMP basics", "training", "retrain", ("chen.jing",), False),
        DueItem("2025-06-30", "GMP basics", "training", "retrain", ("wang.fang",), True),
        DueItem("", "formula review (approver)", "training", "train", ("wang.fang",), True),
        DueItem("", "GMP basics (entry)", "training", "train", ("li.wei",), True),
    ]
    # Without requirements only expiry counts.
    assert training_items(team, {}, date(2026, 12, 1)) == found[:2]


def test_due_lists_training_beside_reviews_and_answers(
    signed_store: Store, team_keys: dict[str, Member], invoke: Invoke
) -> None:
    soon = in_days(10)
    edit_yaml(signed_store, "team.yaml", "team", lambda team: with_training(team, soon))
    edit_yaml(
        signed_store, "formulactl.yaml", "settings", lambda s: s.update(training_required=REQUIRED)
    )
    commit_as(signed_store.root, team_keys["chen.jing"], "training records and requirements")
    lines = invoke("due", cwd=signed_store.root).out.splitlines()
    assert [line for line in lines if " train" in line or "retrain" in line] == [
        "2025-06-30  OVERDUE retrain  GMP basics       by wang.fang",
        f"{soon}  retrain  GMP basics       by chen.jing",
        "waiting     OVERDUE train    GMP basics (entry) by li.wei",
        "waiting     OVERDUE train    formula review (approver) by wang.fang",
    ]
    overdue = invoke("due", "--overdue", "--json", cwd=signed_store.root).out
    training = [item for item in json.loads(overdue) if item["kind"] == "training"]
    assert [(item["record"], item["who"]) for item in training] == [
        ("GMP basics", ["wang.fang"]),
        ("GMP basics (entry)", ["li.wei"]),
        ("formula review (approver)", ["wang.fang"]),
    ]
    assert invoke("validate", cwd=signed_store.root).code == 0
