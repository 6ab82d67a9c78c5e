"""Feedback from open to closed: response dates by severity, who may move it, and the
transitions refused."""

from __future__ import annotations

from datetime import date

import pytest

from conftest import (
    FB,
    FB_PATH,
    Invoke,
    Member,
    act_as,
    assert_refused,
    git,
    head,
    history_is_clean,
    in_days,
    load,
    signer_email,
    step,
    trailers,
)
from formulactl.store.store import Store

# ------------------------------------------------------------------ feedback


def new_feedback(store: Store, invoke: Invoke, severity: str) -> str:
    done = step(
        store,
        invoke,
        "new",
        "feedback",
        "--set",
        "customer=C-00001",
        "--set",
        "type=complaint",
        "--set",
        f"severity={severity}",
        "--set",
        "description=桶身漏液",
    )
    return done.out.strip()


def feedback_path(record_id: str) -> str:
    return f"records/feedback/{record_id}.yaml"


@pytest.mark.parametrize("severity", ["low", "medium", "high", "critical"])
def test_new_feedback_gets_its_response_due_from_its_severity(
    signed_store: Store, invoke: Invoke, severity: str
) -> None:
    record = load(signed_store, feedback_path(new_feedback(signed_store, invoke, severity)))
    days = load(signed_store, "formulactl.yaml")["response_due_days"][severity]
    assert record["date"] == date.today().isoformat()
    assert record.get("response_due") == in_days(days)


def test_feedback_goes_from_open_to_closed(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    feedback = new_feedback(signed_store, invoke, "high")
    path = feedback_path(feedback)
    assert load(signed_store, path)["status"] == "open"

    done = step(signed_store, invoke, "feedback", feedback, "investigating")
    assert done.out == f"{feedback} is investigating\n"
    assert done.err.endswith(f": feedback {feedback} investigating\n")
    assert load(signed_store, path)["status"] == "investigating"
    assert trailers(signed_store) == {
        "Action": "feedback",
        "Record": feedback,
        "Meaning": "authored",
    }

    step(signed_store, invoke, "feedback", feedback, "resolved", "--resolution", "更换包装桶")
    record = load(signed_store, path)
    assert (record["status"], record["resolution"], record["resolved_on"]) == (
        "resolved",
        "更换包装桶",
        date.today().isoformat(),
    )
    assert "closed_on" not in record

    step(
        signed_store,
        invoke,
        "feedback",
        feedback,
        "closed",
        "--no-capa-reason",
        "包装问题，已换桶",
        who=team_keys["li.wei"],
    )
    record = load(signed_store, path)
    assert (record["status"], record["closed_on"], record["no_capa_reason"]) == (
        "closed",
        date.today().isoformat(),
        "包装问题，已换桶",
    )
    assert trailers(signed_store) == {
        "Action": "feedback",
        "Record": feedback,
        "Meaning": "reviewed",
    }
    assert signer_email(signed_store) == "li.wei@example.com"
    history_is_clean(signed_store, invoke)


def test_feedback_may_be_resolved_straight_from_open(signed_store: Store, invoke: Invoke) -> None:
    feedback = new_feedback(signed_store, invoke, "low")
    step(signed_store, invoke, "feedback", feedback, "resolved", "--resolution", "已答复")
    assert load(signed_store, feedback_path(feedback))["status"] == "resolved"


def test_only_a_reviewer_or_approver_closes_feedback(signed_store: Store, invoke: Invoke) -> None:
    step(signed_store, invoke, "feedback", FB, "resolved", "--resolution", "换批次")
    before = head(signed_store)
    assert_refused(
        signed_store,
        invoke("feedback", FB, "closed", cwd=signed_store.root),
        before,
        f"zhang.min may not set to closed {FB} — "
        "this needs the reviewer or approver role for feedback",
    )


@pytest.mark.parametrize(
    ("target", "message"),
    [
        (
            "closed",
            f"{FB} is investigating; it cannot become closed from there — closed follows resolved",
        ),
        (
            "investigating",
            f"{FB} is investigating; it cannot become investigating from there — "
            "investigating follows open or resolved",
        ),
    ],
)
def test_an_invalid_feedback_transition_is_refused(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member], target: str, message: str
) -> None:
    act_as(signed_store, team_keys["li.wei"])
    before = head(signed_store)
    assert_refused(
        signed_store,
        invoke("feedback", FB, target, cwd=signed_store.root),
        before,
        f"{FB_PATH}: {message}",
    )


def test_closed_feedback_does_not_move_or_change(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    step(signed_store, invoke, "feedback", FB, "resolved", "--resolution", "换批次")
    step(
        signed_store,
        invoke,
        "feedback",
        FB,
        "closed",
        "--no-capa-reason",
        "批次问题，已换批",
        who=team_keys["li.wei"],
    )
    act_as(signed_store, team_keys["zhang.min"])
    before = head(signed_store)
    assert_refused(
        signed_store,
        invoke("feedback", FB, "investigating", cwd=signed_store.root),
        before,
        f"{FB_PATH}: {FB} is closed; it cannot become investigating from there — "
        "investigating follows open or resolved",
    )
    assert_refused(
        signed_store,
        invoke("set", FB, "notes=补充", cwd=signed_store.root),
        before,
        f"{FB_PATH}: {FB} is closed — closed feedback does not change",
    )


def test_resolved_feedback_needs_a_resolution(signed_store: Store, invoke: Invoke) -> None:
    before = head(signed_store)
    done = invoke("feedback", FB, "resolved", cwd=signed_store.root)
    assert done.code == 2
    assert "feedback is resolved without a resolution" in done.err
    assert done.err.endswith(f"feedback {FB}: nothing was written.\n")
    assert head(signed_store) == before
    assert git(signed_store.root, "status", "--porcelain") == ""


def test_feedback_refuses_an_unknown_status_word(signed_store: Store, invoke: Invoke) -> None:
    before = head(signed_store)
    done = invoke("feedback", FB, "open", cwd=signed_store.root)
    assert (done.code, done.err) == (
        2,
        "formulactl feedback: Invalid value for STATUS: use investigating, resolved or closed"
        " — see `formulactl feedback --help`\n",
    )
    assert head(signed_store) == before


def test_the_feedback_command_refuses_other_records(signed_store: Store, invoke: Invoke) -> None:
    before = head(signed_store)
    assert_refused(
        signed_store,
        invoke("feedback", "C-00001", "resolved", "--resolution", "x", cwd=signed_store.root),
        before,
        "C-00001 is not feedback — give an FB-… ID",
    )
