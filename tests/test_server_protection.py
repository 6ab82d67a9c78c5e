"""The server keeps what it accepted: protected branches are never deleted or rewritten, the
receive-time notes and the verified heads never deleted or replaced, and every commit it
receives, from the very first push on, gets a receive time."""

from __future__ import annotations

from pathlib import Path

from conftest import Invoke, Member, act_as, branch_at, commit_as, edit_record, git, make_key, push
from formulactl.audit.receipts import NOTES_REF, read
from formulactl.model.sshkeys import read_public_key
from formulactl.store.store import Store

VERIFIED = "refs/formulactl/verified"


def submitted(invoke: Invoke, clone: Store) -> None:
    assert invoke("set", "C-00002", "industry=胶粘剂", cwd=clone.root).code == 0
    assert invoke("submit", "C-00002", cwd=clone.root).code == 0


def test_a_force_push_that_drops_commits_is_refused(
    server: tuple[Path, Path], clone: Store, invoke: Invoke
) -> None:
    bare = server[0]
    submitted(invoke, clone)
    assert push(clone.root, "main").returncode == 0
    landed = branch_at(bare)
    git(clone.root, "reset", "-q", "--hard", "HEAD~2")
    done = push(clone.root, "--force", "main")
    assert done.returncode != 0
    assert "this push rewrites refs/heads/main, dropping commits it holds" in done.stderr
    assert "push refused" in done.stderr
    assert branch_at(bare) == landed


def test_protected_branches_are_not_deleted_and_others_are(
    server: tuple[Path, Path], clone: Store
) -> None:
    bare = server[0]
    for branch in ("master", "F-000001-try"):
        assert push(clone.root, f"main:{branch}").returncode == 0
    refused = push(clone.root, ":master")
    assert refused.returncode != 0
    assert "deleting refs/heads/master is refused: it is protected" in refused.stderr
    assert git(bare, "rev-parse", "master") == branch_at(bare)
    assert push(clone.root, ":F-000001-try").returncode == 0


def test_the_notes_and_the_verified_heads_are_never_deleted_or_replaced(
    server: tuple[Path, Path], clone: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    bare = server[0]
    submitted(invoke, clone)
    assert push(clone.root, "main").returncode == 0
    git(clone.root, "fetch", "-q", "origin")
    notes = git(bare, "rev-parse", NOTES_REF)
    assert git(clone.root, "rev-parse", NOTES_REF) == notes
    refused = push(clone.root, f":{NOTES_REF}")
    assert refused.returncode != 0 and f"deleting {NOTES_REF} is refused" in refused.stderr
    git(clone.root, "update-ref", NOTES_REF, git(clone.root, "rev-parse", "HEAD"))
    replaced = push(clone.root, "--force", NOTES_REF)
    assert replaced.returncode != 0 and f"this push rewrites {NOTES_REF}" in replaced.stderr
    assert git(bare, "rev-parse", NOTES_REF) == notes
    act_as(clone, team_keys["chen.jing"])
    assert invoke("audit", "verify", cwd=clone.root).code == 0
    assert invoke("hooks", "install", cwd=clone.root).code == 0
    shared = push(clone.root, VERIFIED)
    assert shared.returncode == 0, shared.stderr
    gone = push(clone.root, f":{VERIFIED}")
    assert gone.returncode != 0 and f"deleting {VERIFIED} is refused" in gone.stderr
    assert git(bare, "rev-parse", VERIFIED) == git(clone.root, "rev-parse", VERIFIED)


def test_commits_smuggled_in_under_the_notes_are_still_checked_on_a_new_branch(
    server: tuple[Path, Path], clone: Store, invoke: Invoke
) -> None:
    submitted(invoke, clone)
    assert push(clone.root, "main").returncode == 0
    git(clone.root, "fetch", "-q", "origin")
    edit_record(clone, "customers/C-00001.yaml", industry="x")
    unsigned = commit_as(clone.root, None, "quick fix")
    notes = git(clone.root, "rev-parse", NOTES_REF)
    tree = git(clone.root, "rev-parse", f"{notes}^{{tree}}")
    carrier = git(clone.root, "commit-tree", tree, "-p", notes, "-p", unsigned, "-m", "notes")
    assert push(clone.root, f"{carrier}:{NOTES_REF}").returncode == 0
    done = push(clone.root, f"{unsigned}:refs/heads/sneaky")
    assert done.returncode != 0
    assert "is not signed" in done.stderr


def test_the_first_push_and_a_new_branch_get_receive_times(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member], tmp_path: Path
) -> None:
    bare = tmp_path / "empty.git"
    git(tmp_path, "init", "-q", "--bare", "--initial-branch=main", str(bare))
    key = make_key(tmp_path / "server-keys", "server")
    assert invoke("hooks", "install", "--server", "--repo", bare, "--key", key).code == 0
    git(signed_store.root, "remote", "add", "origin", str(bare))
    done = push(signed_store.root, "main")
    assert done.returncode == 0, done.stderr
    public = read_public_key(key.with_name("server.pub"))
    first = git(signed_store.root, "rev-list", "main").split()
    receipts = read(bare, public)
    assert sorted(receipts) == sorted(first) and all(r.valid for r in receipts.values())
    git(signed_store.root, "switch", "-q", "-c", "C-00002-industry")
    edit_record(signed_store, "customers/C-00002.yaml", industry="胶粘剂")
    added = commit_as(signed_store.root, team_keys["zhang.min"], "industry")
    assert push(signed_store.root, "C-00002-industry").returncode == 0
    assert sorted(read(bare, public)) == sorted([*first, added])


def test_protected_branches_come_from_the_settings_before_the_push(
    server: tuple[Path, Path], clone: Store, team_keys: dict[str, Member]
) -> None:
    settings = clone.root / "formulactl.yaml"
    settings.write_text(settings.read_text() + "protected_branches:\n  - main\n  - release\n")
    commit_as(clone.root, team_keys["chen.jing"], "protect the release branch")
    assert push(clone.root, "main", "main:release", "main:master").returncode == 0
    refused = push(clone.root, ":release")
    assert refused.returncode != 0 and "deleting refs/heads/release" in refused.stderr
    assert push(clone.root, ":master").returncode == 0
