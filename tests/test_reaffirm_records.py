"""Every command that reports success has made its commit: a periodic review is recorded
even when its date does not move, and a change that changes nothing is not "Saved"."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import Invoke, Member, act_as, git, trailers
from formulactl.store.store import Store

RESOLVED = ("feedback", "FB-20261110-9b1e", "resolved", "--resolution", "换批次")
# Each case: the commands run one after the other, as (who, command).
SEQUENCES = {
    "submit": [("zhang.min", ("submit", "C-00002"))],
    "approve": [("zhang.min", ("submit", "C-00002")), ("wang.fang", ("approve", "C-00002"))],
    "reject": [
        ("zhang.min", ("submit", "C-00002")),
        ("li.wei", ("reject", "C-00002", "--reason", "缺少资质")),
    ],
    "revise": [("zhang.min", ("revise", "C-00001", "--reason", "新地址"))],
    "archive": [("wang.fang", ("archive", "C-00001", "--reason", "不再合作"))],
    "reaffirm twice": [
        ("wang.fang", ("reaffirm", "C-00001")),
        ("wang.fang", ("reaffirm", "C-00001")),
    ],
    "reaffirm on the day of approval": [
        ("zhang.min", ("submit", "C-00002")),
        ("wang.fang", ("approve", "C-00002")),
        ("wang.fang", ("reaffirm", "C-00002")),
    ],
    "feedback": [
        ("zhang.min", RESOLVED),
        ("li.wei", ("feedback", "FB-20261110-9b1e", "closed", "--no-capa-reason", "换批次")),
    ],
}


@pytest.mark.parametrize("sequence", SEQUENCES.values(), ids=SEQUENCES.keys())
def test_every_step_that_succeeds_has_made_its_own_commit(
    signed_store: Store,
    invoke: Invoke,
    team_keys: dict[str, Member],
    sequence: list[tuple[str, tuple[str, ...]]],
) -> None:
    root = signed_store.root
    for who, command in sequence:
        act_as(signed_store, team_keys[who])
        before = git(root, "rev-parse", "HEAD")
        done = invoke(*command, cwd=root)
        assert done.code == 0, done.err
        assert git(root, "rev-parse", "HEAD^") == before
        assert trailers(signed_store)["Action"] == command[0]
        assert done.err.startswith("committed "), done.err
    assert git(root, "status", "--porcelain") == ""
    checked = invoke("validate", "--history", cwd=root)
    assert (checked.code, checked.out) == (0, ""), checked.err


def test_a_reaffirm_that_moves_no_date_is_a_signed_commit_naming_the_record(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    root = signed_store.root
    act_as(signed_store, team_keys["wang.fang"])
    assert invoke("reaffirm", "C-00001", cwd=root).code == 0
    moved = git(root, "rev-parse", "HEAD")
    done = invoke("reaffirm", "C-00001", cwd=root)
    assert (done.code, done.out) == (0, "C-00001 is approved (version 1)\n")
    assert git(root, "rev-parse", "HEAD^") == moved
    assert git(root, "diff", "--name-only", "HEAD^", "HEAD") == ""
    assert trailers(signed_store) == {
        "Action": "reaffirm",
        "Record": "C-00001@1",
        "Meaning": "reviewed",
    }
    assert git(root, "log", "-1", "--format=%G?") == "G"


def _history_rules(invoke: Invoke, root: Path) -> set[tuple[str, str]]:
    done = invoke("validate", "--history", "--json", cwd=root)
    return {(finding["rule"], finding["person"]) for finding in json.loads(done.out)}


def test_a_review_recorded_by_someone_who_is_not_an_approver_is_a_finding(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    root = signed_store.root
    message = (
        "reaffirm C-00001@1\n\nFormulactl-Action: reaffirm\nFormulactl-Record: C-00001@1\n"
        "Formulactl-Meaning: reviewed"
    )
    git(root, "commit", "-q", "-S", "--allow-empty", "-m", message)  # zhang.min, entry only
    assert _history_rules(invoke, root) == {("not-authorized", "zhang.min")}


def test_an_unsigned_recorded_review_is_a_finding(signed_store: Store, invoke: Invoke) -> None:
    root = signed_store.root
    message = "reaffirm C-00001@1\n\nFormulactl-Action: reaffirm\nFormulactl-Record: C-00001@1"
    git(root, "commit", "-q", "--no-gpg-sign", "--allow-empty", "-m", message)
    assert {rule for rule, _ in _history_rules(invoke, root)} == {
        "unsigned",
        "forged-trailer",
        "not-authorized",
    }


def test_set_to_the_value_a_field_already_has_says_so_and_not_saved(
    signed_store: Store, invoke: Invoke
) -> None:
    root = signed_store.root
    before = git(root, "rev-parse", "HEAD")
    done = invoke("set", "C-00002", "class=B", cwd=root)
    assert (done.code, done.out, done.err) == (0, "No changes to C-00002.\n", "")
    assert git(root, "rev-parse", "HEAD") == before


def test_edit_that_changes_only_whitespace_says_so_and_not_saved(
    signed_store: Store, invoke: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = signed_store.root
    editor = tmp_path / "add-blank-line"
    editor.write_text("#!/bin/sh\nprintf '\\n\\n' >> \"$1\"\n")
    editor.chmod(0o755)
    monkeypatch.setenv("EDITOR", str(editor))
    before = git(root, "rev-parse", "HEAD")
    done = invoke("edit", "C-00002", cwd=root)
    assert (done.code, done.out, done.err) == (0, "No changes to C-00002.\n", "")
    assert git(root, "rev-parse", "HEAD") == before
