"""After `setup-signing`, `git fetch` and `git pull` work against a remote that has no
receive-time notes (GitHub, GitLab, a plain bare repository), bring the notes when the
remote has them, and a plain `git tag` stays a plain tag."""

from __future__ import annotations

import subprocess
from pathlib import Path

from conftest import Member, act_as, commit_as, edit_record, git
from formulactl.audit.receipts import NOTES_REF
from formulactl.git import gitio
from formulactl.store.store import Store


def plain_clone(signed_store: Store, tmp_path: Path) -> tuple[Path, Store]:
    """A plain bare remote (no hooks, no notes) and a clone of it."""
    bare = tmp_path / "plain.git"
    git(tmp_path, "clone", "-q", "--bare", str(signed_store.root), str(bare))
    git(tmp_path, "clone", "-q", str(bare), str(tmp_path / "clone"))
    return bare, Store(tmp_path / "clone")


def test_fetch_and_pull_work_against_a_remote_without_notes_and_bring_them_when_there(
    signed_store: Store, team_keys: dict[str, Member], tmp_path: Path
) -> None:
    bare, clone = plain_clone(signed_store, tmp_path)
    act_as(clone, team_keys["zhang.min"])
    git(clone.root, "fetch", "-q", "origin")
    edit_record(signed_store, "customers/C-00002.yaml", industry="胶粘剂")
    pushed = commit_as(signed_store.root, team_keys["zhang.min"], "more work")
    git(signed_store.root, "push", "-q", str(bare), "main")
    git(clone.root, "pull", "-q", "--ff-only")
    assert git(clone.root, "rev-parse", "HEAD") == pushed
    gitio.add_note(bare, NOTES_REF, pushed, "received 2026-12-01T00:00:00+00:00\n")
    git(clone.root, "fetch", "-q", "origin")
    assert git(clone.root, "notes", f"--ref={NOTES_REF}", "show", pushed).startswith("received")


def test_setup_signing_repairs_a_clone_set_up_by_an_earlier_version(
    signed_store: Store, team_keys: dict[str, Member], tmp_path: Path
) -> None:
    _bare, clone = plain_clone(signed_store, tmp_path)
    git(clone.root, "config", "--add", "remote.origin.fetch", f"+{NOTES_REF}:{NOTES_REF}")
    git(clone.root, "config", "tag.gpgsign", "true")
    act_as(clone, team_keys["zhang.min"])
    git(clone.root, "fetch", "-q", "origin")
    fetched = git(clone.root, "config", "--get-all", "remote.origin.fetch").splitlines()
    assert f"+{NOTES_REF}:{NOTES_REF}" not in fetched
    assert len(fetched) == 2
    tagged = subprocess.run(
        ["git", "-C", str(clone.root), "-c", "core.editor=false", "tag", "v1"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert tagged.returncode == 0, tagged.stderr
    assert git(clone.root, "cat-file", "-t", "v1") == "commit"
