"""substitute writes one signed commit per run: every affected approved formula revised to
its next version and changed in that same commit, which the history rules accept; the
version in use is the approved one, and an open next version blocks the write."""

from __future__ import annotations

import json

from conftest import Invoke, Member, git, head, step
from formulactl.store.store import Store

SUBSTITUTE = ("substitute", "--replace", "M-00002", "--with", "M-00081")


def test_every_formula_changes_in_one_signed_commit_the_history_accepts(
    sample_signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    key = team_keys["zhang.min"].key
    before = head(sample_signed_store)
    done = invoke(
        *SUBSTITUTE, "--reason", "one TiO2 grade", "--identity", key, cwd=sample_signed_store.root
    )
    assert done.code == 0, done.err
    assert done.err.count("committed ") == 1
    assert git(sample_signed_store.root, "rev-parse", "HEAD~1") == before
    changed = git(sample_signed_store.root, "show", "--name-only", "--format=", "HEAD").split()
    assert changed == ["records/formulas/F-000002.yaml", "records/formulas/F-000009.yaml"]
    message = git(sample_signed_store.root, "log", "-1", "--format=%B")
    assert message.startswith("substitute M-00002 → M-00081 in 2 formula(s)")
    assert "Formulactl-Record: F-000002@4, F-000009@2" in message
    assert "Formulactl-Reason: one TiO2 grade" in message
    for record, version in (("F-000002", 4), ("F-000009", 2)):
        shown = json.loads(invoke("show", record, "--decrypt", "--identity", key, "--json").out)
        assert (shown["version"], shown["status"]) == (version, "draft")
        assert "M-00002" not in [line["material"] for line in shown["ingredients"]]
    assert invoke("validate").code == 0
    history = invoke("validate", "--history")
    assert history.code == 0, history.out


def test_an_open_next_version_is_shown_against_the_approved_one_and_blocks(
    sample_signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    key = team_keys["zhang.min"].key
    root = sample_signed_store.root
    assert step(sample_signed_store, invoke, "revise", "F-000009", "--reason", "next").code == 0
    dry = invoke(*SUBSTITUTE, "--dry-run", "--identity", key, "--json", cwd=root)
    assert dry.code == 0, dry.err
    plan = json.loads(dry.out)
    assert [item["formula"] for item in plan["formulas"]] == ["F-000002@3", "F-000009@1"]
    assert [item["status"] for item in plan["formulas"]] == ["approved", "approved"]
    assert plan["blocked"] == [
        "F-000009@1 is in use, and its next version F-000009@2 is open (draft)"
    ]
    before = head(sample_signed_store)
    done = invoke(*SUBSTITUTE, "--reason", "one TiO2 grade", "--identity", key, cwd=root)
    assert done.code == 2
    assert done.err.strip() == (
        "formulactl: substitute is blocked: F-000009@1 is in use, and its next version "
        "F-000009@2 is open (draft) — approve or reject that open version first, then "
        "substitute again"
    )
    assert head(sample_signed_store) == before
    assert git(root, "status", "--porcelain") == ""
