"""where-used lists every version of a formula that used the material, not just the file's
current one: each approved version (the latest in force, earlier ones superseded) and an
open draft, with its status, whether it is in force and whether it is current."""

from __future__ import annotations

import json
from typing import Any

from conftest import Invoke, Member, git, step
from formulactl.store.store import Store


def uses(invoke: Invoke, material: str, *extra: str) -> list[tuple[Any, ...]]:
    done = invoke("where-used", material, *extra, "--json")
    assert done.code == 0, done.err
    return [
        (f["formula"], f["version"], f["status"], f["in_force"], f["current"])
        for f in json.loads(done.out)["formulas"]
    ]


def test_every_version_that_used_the_material_is_listed(
    trace_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    zhang, chen = team_keys["zhang.min"], team_keys["chen.jing"]
    root = trace_store.root
    git(root, "tag", "before-v3")
    step(trace_store, invoke, "revise", "F-000001", "--reason", "water only", who=zhang)
    assert uses(invoke, "M-00002") == [
        ("F-000001", 2, "approved", True, False),  # still the version in force
        ("F-000001", 3, "draft", False, True),
        ("F-000002", 1, "approved", True, True),
    ]
    step(
        trace_store,
        invoke,
        "set",
        "F-000001",
        "ingredients[0].percent=100",
        "--unset",
        "ingredients[1]",
        "--identity",
        zhang.key,
    )
    step(trace_store, invoke, "submit", "F-000001")
    step(trace_store, invoke, "approve", "F-000001", who=chen)
    # F-000001@3 no longer uses M-00002: only its superseded version 2 did
    assert uses(invoke, "M-00002") == [
        ("F-000001", 2, "superseded", False, False),
        ("F-000002", 1, "approved", True, True),
    ]
    assert uses(invoke, "M-00001") == [
        ("F-000001", 2, "superseded", False, False),
        ("F-000001", 3, "approved", True, True),
        ("F-000002", 1, "approved", True, True),
    ]
    assert uses(invoke, "M-00002", "--at", "before-v3") == [
        ("F-000001", 2, "approved", True, True),
        ("F-000002", 1, "approved", True, True),
    ]
    table = invoke("where-used", "M-00002").out.splitlines()
    assert table[2:5] == [
        "Formulas:",
        "  formula     status      in force  current  customer",
        "  F-000001@2  superseded                     C-00001",
    ]
