"""`validate --history`: each rule broken once in a real repository with real keys is found,
and a clean history with ordinary merge commits passes."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from conftest import (
    Invoke,
    Member,
    act_as,
    commit_as,
    edit_record,
    findings,
    git,
    hand_approval,
    make_key,
    rules,
)
from formulactl.model.workflow import content_digest
from formulactl.store import yamlio
from formulactl.store.store import Store


def submitted_draft(invoke: Invoke, store: Store, keys: dict[str, Member]) -> None:
    """C-00002 (a draft customer) submitted for review by zhang.min."""
    act_as(store, keys["zhang.min"])
    assert invoke("submit", "C-00002", cwd=store.root).code == 0


def test_a_history_made_with_formulactl_passes(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    root = signed_store.root
    assert invoke("set", "C-00002", "industry=胶粘剂", cwd=root).code == 0
    assert invoke("submit", "C-00002", cwd=root).code == 0
    act_as(signed_store, team_keys["wang.fang"])
    assert invoke("approve", "C-00002", cwd=root).code == 0
    done = invoke("validate", "--history", cwd=root)
    assert (done.code, done.out) == (0, "")
    assert "8 commits checked (8 signed), 0 findings" in done.err


def test_unsigned_commit(signed_store: Store, invoke: Invoke) -> None:
    edit_record(signed_store, "customers/C-00002.yaml", industry="x")
    unsigned = commit_as(signed_store.root, None, "quick fix")
    code, found = findings(invoke, signed_store)
    assert code == 1
    assert [(f["rule"], f["commit"]) for f in found] == [("unsigned", unsigned)]
    assert found[0]["message"] == f"commit {unsigned[:10]} is not signed"


def test_unknown_key(signed_store: Store, invoke: Invoke, tmp_path: Path) -> None:
    stranger = make_key(tmp_path / "keys", "stranger")
    edit_record(signed_store, "customers/C-00002.yaml", industry="x")
    commit_as(signed_store.root, stranger, "edit")
    assert rules(invoke, signed_store) == {"unknown-key"}


def test_key_added_and_used_in_the_same_commit(
    signed_store: Store, invoke: Invoke, tmp_path: Path, team_keys: dict[str, Member]
) -> None:
    newcomer = make_key(tmp_path / "keys", "newcomer")
    team = signed_store.root / "team.yaml"
    data = yamlio.load_record(team.read_bytes(), "team.yaml", 1 << 20)
    public = newcomer.with_name("newcomer.pub").read_text().split()
    data["people"].append(
        {
            "id": "new.comer",
            "name": "New Comer",
            "email": "n@example.com",
            "roles": ["entry"],
            "keys": [{"key": f"{public[0]} {public[1]}"}],
        }
    )
    team.write_text(yamlio.dump(data, signed_store.schema("team").shape), encoding="utf-8")
    commit_as(signed_store.root, newcomer, "add myself")
    assert rules(invoke, signed_store) == {"unknown-key", "admin-required"}


def test_role_granted_to_oneself_counts_only_from_the_next_commit(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    submitted_draft(invoke, signed_store, team_keys)
    team = signed_store.root / "team.yaml"
    team.write_text(
        team.read_text().replace(
            "    roles:\n      - entry\n", "    roles:\n      - entry\n      - approver\n", 1
        )
    )
    assert "approver" in team.read_text().split("id: zhang.min")[1].split("keys")[0]
    hand_approval(signed_store, "customers/C-00002.yaml", team_keys["zhang.min"])
    assert rules(invoke, signed_store) == {"admin-required", "not-authorized"}


def test_team_change_by_a_non_admin(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    team = signed_store.root / "team.yaml"
    team.write_text(team.read_text().replace("李伟 Li Wei", "李伟 Wei Li"))
    commit_as(signed_store.root, team_keys["li.wei"], "fix my name")
    _code, found = findings(invoke, signed_store)
    assert [(f["rule"], f["path"], f["person"]) for f in found] == [
        ("admin-required", "team.yaml", "li.wei")
    ]


def test_self_approval(signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]) -> None:
    act_as(signed_store, team_keys["wang.fang"])
    assert invoke("set", "C-00002", "industry=胶粘剂", cwd=signed_store.root).code == 0
    assert invoke("submit", "C-00002", cwd=signed_store.root).code == 0
    refused = invoke("approve", "C-00002", cwd=signed_store.root)
    assert refused.code == 2
    assert "wang.fang changed C-00002 since its last approval" in refused.err
    hand_approval(signed_store, "customers/C-00002.yaml", team_keys["wang.fang"])
    _code, found = findings(invoke, signed_store)
    assert [(f["rule"], f["person"]) for f in found] == [("self-approval", "wang.fang")]


def test_approval_by_a_non_approver(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    submitted_draft(invoke, signed_store, team_keys)
    hand_approval(signed_store, "customers/C-00002.yaml", team_keys["li.wei"])
    _code, found = findings(invoke, signed_store)
    assert [(f["rule"], f["person"]) for f in found] == [("not-authorized", "li.wei")]
    assert found[0]["message"] == "li.wei may not approve C-00002"


def test_content_smuggled_into_an_approval(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    submitted_draft(invoke, signed_store, team_keys)
    hand_approval(signed_store, "customers/C-00002.yaml", team_keys["chen.jing"], **{"class": "A"})
    found = rules(invoke, signed_store)
    assert "approval-changes-content" in found


def test_stale_approval_digest(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    submitted_draft(invoke, signed_store, team_keys)
    path = signed_store.root / "records/customers/C-00002.yaml"
    stale = content_digest(
        dict(yamlio.load_record(path.read_bytes(), "x", 1 << 20), industry="reviewed earlier")
    )
    data = edit_record(
        signed_store, "customers/C-00002.yaml", status="approved", review_due="2027-11-23"
    )
    message = (
        f"approve C-00002@1\n\nFormulactl-Action: approve\nFormulactl-Meaning: approved\n"
        f"Formulactl-Approves: C-00002@1 {stale}"
    )
    assert stale != content_digest(data)
    commit_as(signed_store.root, team_keys["chen.jing"], message)
    assert rules(invoke, signed_store) == {"approval-digest"}


def test_approved_version_edited_in_place(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    edit_record(signed_store, "customers/C-00001.yaml", industry="涂料")
    commit_as(signed_store.root, team_keys["zhang.min"], "small fix")
    _code, found = findings(invoke, signed_store)
    assert [(f["rule"], f["path"]) for f in found] == [
        ("approved-edited", "records/customers/C-00001.yaml")
    ]


def test_forged_trailer_on_an_unsigned_commit(signed_store: Store, invoke: Invoke) -> None:
    edit_record(signed_store, "customers/C-00002.yaml", industry="x")
    commit_as(signed_store.root, None, "approve\n\nFormulactl-Meaning: approved")
    assert {"unsigned", "forged-trailer"} <= rules(invoke, signed_store)


def test_backdated_commit_after_key_removal(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    act_as(signed_store, team_keys["chen.jing"])
    assert (
        invoke(
            "team", "remove", "li.wei", "--reason", "left the company", cwd=signed_store.root
        ).code
        == 0
    )
    edit_record(signed_store, "customers/C-00002.yaml", industry="x")
    old = "2020-01-01T00:00:00+0800"
    commit_as(
        signed_store.root,
        team_keys["li.wei"],
        "late edit",
        env={"GIT_COMMITTER_DATE": old, "GIT_AUTHOR_DATE": old},
    )
    assert rules(invoke, signed_store) == {"unknown-key", "backdated"}


def test_evil_merge(signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]) -> None:
    root = signed_store.root
    git(root, "switch", "-q", "-c", "side")
    assert invoke("set", "C-00002", "industry=胶粘剂", cwd=root).code == 0
    git(root, "switch", "-q", "main")
    assert (
        invoke(
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
            cwd=root,
        ).code
        == 0
    )
    git(root, "merge", "-q", "--no-ff", "--no-commit", "side")
    edit_record(signed_store, "customers/C-00002.yaml", region="华东")
    commit_as(root, team_keys["zhang.min"], "merge side")
    assert rules(invoke, signed_store) == {"evil-merge"}


def test_a_shallow_clone_fails_closed(signed_store: Store, tmp_path: Path, invoke: Invoke) -> None:
    shallow = tmp_path / "shallow"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "1", f"file://{signed_store.root}", str(shallow)],
        check=True,
    )
    done = invoke("validate", "--history", cwd=shallow)
    assert done.code == 2
    assert "this clone is shallow" in done.err
    assert "git fetch --unshallow" in done.err


def test_two_clones_merging_through_a_server_pass(
    signed_store: Store, invoke: Invoke, tmp_path: Path, team_keys: dict[str, Member]
) -> None:
    server = tmp_path / "server.git"
    git(tmp_path, "clone", "-q", "--bare", str(signed_store.root), str(server))
    clones = {}
    for person in ("zhang.min", "wang.fang"):
        clone = tmp_path / person
        git(tmp_path, "clone", "-q", str(server), str(clone))
        store = Store(clone)
        act_as(store, team_keys[person])
        clones[person] = store
    zhang, wang = clones["zhang.min"], clones["wang.fang"]
    assert invoke("set", "C-00002", "industry=胶粘剂", cwd=zhang.root).code == 0
    assert invoke("submit", "C-00002", cwd=zhang.root).code == 0
    git(zhang.root, "push", "-q", "origin", "main")
    assert (
        invoke(
            "new",
            "interaction",
            "--set",
            "customer=C-00001",
            "--set",
            "channel=visit",
            "--set",
            "by=wang.fang",
            "--set",
            "summary=拜访",
            cwd=wang.root,
        ).code
        == 0
    )
    git(wang.root, "pull", "-q", "--no-rebase", "--no-edit", "origin", "main")
    assert invoke("approve", "C-00002", cwd=wang.root).code == 0
    git(wang.root, "push", "-q", "origin", "main")
    assert len(git(wang.root, "log", "--merges", "--format=%H").split()) == 1
    done = invoke("validate", "--history", cwd=wang.root)
    assert (done.code, done.out) == (0, "")


def test_a_range_reports_only_its_own_commits(signed_store: Store, invoke: Invoke) -> None:
    edit_record(signed_store, "customers/C-00002.yaml", industry="x")
    commit_as(signed_store.root, None, "unsigned")
    assert invoke("set", "C-00002", "industry=y", cwd=signed_store.root).code == 0
    code, found = findings(invoke, signed_store, "HEAD~1..HEAD")
    assert (code, found) == (0, [])
    code, found = findings(invoke, signed_store, "HEAD~2..HEAD")
    assert [f["rule"] for f in found] == ["unsigned"]


@pytest.mark.parametrize("revision", ["--upload-pack=touch x", "no-such-branch"])
def test_hostile_or_unknown_revisions_are_refused(
    signed_store: Store, invoke: Invoke, revision: str
) -> None:
    done = invoke("validate", "--history", "--", revision, cwd=signed_store.root)
    assert done.code == 2
    assert "is not a commit here" in done.err
