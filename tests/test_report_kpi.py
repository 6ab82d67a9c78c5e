"""`report kpi` from signed history on a small store: records entered, first-pass approval
rate, reject rate and submit-to-approve time per person; interactions per month, overdue
reviews of what they approved, complaints they own and follow-ups that passed."""

from __future__ import annotations

import json

import pytest

from conftest import Invoke, Member, step
from formulactl.audit.history import History
from formulactl.reports.kpi import history_commits, kpi_report
from formulactl.store.store import Store
from quality_fixture import basis, put, rows, settings

FB2 = "FB-20291201-0d0d"


def interaction(number: str, customer: str, day: str, by: str, next_date: str = "") -> str:
    text = (
        f'id: I-{day.replace("-", "")}-{number}\ncustomer: {customer}\ndate: "{day}"\n'
        f"channel: call\nby: {by}\nsummary: 回访\n"
    )
    return text + (f'next_date: "{next_date}"\n' if next_date else "")


RECORDS = {
    "interactions/I-20291105-0001.yaml": interaction(
        "0001", "C-00001", "2029-11-05", "li.wei", "2029-11-20"
    ),
    "interactions/I-20291201-0002.yaml": interaction("0002", "C-00001", "2029-12-01", "li.wei"),
    "interactions/I-20291210-0003.yaml": interaction(
        "0003", "C-00002", "2029-12-10", "wang.fang", "2029-12-20"
    ),
    f"feedback/{FB2}.yaml": (
        f'id: {FB2}\ncustomer: C-00001\ndate: "2029-12-01"\ntype: complaint\nseverity: medium\n'
        'owner: li.wei\ndescription: 结皮\nresponse_due: "2029-12-15"\nstatus: open\n'
    ),
}


@pytest.fixture
def worked_store(signed_store: Store, team_keys: dict[str, Member], invoke: Invoke) -> Store:
    """zhang.min enters C-00003 and submits three times: C-00002 is rejected once by
    li.wei and then approved by wang.fang, C-00003 is approved by chen.jing at once."""
    settings(signed_store, team_keys["chen.jing"], targets={"first_pass_percent": 90})
    put(signed_store, team_keys["zhang.min"], RECORDS)
    zhang, li = team_keys["zhang.min"], team_keys["li.wei"]
    new = ("new", "customer", "--set", "name=新客户", "--set", "type=potential")
    step(signed_store, invoke, *new, "--set", "class=C", "--set", "owner=li.wei", who=zhang)
    step(signed_store, invoke, "submit", "C-00002")
    step(signed_store, invoke, "reject", "C-00002", "--reason", "缺税号", who=li)
    step(signed_store, invoke, "submit", "C-00002", who=zhang)
    step(signed_store, invoke, "approve", "C-00002", who=team_keys["wang.fang"])
    step(signed_store, invoke, "submit", "C-00003", who=zhang)
    step(signed_store, invoke, "approve", "C-00003", who=team_keys["chen.jing"])
    return signed_store


def test_kpis_per_person_from_signed_history_and_the_records(worked_store: Store) -> None:
    found_basis = basis(worked_store, "2030-01-01")
    with History(worked_store) as history:
        commits = history_commits(history, found_basis.commit)
        found = kpi_report(found_basis, commits, history.signer)
    assert rows(found, "Entry and approval") == [
        ("chen.jing", 0, 0, 0, None, 0, None, None, ""),
        ("li.wei", 0, 0, 0, None, 0, None, None, ""),
        ("wang.fang", 0, 0, 0, None, 0, None, None, ""),
        ("zhang.min", 1, 3, 2, 50.0, 1, 33.3, 0.0, "first pass 50.0 % below target 90 %"),
    ]
    assert rows(found, "Customer work") == [
        ("chen.jing", 0, 0.0, 1, 0, 0, 0, "reviews overdue: C-00003"),
        ("li.wei", 2, 0.7, 0, 1, 1, 0, f"answers overdue: {FB2}"),
        ("wang.fang", 1, 0.3, 1, 0, 0, 1, "reviews overdue: C-00002"),
        ("zhang.min", 0, 0.0, 0, 0, 0, 0, ""),
    ]


def test_one_person_since_a_day_and_unknown_people(worked_store: Store, invoke: Invoke) -> None:
    done = invoke("report", "kpi", "--person", "zhang.min", "--json", cwd=worked_store.root)
    [row] = json.loads(done.out)["tables"]["Entry and approval"]
    assert (row["entered"], row["submitted"], row["first pass %"], row["reject %"]) == (
        1,
        3,
        50.0,
        33.3,
    )
    later = invoke(
        "report",
        "kpi",
        "--person",
        "zhang.min",
        "--since",
        "2099-01-01",
        "--json",
        cwd=worked_store.root,
    )
    [row] = json.loads(later.out)["tables"]["Entry and approval"]
    assert (row["entered"], row["submitted"], row["approved"]) == (0, 0, 0)
    unknown = invoke("report", "kpi", "--person", "zhang", cwd=worked_store.root)
    assert (unknown.code, unknown.out) == (2, "")
    assert unknown.err.startswith("formulactl: no person `zhang` in the team or the history at ")
    assert unknown.err.endswith(" — one of: chen.jing, li.wei, wang.fang, zhang.min\n")
