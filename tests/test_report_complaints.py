"""`report complaints` on a small store: first response and resolution against targets,
overdue answers, CAPA open and overdue, effectiveness checks due, recurrences; exact
numbers at a fixed day, and the command's JSON, --at and bad input."""

from __future__ import annotations

import json

import pytest

from conftest import FB, Invoke, Member, head
from formulactl.reports.complaints import complaints_report
from formulactl.store.store import Store
from quality_fixture import basis, put, rows, settings

TARGETS = {
    "first_response_hours": {"medium": 48, "high": 24},
    "resolution_days": {"medium": 21, "high": 14},
}
FB_A, FB_B = "FB-20260101-0a0a", "FB-20260105-0b0b"
RECORDS = {
    f"feedback/{FB_A}.yaml": f"""\
id: {FB_A}
customer: C-00001
date: "2026-01-01"
type: complaint
severity: high
batch: B-20261105-001
formula: F-000001
description: 漆膜发花
response_due: "2026-01-04"
acknowledged_on: "2026-01-03"
resolution: 返工
resolved_on: "2026-01-10"
capa:
  - type: corrective
    action: 调色工序增加比色
    owner: li.wei
    due: "2026-01-20"
    done_on: "2026-01-25"
  - type: preventive
    action: 色浆供方增加批次色差报告
    owner: li.wei
    due: "2026-02-01"
effectiveness:
  due: "2026-03-01"
  by: li.wei
status: resolved
""",
    f"feedback/{FB_B}.yaml": f"""\
id: {FB_B}
customer: C-00002
date: "2026-01-05"
type: claim
severity: medium
formula: F-000001@1
description: 粘度偏低
acknowledged_on: "2026-01-06"
resolution: 赔付
resolved_on: "2026-02-05"
closed_on: "2026-02-06"
no_capa_reason: 客户稀释过量
recurrence_of:
  - {FB_A}
status: closed
""",
    "feedback/FB-20260106-0c0c.yaml": """\
id: FB-20260106-0c0c
customer: C-00002
date: "2026-01-06"
type: suggestion
severity: low
description: 希望小包装
status: open
""",
}


@pytest.fixture
def complaints_store(signed_store: Store, team_keys: dict[str, Member]) -> Store:
    settings(signed_store, team_keys["chen.jing"], targets=TARGETS)
    put(signed_store, team_keys["zhang.min"], RECORDS)
    return signed_store


def test_complaints_against_targets_with_capa_checks_and_recurrences(
    complaints_store: Store,
) -> None:
    found = complaints_report(basis(complaints_store, "2026-12-01"))
    assert rows(found, "Complaints and claims") == [
        (
            FB_A,
            "C-00001",
            "high",
            "2026-01-01",
            "resolved",
            48,
            24,
            9,
            14,
            "first response 48 h > target 24 h",
        ),
        (
            FB_B,
            "C-00002",
            "medium",
            "2026-01-05",
            "closed",
            24,
            48,
            31,
            21,
            "resolved in 31 d > target 21 d",
        ),
        (
            FB,
            "C-00001",
            "medium",
            "2026-11-10",
            "investigating",
            None,
            48,
            None,
            21,
            "not acknowledged; answer overdue since 2026-11-17 (14 d)",
        ),
    ]
    assert rows(found, "CAPA actions") == [
        (
            FB_A,
            1,
            "corrective",
            "调色工序增加比色",
            "li.wei",
            "2026-01-20",
            "2026-01-25",
            "done late",
            "done 5 d after its due date",
        ),
        (
            FB_A,
            2,
            "preventive",
            "色浆供方增加批次色差报告",
            "li.wei",
            "2026-02-01",
            None,
            "overdue",
            "303 d past its due date, not done",
        ),
    ]
    assert rows(found, "Effectiveness checks due") == [
        (FB_A, "2026-03-01", "li.wei", "overdue", "275 d past due")
    ]
    assert rows(found, "Recurrences") == [
        ("batch", "B-20261105-001", f"{FB_A}, {FB}", "2 complaints about this batch"),
        ("customer", "C-00001", f"{FB_A}, {FB}", "2 complaints about this customer"),
        ("formula", "F-000001", f"{FB_A}, {FB_B}", "2 complaints about this formula"),
        ("marked", FB_B, f"{FB_B}, {FB_A}", f"{FB_B} repeats {FB_A}"),
    ]
    assert found.summary == {
        "complaints": 3,
        "open": 1,
        "answers_overdue": 1,
        "first_response_on_target": "1/2",
        "first_response_on_target_percent": 50.0,
        "resolution_on_target": "1/2",
        "resolution_on_target_percent": 50.0,
        "capa_open": 1,
        "capa_overdue": 1,
        "effectiveness_checks_due": 1,
        "recurrences": 4,
    }


def test_a_merged_customer_counts_under_its_target(
    complaints_store: Store, team_keys: dict[str, Member]
) -> None:
    path = complaints_store.root / "records/customers/C-00002.yaml"
    path.write_text(path.read_text() + "merged_into: C-00001\n")
    put(complaints_store, team_keys["chen.jing"], {}, "merge C-00002 into C-00001")
    found = complaints_report(basis(complaints_store, "2026-12-01"))
    assert (
        "customer",
        "C-00001",
        f"{FB_A}, {FB_B}, {FB}",
        "3 complaints about this customer",
    ) in rows(found, "Recurrences")


def test_the_command_prints_json_answers_at_a_commit_and_refuses_bad_input(
    signed_store: Store, team_keys: dict[str, Member], invoke: Invoke
) -> None:
    before = head(signed_store)
    settings(signed_store, team_keys["chen.jing"], targets=TARGETS)
    put(signed_store, team_keys["zhang.min"], RECORDS)
    done = invoke("report", "complaints", "--json", cwd=signed_store.root)
    data = json.loads(done.out)
    assert (data["commit"], data["store_id"]) == (
        head(signed_store),
        signed_store.settings.store_id,
    )
    assert (data["summary"]["complaints"], data["summary"]["capa_overdue"]) == (3, 1)
    earlier = json.loads(
        invoke("report", "complaints", "--json", "--at", before, cwd=signed_store.root).out
    )
    assert (
        earlier["commit"],
        earlier["summary"]["complaints"],
        earlier["summary"]["capa_open"],
    ) == (
        before,
        1,
        0,
    )
    csv = invoke("report", "complaints", "--format", "csv", cwd=signed_store.root).out.splitlines()
    assert csv[0] == "table,measure,value"
    assert csv[1] == "Summary,complaints,3"
    for args, message in [
        (("--at", "nope"), "`nope` is not a commit here — check it with `git log`"),
        (
            ("--at", "1999-01-01"),
            "the store had no commits on or before 1999-01-01 — pick a later date",
        ),
        (("--format", "xml"), "--format 'xml' is not one of text, markdown, csv — see --help"),
    ]:
        bad = invoke("report", "complaints", *args, cwd=signed_store.root)
        assert (bad.code, bad.out, bad.err) == (2, "", f"formulactl: {message}\n")
