"""`new` writes no workflow field: a record starts as a draft (or open feedback) at version 1,
and only the workflow commands move it on, exactly as `set` refuses to."""

from __future__ import annotations

import os
from pathlib import Path

from conftest import Invoke, git
from formulactl.store.store import Store

CUSTOMER = ["name=蓝天胶粘剂", "type=potential", "class=C", "owner=wang.fang"]
FEEDBACK = [
    "customer=C-00001",
    "type=complaint",
    "severity=low",
    "received_by=li.wei",
    "description=颜色偏差",
]


def sets(assignments: list[str]) -> list[str]:
    return [part for text in assignments for part in ("--set", text)]


def test_new_refuses_workflow_fields_and_commits_nothing(
    signed_store: Store, invoke: Invoke, tmp_path: Path
) -> None:
    root = signed_store.root
    head = git(root, "rev-parse", "HEAD")
    before = sorted(os.listdir(root / "records/customers"))
    source = tmp_path / "customer.yaml"
    source.write_text(
        "name: 蓝天胶粘剂\ntype: potential\nclass: C\nowner: wang.fang\nstatus: approved\n"
    )
    attempts = [
        (
            ["customer", *sets([*CUSTOMER, "status=approved", "review_due=2030-01-01"])],
            "review_due",
        ),
        (["customer", *sets([*CUSTOMER, "status=in_review"])], "status"),
        (["customer", *sets([*CUSTOMER, "version=3"])], "version"),
        (["customer", "--from", str(source)], "status"),
        (["feedback", *sets([*FEEDBACK, "status=closed"])], "status"),
    ]
    for args, field in attempts:
        done = invoke("new", *args, cwd=root)
        assert done.code == 2, (args, done.out)
        assert f"`{field}` changes only through the workflow commands" in done.err
        assert len(done.err.strip().splitlines()) == 1
    assert git(root, "rev-parse", "HEAD") == head
    assert sorted(os.listdir(root / "records/customers")) == before


def test_new_accepts_the_starting_state_written_out(signed_store: Store, invoke: Invoke) -> None:
    done = invoke(
        "new", "customer", *sets([*CUSTOMER, "status=draft", "version=1"]), cwd=signed_store.root
    )
    assert (done.code, done.out) == (0, "C-00003\n")
