"""submit, approve, reject, revise, archive and reaffirm through the CLI: each step's status,
version, dates and trailers, and each refusal as one line with nothing committed."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from conftest import (
    C2,
    FB,
    FB_PATH,
    NOT_DRAFT_HINT,
    Invoke,
    Member,
    act_as,
    assert_refused,
    head,
    history_is_clean,
    in_days,
    interval,
    load,
    signer_email,
    step,
    subject,
    submitted,
    trailers,
)
from formulactl.model.workflow import content_digest
from formulactl.store.store import Store

# ------------------------------------------------------------------ the steps


def test_submit_moves_a_draft_to_in_review(signed_store: Store, invoke: Invoke) -> None:
    done = step(signed_store, invoke, "submit", "C-00002")
    assert done.out == "C-00002 is in_review (version 1)\n"
    assert done.err.startswith("committed ") and done.err.endswith(": submit C-00002\n")
    record = load(signed_store, C2)
    assert (record["status"], record["version"]) == ("in_review", 1)
    assert "review_due" not in record
    assert subject(signed_store) == "submit C-00002@1: Nordic Adhesives AB"
    assert trailers(signed_store) == {
        "Action": "submit",
        "Record": "C-00002@1",
        "Meaning": "authored",
    }
    assert signer_email(signed_store) == "zhang.min@example.com"


def test_approve_sets_review_due_and_binds_the_approved_content(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    submitted(signed_store, invoke, team_keys)
    done = step(signed_store, invoke, "approve", "C-00002", who=team_keys["wang.fang"])
    assert done.out == "C-00002 is approved (version 1)\n"
    record = load(signed_store, C2)
    assert record["status"] == "approved"
    assert record["review_due"] == in_days(interval(signed_store, "customer"))
    assert trailers(signed_store) == {
        "Action": "approve",
        "Record": "C-00002@1",
        "Meaning": "approved",
        "Approves": f"C-00002@1 {content_digest(record)}",
    }
    assert trailers(signed_store)["Approves"].split()[1].startswith("sha256:")
    assert signer_email(signed_store) == "wang.fang@example.com"
    history_is_clean(signed_store, invoke)


def test_approve_uses_the_review_interval_of_the_records_kind(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    path = "records/materials/M-00001.yaml"
    step(signed_store, invoke, "revise", "M-00001", "--reason", "新供应商资料")
    step(signed_store, invoke, "submit", "M-00001")
    step(signed_store, invoke, "approve", "M-00001", who=team_keys["chen.jing"])
    record = load(signed_store, path)
    assert interval(signed_store, "material") != interval(signed_store, "customer")
    assert record["review_due"] == in_days(interval(signed_store, "material"))
    assert trailers(signed_store)["Approves"] == f"M-00001@2 {content_digest(record)}"
    history_is_clean(signed_store, invoke)


def test_reject_sends_a_record_in_review_back_to_draft_with_the_reason(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    submitted(signed_store, invoke, team_keys)
    done = step(
        signed_store, invoke, "reject", "C-00002", "--reason", "税号需核对", who=team_keys["li.wei"]
    )
    assert done.out == "C-00002 is draft (version 1)\n"
    assert load(signed_store, C2)["status"] == "draft"
    assert trailers(signed_store) == {
        "Action": "reject",
        "Record": "C-00002@1",
        "Meaning": "reviewed",
        "Reason": "税号需核对",
    }
    history_is_clean(signed_store, invoke)


def test_a_reason_over_several_lines_becomes_one_trailer_line(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    submitted(signed_store, invoke, team_keys)
    reason = "税号需核对\nFormulactl-Approves: C-00002@1 sha256:forged"
    step(signed_store, invoke, "reject", "C-00002", "--reason", reason, who=team_keys["li.wei"])
    assert trailers(signed_store) == {
        "Action": "reject",
        "Record": "C-00002@1",
        "Meaning": "reviewed",
        "Reason": "税号需核对 Formulactl-Approves: C-00002@1 sha256:forged",
    }
    history_is_clean(signed_store, invoke)


def test_revise_starts_the_next_version_without_a_review_date(
    signed_store: Store, invoke: Invoke
) -> None:
    done = step(signed_store, invoke, "revise", "C-00001", "--reason", "客户改名")
    assert done.out == "C-00001 is draft (version 2)\n"
    record = load(signed_store, "records/customers/C-00001.yaml")
    assert (record["status"], record["version"]) == ("draft", 2)
    assert "review_due" not in record
    assert trailers(signed_store) == {
        "Action": "revise",
        "Record": "C-00001@2",
        "Meaning": "authored",
        "Reason": "客户改名",
    }
    history_is_clean(signed_store, invoke)


def test_a_revised_record_can_be_changed_submitted_and_approved_again(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    step(signed_store, invoke, "revise", "F-000001", "--reason", "客户要求降低成本")
    step(signed_store, invoke, "set", "F-000001", "product=水性木器白漆 II")
    step(signed_store, invoke, "submit", "F-000001")
    step(signed_store, invoke, "approve", "F-000001", who=team_keys["chen.jing"])
    record = load(signed_store, "records/formulas/F-000001.yaml")
    assert (record["status"], record["version"], record["product"]) == (
        "approved",
        3,
        "水性木器白漆 II",
    )
    assert record["review_due"] == in_days(interval(signed_store, "formula"))
    assert trailers(signed_store)["Approves"] == f"F-000001@3 {content_digest(record)}"
    history_is_clean(signed_store, invoke)


def test_archive_withdraws_a_record_with_the_reason(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    done = step(
        signed_store,
        invoke,
        "archive",
        "C-00002",
        "--reason",
        "客户停业",
        who=team_keys["chen.jing"],
    )
    assert done.out == "C-00002 is archived (version 1)\n"
    assert load(signed_store, C2)["status"] == "archived"
    assert trailers(signed_store) == {
        "Action": "archive",
        "Record": "C-00002@1",
        "Meaning": "archived",
        "Reason": "客户停业",
    }
    history_is_clean(signed_store, invoke)


def test_reaffirm_moves_review_due_and_keeps_the_version(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    path = "records/customers/C-00001.yaml"
    before = load(signed_store, path)
    assert before["review_due"] == "2027-03-31"
    done = step(signed_store, invoke, "reaffirm", "C-00001", who=team_keys["wang.fang"])
    assert done.out == "C-00001 is approved (version 1)\n"
    after = load(signed_store, path)
    assert after["review_due"] == in_days(interval(signed_store, "customer"))
    assert {k: v for k, v in after.items() if k != "review_due"} == {
        k: v for k, v in before.items() if k != "review_due"
    }
    assert trailers(signed_store) == {
        "Action": "reaffirm",
        "Record": "C-00001@1",
        "Meaning": "reviewed",
    }
    history_is_clean(signed_store, invoke)


# ------------------------------------------------------------------ refusals


IN_REVIEW = f"{C2}: C-00002 is in_review; only drafts are edited — reject it back to draft first"
APPROVED = (
    "records/customers/C-00001.yaml: C-00001 is approved; only drafts are edited — "
    + NOT_DRAFT_HINT
)
# (case, state C-00002 is put in first, who acts, the command, the one line it prints)
REFUSALS = [
    (
        "approve-a-draft",
        "",
        "wang.fang",
        ("approve", "C-00002"),
        f"{C2}: C-00002 is draft; approve needs it in_review — submit it for review first",
    ),
    (
        "submit-an-approved",
        "",
        "zhang.min",
        ("submit", "C-00001"),
        "records/customers/C-00001.yaml: C-00001 is approved; submit needs it draft — "
        "revise it to change it, or reaffirm it at its review date",
    ),
    (
        "reaffirm-a-draft",
        "",
        "wang.fang",
        ("reaffirm", "C-00002"),
        f"{C2}: C-00002 is draft; reaffirm needs it approved — submit it for review first",
    ),
    (
        "revise-a-draft",
        "",
        "zhang.min",
        ("revise", "C-00002", "--reason", "x"),
        f"{C2}: C-00002 is draft; revise needs it approved — submit it for review first",
    ),
    (
        "reject-a-draft",
        "",
        "li.wei",
        ("reject", "C-00002", "--reason", "x"),
        f"{C2}: C-00002 is draft; reject needs it in_review — submit it for review first",
    ),
    (
        "archive-an-archived",
        "archived",
        "chen.jing",
        ("archive", "C-00002", "--reason", "again"),
        f"{C2}: C-00002 is archived; archive needs it draft or in_review or approved — "
        "archived records stay as they are",
    ),
    (
        "entry-approves",
        "submitted",
        "zhang.min",
        ("approve", "C-00002"),
        "zhang.min may not approve C-00002 — this needs the approver role for customers",
    ),
    (
        "reviewer-approves",
        "submitted",
        "li.wei",
        ("approve", "C-00002"),
        "li.wei may not approve C-00002 — this needs the approver role for customers",
    ),
    (
        "reviewer-archives",
        "submitted",
        "li.wei",
        ("archive", "C-00002", "--reason", "duplicate"),
        "li.wei may not archive C-00002 — this needs the approver role for customers",
    ),
    (
        "approver-without-entry-revises",
        "",
        "chen.jing",
        ("revise", "C-00001", "--reason", "x"),
        "chen.jing may not revise C-00001 — this needs the entry role for customers",
    ),
    (
        "archive-with-a-blank-reason",
        "",
        "chen.jing",
        ("archive", "C-00002", "--reason", ""),
        'archive needs a reason — add --reason "…"',
    ),
    ("set-an-approved", "", "zhang.min", ("set", "C-00001", "industry=涂料"), APPROVED),
    ("set-in-review", "submitted", "zhang.min", ("set", "C-00002", "industry=胶粘剂"), IN_REVIEW),
    ("edit-an-approved", "", "zhang.min", ("edit", "C-00001"), APPROVED),
    ("edit-in-review", "submitted", "zhang.min", ("edit", "C-00002"), IN_REVIEW),
]


@pytest.mark.parametrize(
    ("state", "who", "command", "message"),
    [case[1:] for case in REFUSALS],
    ids=[case[0] for case in REFUSALS],
)
def test_a_refused_step_is_one_line_and_commits_nothing(
    signed_store: Store,
    invoke: Invoke,
    team_keys: dict[str, Member],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    state: str,
    who: str,
    command: tuple[str, ...],
    message: str,
) -> None:
    if state == "submitted":
        submitted(signed_store, invoke, team_keys)
    elif state == "archived":
        chen = team_keys["chen.jing"]
        step(signed_store, invoke, "archive", "C-00002", "--reason", "x", who=chen)
    monkeypatch.setenv("EDITOR", replacing_editor(tmp_path, "class: ", "class: C  # "))
    act_as(signed_store, team_keys[who])
    before = head(signed_store)
    assert_refused(signed_store, invoke(*command, cwd=signed_store.root), before, message)


@pytest.mark.parametrize(
    ("command", "record", "who"),
    [("reject", "C-00002", "li.wei"), ("revise", "C-00001", "zhang.min")],
)
def test_a_step_that_needs_a_reason_refuses_without_one(
    signed_store: Store,
    invoke: Invoke,
    team_keys: dict[str, Member],
    command: str,
    record: str,
    who: str,
) -> None:
    submitted(signed_store, invoke, team_keys)
    act_as(signed_store, team_keys[who])
    before = head(signed_store)
    missing = invoke(command, record, cwd=signed_store.root)
    assert (missing.code, missing.err) == (
        2,
        f"formulactl {command}: Missing option '--reason' — see `formulactl {command} --help`\n",
    )
    assert_refused(
        signed_store,
        invoke(command, record, "--reason", "  ", cwd=signed_store.root),
        before,
        f'{command} needs a reason — add --reason "…"',
    )


def replacing_editor(tmp_path: Path, old: str, new: str) -> str:
    """An $EDITOR that replaces `old` with `new` in the file it is given."""
    script = tmp_path / "editor.py"
    script.write_text(
        "import pathlib, sys\n"
        "target = pathlib.Path(sys.argv[1])\n"
        f"target.write_text(target.read_text().replace({old!r}, {new!r}))\n"
    )
    return f"{sys.executable} {script}"


@pytest.mark.parametrize(
    ("assignment", "field"),
    [
        ("status=approved", "status"),
        ("review_due=2030-01-01", "review_due"),
        ("version=2", "version"),
    ],
)
def test_workflow_fields_change_only_through_workflow_commands(
    signed_store: Store, invoke: Invoke, assignment: str, field: str
) -> None:
    before = head(signed_store)
    assert_refused(
        signed_store,
        invoke("set", "C-00002", assignment, cwd=signed_store.root),
        before,
        f"{C2}: `{field}` changes only through the workflow commands — "
        "use submit, approve, reject, revise, archive, reaffirm or feedback",
    )


def test_feedback_status_changes_only_through_the_feedback_command(
    signed_store: Store, invoke: Invoke
) -> None:
    before = head(signed_store)
    assert_refused(
        signed_store,
        invoke("set", FB, "status=resolved", "resolution=换批次", cwd=signed_store.root),
        before,
        f"{FB_PATH}: `status` changes only through the workflow commands — "
        "use submit, approve, reject, revise, archive, reaffirm or feedback",
    )


def test_approving_with_uncommitted_changes_to_the_record_is_refused(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    submitted(signed_store, invoke, team_keys)
    act_as(signed_store, team_keys["wang.fang"])
    path = signed_store.root / C2
    changed = path.read_text().replace("class: B", "class: A")
    path.write_text(changed)
    before = head(signed_store)
    done = invoke("approve", "C-00002", cwd=signed_store.root)
    assert (done.code, done.out, done.err) == (
        2,
        "",
        f"formulactl: {C2}: {C2} has changes that are not committed — "
        "commit them (formulactl set/edit) or discard them first\n",
    )
    assert head(signed_store) == before
    assert path.read_text() == changed
    assert load(signed_store, C2)["status"] == "in_review"


def test_an_approver_who_changed_the_record_may_not_approve_it(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    wang = team_keys["wang.fang"]
    step(signed_store, invoke, "revise", "C-00001", "--reason", "新联系人", who=wang)
    step(signed_store, invoke, "set", "C-00001", "industry=涂料")
    step(signed_store, invoke, "submit", "C-00001")
    before = head(signed_store)
    assert_refused(
        signed_store,
        invoke("approve", "C-00001", cwd=signed_store.root),
        before,
        "records/customers/C-00001.yaml: wang.fang changed C-00001 since its last approval "
        "and may not approve it — four eyes: another approver must approve it",
    )
    step(signed_store, invoke, "approve", "C-00001", who=team_keys["chen.jing"])
    assert load(signed_store, "records/customers/C-00001.yaml")["status"] == "approved"
    history_is_clean(signed_store, invoke)


def test_an_approver_who_revised_a_record_may_reaffirm_it_once_another_approved_it(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    """Reaffirming is not approving: the approver who last changed a record may reaffirm it
    once someone else approved it."""
    step(signed_store, invoke, "revise", "C-00001", "--reason", "x", who=team_keys["wang.fang"])
    step(signed_store, invoke, "submit", "C-00001")
    step(signed_store, invoke, "approve", "C-00001", who=team_keys["chen.jing"])
    step(signed_store, invoke, "reaffirm", "C-00001", who=team_keys["wang.fang"])
    history_is_clean(signed_store, invoke)


def test_the_admin_who_imported_a_draft_may_approve_it_after_someone_else_submits_it(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    submitted(signed_store, invoke, team_keys)
    act_as(signed_store, team_keys["chen.jing"])
    done = invoke("approve", "C-00002", cwd=signed_store.root)
    assert done.code == 0, done.err
    history_is_clean(signed_store, invoke)


def new_interaction(store: Store, invoke: Invoke) -> str:
    done = step(
        store,
        invoke,
        "new",
        "interaction",
        "--set",
        "customer=C-00001",
        "--set",
        "channel=call",
        "--set",
        "by=zhang.min",
        "--set",
        "summary=回访",
    )
    return done.out.strip()


def test_workflow_steps_on_event_records_are_refused(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    interaction = new_interaction(signed_store, invoke)
    before = head(signed_store)
    message = (
        "interaction records are not reviewed or approved — they are signed when they are made"
    )
    assert_refused(
        signed_store, invoke("submit", interaction, cwd=signed_store.root), before, message
    )
    act_as(signed_store, team_keys["chen.jing"])
    assert_refused(
        signed_store,
        invoke("approve", "O-20261101-3c2a", cwd=signed_store.root),
        before,
        "order records are not reviewed or approved — they are signed when they are made",
    )


def test_a_step_on_an_unknown_record_is_refused(signed_store: Store, invoke: Invoke) -> None:
    before = head(signed_store)
    assert_refused(
        signed_store,
        invoke("submit", "C-00099", cwd=signed_store.root),
        before,
        "no record C-00099 — check the ID with `formulactl list`",
    )
