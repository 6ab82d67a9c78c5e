"""`due`: what needs review, approval or an answer, by date, with who may act."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from conftest import (
    FB,
    OVERDUE_SUPPLIER,
    Invoke,
    Member,
    importable,
    in_days,
    interval,
    step,
    submitted,
)
from formulactl.store.store import Store

# ------------------------------------------------------------------ due


def test_due_lists_reviews_approvals_and_answers_by_date_with_who_may_act(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    submitted(signed_store, invoke, team_keys)
    done = invoke("due", "--json", cwd=signed_store.root)
    assert done.code == 0
    today = date.today().isoformat()
    approvers = ["chen.jing", "wang.fang"]
    expected = [
        (FB, "feedback", "2026-11-17", "respond", ["zhang.min", "wang.fang", "li.wei"]),
        ("C-00001", "customer", "2027-03-31", "review", approvers),
        ("F-000001", "formula", "2027-05-31", "review", approvers),
        ("S-0001", "supplier", "2027-06-30", "review", approvers),
        ("M-00001", "material", "2028-01-31", "review", approvers),
        ("M-00002", "material", "2028-01-31", "review", approvers),
        ("C-00002", "customer", "", "approve", approvers),
    ]
    assert json.loads(done.out) == [
        {
            "due": due,
            "record": record,
            "kind": kind,
            "task": task,
            "who": who,
            "overdue": bool(due) and due < today,
            "note": "",
        }
        for record, kind, due, task, who in expected
    ]


def test_due_prints_one_line_per_item(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    submitted(signed_store, invoke, team_keys)
    done = invoke("due", cwd=signed_store.root)
    assert done.code == 0
    lines = done.out.splitlines()
    assert len(lines) == 7
    flag = "OVERDUE " if date.today().isoformat() > "2027-03-31" else ""
    assert lines[1] == f"2027-03-31  {flag}review   C-00001          by chen.jing, wang.fang"
    assert lines[-1] == "waiting     approve  C-00002          by chen.jing, wang.fang"


def test_due_names_only_approvers_who_may_approve_a_record_in_review(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    wang = team_keys["wang.fang"]
    step(signed_store, invoke, "revise", "C-00001", "--reason", "新联系人", who=wang)
    step(signed_store, invoke, "set", "C-00001", "industry=涂料")
    step(signed_store, invoke, "submit", "C-00001")
    assert invoke("approve", "C-00001", cwd=signed_store.root).code == 2
    items = json.loads(invoke("due", "--json", cwd=signed_store.root).out)
    waiting = next(item for item in items if item["record"] == "C-00001")
    assert (waiting["task"], waiting["who"]) == ("approve", ["chen.jing"])


def test_due_overdue_lists_only_what_is_past_its_date(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member], tmp_path: Path
) -> None:
    source = importable(tmp_path / "incoming", {"suppliers/S-0002.yaml": OVERDUE_SUPPLIER})
    step(signed_store, invoke, "import", source, "--reason", "旧档案", who=team_keys["chen.jing"])
    everything = json.loads(invoke("due", "--json", cwd=signed_store.root).out)
    done = invoke("due", "--overdue", "--json", cwd=signed_store.root)
    assert done.code == 0
    overdue = json.loads(done.out)
    assert overdue == [item for item in everything if item["overdue"]]
    assert overdue[0] == {
        "due": "2020-01-31",
        "record": "S-0002",
        "kind": "supplier",
        "task": "review",
        "who": ["chen.jing", "wang.fang"],
        "overdue": True,
        "note": "",
    }
    text = invoke("due", "--overdue", cwd=signed_store.root).out.splitlines()
    assert len(text) == len(overdue)
    assert text[0] == "2020-01-31  OVERDUE review   S-0002           by chen.jing, wang.fang"


def test_a_reaffirmed_record_moves_down_the_due_list(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    step(signed_store, invoke, "reaffirm", "C-00001", who=team_keys["chen.jing"])
    items = json.loads(invoke("due", "--json", cwd=signed_store.root).out)
    reviewed = next(item for item in items if item["record"] == "C-00001")
    assert reviewed["due"] == in_days(interval(signed_store, "customer"))
    assert reviewed["overdue"] is False
