"""A customer's owner must be a current team member: `validate` names every live customer
whose owner has left, who can take it over and the command; archived and merged customers
and a store whose team file names nobody yet are exempt; `reassign` clears the finding."""

from __future__ import annotations

import json

from conftest import Invoke, Member, edit_record, git, step
from formulactl.store.store import Store


def owner_findings(invoke: Invoke, store: Store) -> list[tuple[str, int, str, str]]:
    done = invoke("validate", "--json", cwd=store.root)
    return [
        (found["path"], found["line"], found["message"], found["hint"])
        for found in json.loads(done.out)
        if found["rule"] == "owner-in-team"
    ]


def test_an_empty_team_file_checks_no_owner(small_store: Store, invoke: Invoke) -> None:
    edit_record(small_store, "customers/C-00001.yaml", owner="nobody.here")
    assert invoke("validate", cwd=small_store.root).code == 0
    assert owner_findings(invoke, small_store) == []


def test_an_owner_who_left_is_a_finding_until_reassigned(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    assert owner_findings(invoke, signed_store) == []
    chen = team_keys["chen.jing"]
    step(signed_store, invoke, "team", "remove", "li.wei", "--reason", "离职", who=chen)
    done = invoke("validate", cwd=signed_store.root)
    assert done.code == 1
    assert owner_findings(invoke, signed_store) == [
        (
            "records/customers/C-00001.yaml",
            7,
            "customer C-00001: owner li.wei is not a current team member; can take over: "
            "chen.jing, wang.fang, zhang.min",
            '`formulactl reassign --from li.wei --to chen.jing --reason "…"`',
        )
    ]
    # archived or merged into another: nobody's customer any more
    edit_record(signed_store, "customers/C-00001.yaml", status="archived")
    assert owner_findings(invoke, signed_store) == []
    edit_record(signed_store, "customers/C-00001.yaml", status="approved", merged_into="C-00002")
    assert owner_findings(invoke, signed_store) == []
    git(signed_store.root, "checkout", "--", "records/customers/C-00001.yaml")
    step(signed_store, invoke, "reassign", "--from", "li.wei", "--to", "wang.fang", "--reason", "r")
    assert owner_findings(invoke, signed_store) == []  # (his data keys are `rekey`'s business)
