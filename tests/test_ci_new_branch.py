"""`formulactl ci` on the first push of a new branch (git's base is all zeros): the commits
not yet on the default branch are judged by the team where the branch left it; only when
that cannot be found does it fail closed."""

from __future__ import annotations

from pathlib import Path

from conftest import Invoke, Member, act_as, commit_as, git, hand_approval
from formulactl.store.store import Store

ZERO = "0" * 40


def new_branch_clone(signed_store: Store, tmp_path: Path, member: Member) -> Store:
    """A clone of a plain bare remote (origin/main, origin/HEAD), on a new branch."""
    bare = tmp_path / "remote.git"
    git(tmp_path, "clone", "-q", "--bare", str(signed_store.root), str(bare))
    git(tmp_path, "clone", "-q", str(bare), str(tmp_path / "clone"))
    clone = Store(tmp_path / "clone")
    act_as(clone, member)
    git(clone.root, "switch", "-q", "-c", "C-00002-industry")
    return clone


def test_a_clean_new_branch_passes_with_or_without_the_default_branch_named(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member], tmp_path: Path
) -> None:
    clone = new_branch_clone(signed_store, tmp_path, team_keys["zhang.min"])
    assert invoke("set", "C-00002", "industry=胶粘剂", cwd=clone.root).code == 0
    assert invoke("submit", "C-00002", cwd=clone.root).code == 0
    named = invoke("ci", "--base", ZERO, "--default-branch", "main", cwd=clone.root)
    assert named.code == 0, named.out + named.err
    assert invoke("ci", "--base", ZERO, cwd=clone.root).code == 0  # origin/HEAD
    git(clone.root, "switch", "-q", "main")
    first_push = invoke("ci", "--base", ZERO, "--default-branch", "main", cwd=clone.root)
    assert first_push.code == 0, first_push.out + first_push.err


def test_a_new_branch_is_judged_by_the_default_branchs_team(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member], tmp_path: Path
) -> None:
    clone = new_branch_clone(signed_store, tmp_path, team_keys["zhang.min"])
    assert invoke("set", "C-00002", "industry=胶粘剂", cwd=clone.root).code == 0
    assert invoke("submit", "C-00002", cwd=clone.root).code == 0
    team = clone.root / "team.yaml"
    team.write_text(
        team.read_text().replace(
            "    roles:\n      - entry\n", "    roles:\n      - entry\n      - approver\n", 1
        )
    )
    commit_as(clone.root, team_keys["zhang.min"], "zhang.min may approve")
    hand_approval(clone, "customers/C-00002.yaml", team_keys["zhang.min"])
    done = invoke("ci", "--base", ZERO, "--default-branch", "main", cwd=clone.root)
    assert done.code == 1
    assert "zhang.min may not approve C-00002" in done.out
    assert "admin-required" in invoke("ci", "--base", ZERO, "--format", "github").out


def test_without_a_default_branch_to_compare_with_ci_fails_closed(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member], tmp_path: Path
) -> None:
    clone = new_branch_clone(signed_store, tmp_path, team_keys["zhang.min"])
    for options in (["--default-branch", "trunk"], ["--default-branch", "--upload-pack=x"]):
        done = invoke("ci", "--base", ZERO, *options, cwd=clone.root)
        assert done.code == 2
        assert "no base commit to compare with" in done.err
    git(clone.root, "remote", "set-head", "origin", "--delete")
    assert invoke("ci", "--base", ZERO, cwd=clone.root).code == 2
