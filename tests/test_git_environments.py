"""formulactl in the git set-ups people really have: core.autocrlf, linked worktrees,
GIT_INDEX_FILE, their own commit-msg hooks, and records near the size limit."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import Invoke, Member, act_as, edit_yaml, git
from formulactl.store.store import Store

C2 = "records/customers/C-00002.yaml"


def test_fmt_refuses_a_record_whose_canonical_form_is_over_the_size_limit(
    small_store: Store, invoke: Invoke
) -> None:
    edit_yaml(small_store, "formulactl.yaml", "settings", lambda s: s.update(max_record_kb=16))
    path = small_store.root / C2
    needs = ", ".join(f"n{index:04}" for index in range(2200))
    path.write_text(path.read_text() + f"needs: [{needs}]\n")
    before = path.read_bytes()
    assert len(before) < 16 * 1024
    done = invoke("fmt", cwd=small_store.root)
    assert done.code == 2
    assert done.err == (
        f"{C2}: in canonical form this file would be 22 KB, over the store's limit of 16 KB "
        "for a record — split it, or raise max_record_kb in formulactl.yaml; it was left as "
        "it is\n"
    )
    assert path.read_bytes() == before
    assert (invoke("fmt", "--check", cwd=small_store.root).code, path.read_bytes()) == (2, before)


def test_fmt_check_agrees_with_a_clean_checkout_under_autocrlf(
    signed_store: Store, invoke: Invoke
) -> None:
    root = signed_store.root
    git(root, "config", "core.autocrlf", "true")
    shutil.rmtree(root / "records")
    git(root, "checkout", "--", "records")
    assert b"\r\n" in (root / C2).read_bytes()
    done = invoke("fmt", "--check", cwd=root)
    assert (done.code, done.out) == (0, ""), done.out
    changed = (root / C2).read_bytes().replace(b"class: B\r\n", b"class: A\r\n")
    (root / C2).write_bytes(changed)  # changed, and canonical as git will store it
    assert invoke("fmt", "--check", cwd=root).code == 0


def test_setup_signing_in_a_worktree_leaves_the_main_checkouts_key_alone(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member], tmp_path: Path
) -> None:
    root = signed_store.root
    main_key = git(root, "config", "--get", "user.signingkey")
    worktree = tmp_path / "second-checkout"
    git(root, "worktree", "add", "-q", str(worktree))
    done = invoke("setup-signing", "--key", team_keys["wang.fang"].key, cwd=worktree)
    assert done.code == 0, done.err
    assert git(root, "config", "--get", "user.signingkey") == main_key
    assert git(worktree, "config", "--get", "user.signingkey") == str(team_keys["wang.fang"].key)
    assert git(worktree, "config", "--get", "user.email") == "wang.fang@example.com"
    assert git(root, "config", "--get", "user.email") == "zhang.min@example.com"


def test_a_commit_with_git_index_file_set_keeps_the_real_index_in_step(
    signed_store: Store, invoke: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = signed_store.root
    other = tmp_path / "other-index"
    shutil.copyfile(root / ".git" / "index", other)
    monkeypatch.setenv("GIT_INDEX_FILE", str(other))
    done = invoke("set", "C-00002", "industry=胶粘剂", cwd=root)
    assert done.code == 0, done.err
    monkeypatch.delenv("GIT_INDEX_FILE")
    assert git(root, "status", "--porcelain") == ""


def test_a_hook_that_strips_the_trailers_makes_approve_fail_and_commit_nothing(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    root = signed_store.root
    assert invoke("submit", "C-00002", cwd=root).code == 0
    hooks = root / git(root, "rev-parse", "--git-path", "hooks")
    hooks.mkdir(exist_ok=True)
    hook = hooks / "commit-msg"
    hook.write_text("#!/bin/sh\nsed -i '/^Formulactl-/d' \"$1\"\n")
    hook.chmod(0o755)
    act_as(signed_store, team_keys["wang.fang"])
    before = git(root, "rev-parse", "HEAD")
    done = invoke("approve", "C-00002", cwd=root)
    assert (done.code, done.out) == (2, "")
    assert done.err == (
        "formulactl: the commit git made is not the one meant: its trailer Formulactl-Action "
        "is missing — a git hook changed it (see `git config core.hooksPath` and .git/hooks); "
        "nothing was committed\n"
    )
    assert git(root, "rev-parse", "HEAD") == before
    assert git(root, "status", "--porcelain") == ""
    assert "status: in_review" in (root / C2).read_text()
