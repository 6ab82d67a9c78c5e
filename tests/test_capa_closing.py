"""A complaint closes only once its CAPA was checked to work (an effectiveness result) or
with a stated reason why it needs none: `feedback … closed` refuses otherwise, and
`validate` reports a closed complaint without either."""

from __future__ import annotations

import json

from conftest import (
    FB,
    FB_PATH,
    Invoke,
    Member,
    act_as,
    assert_refused,
    commit_as,
    edit_record,
    head,
    history_is_clean,
    load,
    step,
)
from formulactl.store.store import Store
from quality_fixture import with_capa

REFUSAL = (
    f"{FB_PATH}: {FB} cannot close: its CAPA has no effectiveness result — record "
    "`effectiveness.result` (formulactl set) after checking the CAPA worked, or close with "
    '--no-capa-reason "…"'
)


def resolved(store: Store, invoke: Invoke) -> None:
    step(store, invoke, "feedback", FB, "resolved", "--resolution", "换批次，返工 5 桶")


def test_a_complaint_with_a_capa_cannot_close_without_its_effectiveness_check(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    with_capa(signed_store, invoke, "effectiveness.due=2027-02-28")
    resolved(signed_store, invoke)
    act_as(signed_store, team_keys["li.wei"])
    before = head(signed_store)
    assert_refused(
        signed_store, invoke("feedback", FB, "closed", cwd=signed_store.root), before, REFUSAL
    )

    step(
        signed_store, invoke, "set", FB, "effectiveness.result=effective", "effectiveness.by=li.wei"
    )
    done = step(signed_store, invoke, "feedback", FB, "closed")
    assert done.out == f"{FB} is closed\n"
    record = load(signed_store, FB_PATH)
    assert (record["status"], record["effectiveness"]) == (
        "closed",
        {"due": "2027-02-28", "result": "effective", "by": "li.wei"},
    )
    history_is_clean(signed_store, invoke)


def test_a_complaint_closes_with_a_reason_for_no_capa(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    resolved(signed_store, invoke)
    step(
        signed_store,
        invoke,
        "feedback",
        FB,
        "closed",
        "--no-capa-reason",
        "运输中暴晒所致，非生产原因",
        who=team_keys["li.wei"],
    )
    record = load(signed_store, FB_PATH)
    assert (record["status"], record["no_capa_reason"]) == ("closed", "运输中暴晒所致，非生产原因")


def test_validate_reports_a_closed_complaint_without_effectiveness_or_reason(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    edit_record(
        signed_store,
        f"feedback/{FB}.yaml",
        status="closed",
        resolution="换批次",
        closed_on="2026-11-20",
    )
    done = invoke("validate", "--json", cwd=signed_store.root)
    found = [f for f in json.loads(done.out) if f["rule"] == "feedback-effectiveness"]
    assert [(f["path"], f["line"], f["message"]) for f in found] == [
        (
            FB_PATH,
            found[0]["line"],
            "complaint is closed without an effectiveness result or a no_capa_reason",
        )
    ]
    assert done.code == 1
    edit_record(signed_store, f"feedback/{FB}.yaml", no_capa_reason="客户误用")
    commit_as(signed_store.root, team_keys["li.wei"], "close by hand with a reason")
    assert invoke("validate", cwd=signed_store.root).code == 0


def test_a_suggestion_closes_on_its_resolution_alone(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    edit_record(signed_store, f"feedback/{FB}.yaml", type="suggestion")
    commit_as(signed_store.root, team_keys["zhang.min"], "a suggestion, not a complaint")
    resolved(signed_store, invoke)
    step(signed_store, invoke, "feedback", FB, "closed", who=team_keys["li.wei"])
    assert load(signed_store, FB_PATH)["status"] == "closed"
