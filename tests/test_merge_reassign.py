"""`merge C-A --into C-B` and `reassign --from P --to Q`: signed commits the history rules
accept, refused in one line when they cannot be done."""

from __future__ import annotations

import json

import pytest

from conftest import (
    C2,
    Invoke,
    Member,
    assert_refused,
    commit_as,
    edit_record,
    git,
    head,
    history_is_clean,
    load,
    new_customer,
    rules,
    step,
    trailers,
)
from formulactl.store.store import Store

C1 = "records/customers/C-00001.yaml"


def reassign(old: str, new: str, reason: str) -> list[str]:
    return ["reassign", "--from", old, "--to", new, "--reason", reason]


def test_merging_a_draft_is_one_signed_commit_keeping_both_files(
    signed_store: Store, invoke: Invoke
) -> None:
    done = step(signed_store, invoke, "merge", "C-00002", "--into", "C-00001", "--reason", "同一家")
    assert done.out == "C-00002 is merged into C-00001 (draft, version 1)\n"
    assert trailers(signed_store) == {
        "Action": "merge",
        "Record": "C-00002@1",
        "Meaning": "authored",
        "Reason": "同一家",
    }
    assert load(signed_store, C2)["merged_into"] == "C-00001"
    assert load(signed_store, C1).get("merged_into") is None
    assert git(signed_store.root, "show", "--name-only", "--format=", "HEAD") == C2
    history_is_clean(signed_store, invoke)


def test_merging_an_approved_customer_revises_it_first_and_needs_review_again(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    start = head(signed_store)
    done = step(
        signed_store, invoke, "merge", "C-00001", "--into", "C-00002", "--reason", "重复录入"
    )
    assert done.out == "C-00001 is merged into C-00002 (draft, version 2)\n"
    subjects = git(signed_store.root, "log", "--format=%s", f"{start}..HEAD").splitlines()
    assert subjects == ["merge C-00001@2: 华彩涂料", "revise C-00001@2: 华彩涂料"]
    record = load(signed_store, C1)
    assert (record["status"], record["version"], record["merged_into"]) == ("draft", 2, "C-00002")
    step(signed_store, invoke, "submit", "C-00001")
    step(signed_store, invoke, "approve", "C-00001", who=team_keys["chen.jing"])
    history_is_clean(signed_store, invoke)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["C-00002", "--into", "C-00002"],
            "cannot merge C-00002 into itself — name the customer it duplicates",
        ),
        (
            ["C-00002", "--into", "C-00099"],
            "no record C-00099 — check the ID with `formulactl list`",
        ),
        (
            ["C-00002", "--into", "F-000001"],
            "F-000001 is not a customer ID — customer IDs look like C-00012",
        ),
        (
            ["C-00002", "--into", "C-00001", "--reason", " "],
            'merge needs a reason — add --reason "…"',
        ),
    ],
)
def test_a_merge_that_cannot_be_done_is_refused_in_one_line(
    signed_store: Store, invoke: Invoke, args: list[str], message: str
) -> None:
    before = head(signed_store)
    if "--reason" not in args:
        args = [*args, "--reason", "x"]
    assert_refused(signed_store, invoke("merge", *args, cwd=signed_store.root), before, message)


def test_no_merge_into_a_merged_customer_nor_of_one_in_review(
    signed_store: Store, invoke: Invoke
) -> None:
    step(signed_store, invoke, "new", "customer", *new_customer("Baltic Glue"))
    step(signed_store, invoke, "merge", "C-00002", "--into", "C-00001", "--reason", "同一家")
    before = head(signed_store)
    done = invoke("merge", "C-00003", "--into", "C-00002", "--reason", "x", cwd=signed_store.root)
    assert_refused(
        signed_store,
        done,
        before,
        "records/customers/C-00002.yaml: C-00002 is itself merged into C-00001 — "
        "merge into C-00001 instead",
    )
    step(signed_store, invoke, "submit", "C-00003")
    before = head(signed_store)
    done = invoke("merge", "C-00003", "--into", "C-00001", "--reason", "x", cwd=signed_store.root)
    assert_refused(
        signed_store,
        done,
        before,
        "records/customers/C-00003.yaml: C-00003 is in_review — reject it back to draft first",
    )


# ------------------------------------------------------------------ reassign


def test_reassign_moves_owners_in_one_admin_signed_commit_that_history_accepts(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    chen = team_keys["chen.jing"]
    step(signed_store, invoke, *reassign("wang.fang", "li.wei", "王芳调岗"), who=chen)
    done = step(signed_store, invoke, *reassign("li.wei", "zhang.min", "李伟离职"), "--json")
    assert json.loads(done.out)["records"] == ["C-00001", "C-00002"]
    assert trailers(signed_store) == {
        "Action": "reassign",
        "Meaning": "authored",
        "Reason": "李伟离职",
    }
    changed = git(signed_store.root, "show", "--name-only", "--format=", "HEAD").splitlines()
    assert changed == [C1, C2]
    approved = load(signed_store, C1)
    assert (approved["owner"], approved["status"], approved["version"]) == (
        "zhang.min",
        "approved",
        1,
    )
    history_is_clean(signed_store, invoke)


def test_reassign_takes_where_and_names_what_it_moved(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    args = [*reassign("li.wei", "wang.fang", "A 类客户统一由王芳负责"), "--where", "class=A"]
    done = step(signed_store, invoke, *args, who=team_keys["chen.jing"])
    assert done.out == "wang.fang now owns C-00001\n"
    assert done.err == f"committed {head(signed_store)[:10]}: reassign 1 customer(s)\n"


def test_only_an_admin_reassigns_and_history_catches_one_who_did_it_by_hand(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    before = head(signed_store)
    done = invoke(
        "reassign", "--from", "li.wei", "--to", "zhang.min", "--reason", "x", cwd=signed_store.root
    )
    assert_refused(
        signed_store, done, before, "only an admin reassigns customers — ask an admin to run it"
    )
    edit_record(signed_store, "customers/C-00001.yaml", owner="zhang.min")
    commit_as(signed_store.root, team_keys["wang.fang"], "reassign\n\nFormulactl-Action: reassign")
    assert "approved-edited" in rules(invoke, signed_store)


def test_a_reassign_that_changes_more_than_owners_is_caught(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    edit_record(signed_store, "customers/C-00001.yaml", owner="zhang.min", industry="涂料")
    commit_as(signed_store.root, team_keys["chen.jing"], "reassign\n\nFormulactl-Action: reassign")
    assert "approved-edited" in rules(invoke, signed_store)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--from", "li.wei", "--to", "nobody.here"],
            "nobody.here is not in the team — name a current team member (`formulactl team list`)",
        ),
        (
            ["--from", "liu.yang", "--to", "zhang.min"],
            "liu.yang owns no customer to reassign — "
            "check the ID with `formulactl list customer --where owner=…`",
        ),
        (
            ["--from", "li.wei", "--to", "li.wei"],
            "--from and --to are both li.wei — name two people",
        ),
    ],
)
def test_a_reassign_that_cannot_be_done_is_refused_in_one_line(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member], args: list[str], message: str
) -> None:
    step(signed_store, invoke, "whoami", who=team_keys["chen.jing"])
    before = head(signed_store)
    done = invoke("reassign", *args, "--reason", "x", cwd=signed_store.root)
    assert_refused(signed_store, done, before, message)
