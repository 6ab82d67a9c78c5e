"""submit, approve, reject, revise, archive, reaffirm, feedback, due and import through the CLI:
each step's status, version, dates and trailers, and each refusal as one line with nothing
committed."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from conftest import Invoke, Member, Result, act_as
from formulactl.model.workflow import content_digest
from formulactl.store import yamlio
from formulactl.store.store import Store

C2 = "records/customers/C-00002.yaml"
FB = "FB-20261110-9b1e"
FB_PATH = f"records/feedback/{FB}.yaml"
NOT_DRAFT_HINT = "run `formulactl revise ID --reason …` to start the next version"


def git(root: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(root), *args], capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def head(store: Store) -> str:
    return git(store.root, "rev-parse", "HEAD")


def trailers(store: Store) -> dict[str, str]:
    """The `Formulactl-*` trailers of the last commit, as `git log -1 --format=%B` shows them."""
    found = {}
    for line in git(store.root, "log", "-1", "--format=%B").splitlines():
        name, _, value = line.partition(": ")
        if name.startswith("Formulactl-"):
            found[name.removeprefix("Formulactl-")] = value
    return found


def subject(store: Store) -> str:
    return git(store.root, "log", "-1", "--format=%s")


def signer_email(store: Store) -> str:
    """Who git says signed the last commit (by the allowed-signers file formulactl writes)."""
    verdict, email = git(store.root, "log", "-1", "--format=%G? %GS").split(" ", 1)
    assert verdict == "G"
    return email


def load(store: Store, path: str) -> dict[str, Any]:
    return yamlio.load_record((store.root / path).read_bytes(), path, 1 << 20)


def interval(store: Store, kind: str) -> int:
    days: int = load(store, "formulactl.yaml")["review_interval_days"][kind]
    return days


def in_days(days: int) -> str:
    return (date.today() + timedelta(days=days)).isoformat()


def step(store: Store, invoke: Invoke, *args: str | Path, who: Member | None = None) -> Result:
    """Run one command (as `who`, if given) and insist it succeeded."""
    if who is not None:
        act_as(store, who)
    done = invoke(*args, cwd=store.root)
    assert done.code == 0, done.err
    return done


def assert_refused(store: Store, done: Result, before: str, message: str) -> None:
    """Exit 2, exactly one line saying why, no commit and no change in the working tree."""
    assert (done.code, done.out, done.err) == (2, "", f"formulactl: {message}\n")
    assert head(store) == before
    assert git(store.root, "status", "--porcelain") == ""


def history_is_clean(store: Store, invoke: Invoke) -> None:
    done = invoke("validate", "--history", cwd=store.root)
    assert (done.code, done.out) == (0, ""), done.err
    assert done.err.endswith(", 0 findings\n")


def submitted(store: Store, invoke: Invoke, keys: dict[str, Member]) -> None:
    """C-00002, a draft customer, submitted for review by zhang.min."""
    step(store, invoke, "submit", "C-00002", who=keys["zhang.min"])


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


@pytest.mark.parametrize(
    ("command", "who", "message"),
    [
        (
            ("approve", "C-00002"),
            "wang.fang",
            f"{C2}: C-00002 is draft; approve needs it in_review — submit it for review first",
        ),
        (
            ("submit", "C-00001"),
            "zhang.min",
            "records/customers/C-00001.yaml: C-00001 is approved; submit needs it draft — "
            "revise it to change it, or reaffirm it at its review date",
        ),
        (
            ("reaffirm", "C-00002"),
            "wang.fang",
            f"{C2}: C-00002 is draft; reaffirm needs it approved — submit it for review first",
        ),
        (
            ("revise", "C-00002", "--reason", "x"),
            "zhang.min",
            f"{C2}: C-00002 is draft; revise needs it approved — submit it for review first",
        ),
        (
            ("reject", "C-00002", "--reason", "x"),
            "li.wei",
            f"{C2}: C-00002 is draft; reject needs it in_review — submit it for review first",
        ),
    ],
    ids=lambda value: value[0] if isinstance(value, tuple) else None,
)
def test_a_step_from_the_wrong_status_is_refused(
    signed_store: Store,
    invoke: Invoke,
    team_keys: dict[str, Member],
    command: tuple[str, ...],
    who: str,
    message: str,
) -> None:
    act_as(signed_store, team_keys[who])
    before = head(signed_store)
    assert_refused(signed_store, invoke(*command, cwd=signed_store.root), before, message)


def test_archived_records_take_no_further_step(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    step(signed_store, invoke, "archive", "C-00002", "--reason", "x", who=team_keys["chen.jing"])
    before = head(signed_store)
    assert_refused(
        signed_store,
        invoke("archive", "C-00002", "--reason", "again", cwd=signed_store.root),
        before,
        f"{C2}: C-00002 is archived; archive needs it draft or in_review or approved — "
        "archived records stay as they are",
    )


def test_an_entry_person_may_not_approve(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    submitted(signed_store, invoke, team_keys)
    before = head(signed_store)
    assert_refused(
        signed_store,
        invoke("approve", "C-00002", cwd=signed_store.root),
        before,
        "zhang.min may not approve C-00002 — this needs the approver role for customers",
    )


def test_a_reviewer_may_not_approve_or_archive(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    submitted(signed_store, invoke, team_keys)
    act_as(signed_store, team_keys["li.wei"])
    before = head(signed_store)
    assert_refused(
        signed_store,
        invoke("approve", "C-00002", cwd=signed_store.root),
        before,
        "li.wei may not approve C-00002 — this needs the approver role for customers",
    )
    assert_refused(
        signed_store,
        invoke("archive", "C-00002", "--reason", "duplicate", cwd=signed_store.root),
        before,
        "li.wei may not archive C-00002 — this needs the approver role for customers",
    )


def test_an_approver_without_entry_may_not_revise(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    act_as(signed_store, team_keys["chen.jing"])
    before = head(signed_store)
    assert_refused(
        signed_store,
        invoke("revise", "C-00001", "--reason", "x", cwd=signed_store.root),
        before,
        "chen.jing may not revise C-00001 — this needs the entry role for customers",
    )


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


def test_archive_refuses_a_blank_reason(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    act_as(signed_store, team_keys["chen.jing"])
    before = head(signed_store)
    assert_refused(
        signed_store,
        invoke("archive", "C-00002", "--reason", "", cwd=signed_store.root),
        before,
        'archive needs a reason — add --reason "…"',
    )


def test_set_on_an_approved_record_is_refused(signed_store: Store, invoke: Invoke) -> None:
    before = head(signed_store)
    assert_refused(
        signed_store,
        invoke("set", "C-00001", "industry=涂料", cwd=signed_store.root),
        before,
        "records/customers/C-00001.yaml: C-00001 is approved; only drafts are edited — "
        + NOT_DRAFT_HINT,
    )


def test_set_on_a_record_in_review_is_refused(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    submitted(signed_store, invoke, team_keys)
    before = head(signed_store)
    assert_refused(
        signed_store,
        invoke("set", "C-00002", "industry=胶粘剂", cwd=signed_store.root),
        before,
        f"{C2}: C-00002 is in_review; only drafts are edited — reject it back to draft first",
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


def test_edit_on_an_approved_record_is_refused(
    signed_store: Store, invoke: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EDITOR", replacing_editor(tmp_path, "class: A", "class: B"))
    before = head(signed_store)
    assert_refused(
        signed_store,
        invoke("edit", "C-00001", cwd=signed_store.root),
        before,
        "records/customers/C-00001.yaml: C-00001 is approved; only drafts are edited — "
        + NOT_DRAFT_HINT,
    )


def test_edit_on_a_record_in_review_is_refused(
    signed_store: Store,
    invoke: Invoke,
    team_keys: dict[str, Member],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    submitted(signed_store, invoke, team_keys)
    monkeypatch.setenv("EDITOR", replacing_editor(tmp_path, "class: B", "class: A"))
    before = head(signed_store)
    assert_refused(
        signed_store,
        invoke("edit", "C-00002", cwd=signed_store.root),
        before,
        f"{C2}: C-00002 is in_review; only drafts are edited — reject it back to draft first",
    )


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

    step(signed_store, invoke, "feedback", feedback, "closed", who=team_keys["li.wei"])
    record = load(signed_store, path)
    assert (record["status"], record["closed_on"]) == ("closed", date.today().isoformat())
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
    step(signed_store, invoke, "feedback", FB, "closed", who=team_keys["li.wei"])
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


# ------------------------------------------------------------------ due


def importable(folder: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    return folder


OVERDUE_SUPPLIER = """\
id: S-0002
name: 江苏某化工
qualification: conditional
status: approved
version: 1
review_due: "2020-01-31"
"""

NEW_MATERIAL = """\
id: M-00003
name: 碳酸钙
cas: 471-34-1
status: draft
version: 1
"""


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


# ------------------------------------------------------------------ import


def test_an_admin_imports_records_in_one_signed_commit(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member], tmp_path: Path
) -> None:
    source = importable(
        tmp_path / "incoming",
        {"suppliers/S-0002.yaml": OVERDUE_SUPPLIER, "materials/M-00003.yaml": NEW_MATERIAL},
    )
    before = head(signed_store)
    done = step(
        signed_store, invoke, "import", source, "--reason", "旧系统迁移", who=team_keys["chen.jing"]
    )
    assert done.out == "Imported 2 records\n"
    assert git(signed_store.root, "rev-list", "--count", f"{before}..HEAD") == "1"
    assert subject(signed_store) == "import 2 records"
    assert trailers(signed_store) == {
        "Action": "import",
        "Meaning": "authored",
        "Reason": "旧系统迁移",
    }
    assert signer_email(signed_store) == "chen.jing@example.com"
    changed = git(signed_store.root, "show", "--name-only", "--format=", "HEAD").splitlines()
    assert sorted(changed) == ["records/materials/M-00003.yaml", "records/suppliers/S-0002.yaml"]
    assert (signed_store.root / "records/materials/M-00003.yaml").read_text() == NEW_MATERIAL
    history_is_clean(signed_store, invoke)


def test_import_accepts_a_folder_holding_records(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member], tmp_path: Path
) -> None:
    source = importable(tmp_path / "old-store", {"records/materials/M-00003.yaml": NEW_MATERIAL})
    done = step(signed_store, invoke, "import", source, "--reason", "x", who=team_keys["chen.jing"])
    assert done.out == "Imported 1 records\n"
    assert (signed_store.root / "records/materials/M-00003.yaml").is_file()


def test_only_an_admin_imports(signed_store: Store, invoke: Invoke, tmp_path: Path) -> None:
    source = importable(tmp_path / "incoming", {"materials/M-00003.yaml": NEW_MATERIAL})
    before = head(signed_store)
    assert_refused(
        signed_store,
        invoke("import", source, "--reason", "x", cwd=signed_store.root),
        before,
        "only an admin imports records — ask an admin",
    )
    assert not (signed_store.root / "records/materials/M-00003.yaml").exists()


def test_import_needs_a_reason(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member], tmp_path: Path
) -> None:
    source = importable(tmp_path / "incoming", {"materials/M-00003.yaml": NEW_MATERIAL})
    act_as(signed_store, team_keys["chen.jing"])
    before = head(signed_store)
    missing = invoke("import", source, cwd=signed_store.root)
    assert (missing.code, missing.err) == (
        2,
        "formulactl import: Missing option '--reason' — see `formulactl import --help`\n",
    )
    assert_refused(
        signed_store,
        invoke("import", source, "--reason", " ", cwd=signed_store.root),
        before,
        'import needs a reason — add --reason "…"',
    )


def test_import_refuses_ids_that_already_exist(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member], tmp_path: Path
) -> None:
    existing = signed_store.root / "records/customers/C-00001.yaml"
    kept = existing.read_bytes()
    source = importable(
        tmp_path / "incoming",
        {
            "materials/M-00003.yaml": NEW_MATERIAL,
            "customers/C-00001.yaml": kept.decode().replace("华彩涂料", "别的客户", 1),
        },
    )
    act_as(signed_store, team_keys["chen.jing"])
    before = head(signed_store)
    assert_refused(
        signed_store,
        invoke("import", source, "--reason", "x", cwd=signed_store.root),
        before,
        "records/customers/C-00001.yaml already exists — import only new records",
    )
    assert existing.read_bytes() == kept
    assert not (signed_store.root / "records/materials/M-00003.yaml").exists()


def test_import_refuses_invalid_records_and_leaves_nothing_behind(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member], tmp_path: Path
) -> None:
    source = importable(
        tmp_path / "incoming",
        {
            "suppliers/S-0002.yaml": OVERDUE_SUPPLIER,
            "materials/M-00003.yaml": NEW_MATERIAL.replace("471-34-1", "471-34-2"),
        },
    )
    act_as(signed_store, team_keys["chen.jing"])
    before = head(signed_store)
    done = invoke("import", source, "--reason", "x", cwd=signed_store.root)
    assert (done.code, done.out) == (2, "")
    lines = done.err.splitlines()
    assert lines[-1] == "import: nothing was written."
    assert len(lines) == 2
    assert lines[0].startswith("records/materials/M-00003.yaml:")
    assert "471-34-2" in lines[0] or "check digit" in lines[0]
    assert head(signed_store) == before
    assert git(signed_store.root, "status", "--porcelain", "--untracked-files=all") == ""
    assert not (signed_store.root / "records/suppliers/S-0002.yaml").exists()


def test_import_of_an_empty_folder_is_refused(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member], tmp_path: Path
) -> None:
    empty = tmp_path / "nothing"
    empty.mkdir()
    act_as(signed_store, team_keys["chen.jing"])
    before = head(signed_store)
    assert_refused(
        signed_store,
        invoke("import", empty, "--reason", "x", cwd=signed_store.root),
        before,
        f"no record files in {empty} — give a folder holding customers/, formulas/, … folders",
    )
