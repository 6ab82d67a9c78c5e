"""Where people already work: a server that refuses bad pushes and notes receive times, the
pre-commit framework, the CI check, the pull-request review, and the record merge driver."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import (
    PROJECT,
    Invoke,
    Member,
    act_as,
    branch_at,
    commit_as,
    edit_record,
    git,
    hand_approval,
    push,
)
from formulactl.audit.receipts import NOTES_REF, read
from formulactl.model.sshkeys import read_public_key
from formulactl.store import yamlio
from formulactl.store.store import Store


def test_a_clean_push_lands_and_gets_signed_receive_times(
    server: tuple[Path, Path], clone: Store, invoke: Invoke, signed_store: Store
) -> None:
    bare, key = server
    assert invoke("set", "C-00002", "industry=胶粘剂", cwd=clone.root).code == 0
    assert invoke("submit", "C-00002", cwd=clone.root).code == 0
    done = push(clone.root, "main")
    assert done.returncode == 0, done.stderr
    assert branch_at(bare) == git(clone.root, "rev-parse", "HEAD")
    assert "noted the receive time of 2 commits" in done.stderr
    public = read_public_key(key.with_name("server.pub"))
    receipts = read(bare, public)
    for commit in git(clone.root, "rev-list", "HEAD~2..HEAD").split():
        assert receipts[commit].valid
    assert not read(
        bare, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
    )[commit].valid


@pytest.mark.parametrize("bad", ["unsigned", "self-approval", "plaintext"])
def test_a_bad_push_is_refused_and_the_branch_does_not_move(
    server: tuple[Path, Path], clone: Store, invoke: Invoke, team_keys: dict[str, Member], bad: str
) -> None:
    bare = server[0]
    before = branch_at(bare)
    if bad == "unsigned":
        edit_record(clone, "customers/C-00002.yaml", industry="x")
        commit_as(clone.root, None, "quick fix")
        expected = "is not signed"
    elif bad == "self-approval":
        act_as(clone, team_keys["wang.fang"])
        assert invoke("set", "C-00002", "industry=胶粘剂", cwd=clone.root).code == 0
        assert invoke("submit", "C-00002", cwd=clone.root).code == 0
        hand_approval(clone, "customers/C-00002.yaml", team_keys["wang.fang"])
        expected = "wang.fang approved C-00002@1 after changing it"
    else:
        formula = yamlio.load_record(
            (clone.root / "records/formulas/F-000001.yaml").read_bytes(), "f", 1 << 20
        )
        formula["ingredients"][0]["percent"] = 62.5
        (clone.root / "records/formulas/F-000001.yaml").write_text(
            yamlio.dump(formula, clone.schema("formula").shape), encoding="utf-8"
        )
        commit_as(clone.root, team_keys["zhang.min"], "leak")
        expected = "confidential but stored in plain text"
    done = push(clone.root, "main")
    assert done.returncode != 0
    assert expected in done.stderr
    assert "push refused" in done.stderr
    assert branch_at(bare) == before


def test_the_pre_commit_framework_runs_the_hook_and_blocks_an_invalid_record(
    signed_store: Store, tmp_path: Path
) -> None:
    bad = signed_store.root / "records/customers/C-00009.yaml"
    bad.write_text("id: C-00009\nname: Pitfall\nname: twice\n", encoding="utf-8")
    git(signed_store.root, "add", str(bad))
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pre_commit",
            "try-repo",
            str(PROJECT),
            "formulactl-validate",
            "--files",
            "records/customers/C-00009.yaml",
        ],
        cwd=signed_store.root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "duplicate field `name`" in done.stdout


def test_our_pre_commit_and_pre_push_hooks_stop_bad_work(
    signed_store: Store, invoke: Invoke, tmp_path: Path
) -> None:
    assert invoke("hooks", "install", cwd=signed_store.root).code == 0
    assert git(signed_store.root, "config", "--local", "core.hooksPath").endswith(
        "formulactl/hooks"
    )
    bad = signed_store.root / "records/customers/C-00009.yaml"
    bad.write_text("id: C-00009\nname: x\nclass: D\n", encoding="utf-8")
    git(signed_store.root, "add", str(bad))
    refused = subprocess.run(
        ["git", "-C", str(signed_store.root), "commit", "-q", "-m", "x"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert refused.returncode != 0
    assert "C-00009.yaml" in refused.stderr and "commit stopped by" in refused.stderr
    git(signed_store.root, "reset", "-q", "--", str(bad))
    bad.unlink()
    bare = tmp_path / "plain.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    git(signed_store.root, "remote", "add", "origin", str(bare))
    edit_record(signed_store, "customers/C-00002.yaml", industry="x")
    git(signed_store.root, "add", "-A")
    git(signed_store.root, "commit", "-q", "--no-gpg-sign", "--no-verify", "-m", "unsigned")
    done = push(signed_store.root, "main")
    assert done.returncode != 0
    assert "is not signed" in done.stderr and "push stopped by" in done.stderr


def test_ci_refuses_a_pull_request_that_makes_its_author_an_approver(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    root = signed_store.root
    base = git(root, "rev-parse", "HEAD")
    act_as(signed_store, team_keys["zhang.min"])
    assert invoke("set", "C-00002", "industry=胶粘剂", cwd=root).code == 0
    assert invoke("submit", "C-00002", cwd=root).code == 0
    team = root / "team.yaml"
    team.write_text(
        team.read_text().replace(
            "    roles:\n      - entry\n", "    roles:\n      - entry\n      - approver\n", 1
        )
    )
    commit_as(root, team_keys["zhang.min"], "zhang.min may approve")
    hand_approval(signed_store, "customers/C-00002.yaml", team_keys["zhang.min"])
    done = invoke("ci", "--base", base, "--format", "github", cwd=root)
    assert done.code == 1
    assert "title=formulactl not-authorized::" in done.out
    assert "zhang.min may not approve C-00002" in done.out
    assert "title=formulactl admin-required::" in done.out
    missing = invoke("ci", "--base", "0" * 40, cwd=root)
    assert missing.code == 2 and "no base commit" in missing.err
    unknown = invoke("ci", "--base", "1234567890abcdef1234567890abcdef12345678", cwd=root)
    assert unknown.code == 2 and "is not in this clone" in unknown.err


def test_ci_template_writes_a_workflow_that_fetches_full_history(
    signed_store: Store, invoke: Invoke
) -> None:
    pinned = ("--install", "git+https://git.example.com/formulactl.git@" + "0" * 40)
    assert invoke("ci-template", "github", *pinned, cwd=signed_store.root).code == 0
    workflow = (signed_store.root / ".github/workflows/formulactl.yml").read_text()
    assert "fetch-depth: 0" in workflow and "formulactl ci --base" in workflow
    assert invoke("ci-template", "gitlab", *pinned, cwd=signed_store.root).code == 0
    assert 'GIT_DEPTH: "0"' in (signed_store.root / ".gitlab-ci.yml").read_text()


def test_review_summarizes_a_pull_request(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    root = signed_store.root
    base = git(root, "rev-parse", "HEAD")
    assert invoke("set", "C-00002", "industry=胶粘剂", cwd=root).code == 0
    assert invoke("submit", "C-00002", cwd=root).code == 0
    head = git(root, "rev-parse", "HEAD")
    done = invoke("review", f"{base}..HEAD", "--markdown", cwd=root)
    assert done.code == 0, done.out
    set_commit, submit_commit = git(root, "rev-list", "--reverse", f"{base}..HEAD").split()
    assert done.out.splitlines() == [
        f"## formulactl review: {base[:10]}..{head[:10]}",
        "",
        "2 commits, 1 records touched, 0 findings.",
        "",
        "### C-00002 (customer): changed, draft → in_review",
        "",
        "Needs an approver: chen.jing, wang.fang.",
        "",
        "| field | change | before | after |",
        "| --- | --- | --- | --- |",
        "| `status` | changed | draft | in_review |",
        "| `industry` | added |  | 胶粘剂 |",
        "",
        f"Signed: {set_commit[:10]} zhang.min set; {submit_commit[:10]} zhang.min submit",
        "",
        "### Findings",
        "",
        "None.",
        "",
    ]


def write_side(store: Store, data: dict[str, object]) -> None:
    (store.root / "records/customers/C-00002.yaml").write_text(
        yamlio.dump(data, store.schema("customer").shape), encoding="utf-8"
    )


def test_the_merge_driver_merges_different_fields_and_keeps_a_conflict_readable(
    signed_store: Store, invoke: Invoke
) -> None:
    root = signed_store.root
    git(root, "switch", "-q", "-c", "side")
    assert invoke("set", "C-00002", "industry=胶粘剂", cwd=root).code == 0
    git(root, "switch", "-q", "main")
    assert invoke("set", "C-00002", "region=华东", cwd=root).code == 0
    git(root, "merge", "-q", "--no-edit", "side")
    merged = yamlio.load_record(
        (root / "records/customers/C-00002.yaml").read_bytes(), "c", 1 << 20
    )
    assert (merged["industry"], merged["region"]) == ("胶粘剂", "华东")
    assert invoke("fmt", "--check", cwd=root).code == 0
    assert invoke("validate", "--history", cwd=root).code == 0
    git(root, "switch", "-q", "-c", "other", "HEAD~1")
    assert invoke("set", "C-00002", "region=华南", cwd=root).code == 0
    git(root, "switch", "-q", "main")
    assert invoke("set", "C-00002", "region=华北", cwd=root).code == 0
    conflict = subprocess.run(
        ["git", "-C", str(root), "merge", "--no-edit", "other"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert conflict.returncode != 0
    assert "both branches changed region" in conflict.stderr
    text = (root / "records/customers/C-00002.yaml").read_text()
    data = yamlio.load_record(text.encode(), "c", 1 << 20)
    assert data["region"] == "华北"
    assert data["merge_conflicts"] == [{"field": "region", "ours": "华北", "theirs": "华南"}]
    found = json.loads(invoke("validate", "--json", cwd=root).out)
    assert [f["rule"] for f in found] == ["merge-conflict"]


def test_log_shows_the_receive_time_and_audit_flags_a_clock_far_off(
    server: tuple[Path, Path], clone: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    _bare, key = server
    settings = clone.root / "formulactl.yaml"
    public = read_public_key(key.with_name("server.pub"))
    settings.write_text(settings.read_text() + f"receipts:\n  key: {public}\n")
    commit_as(clone.root, team_keys["chen.jing"], "receipts are signed by the server")
    act_as(clone, team_keys["zhang.min"])
    later = "2031-01-01T00:00:00+0000"
    edit_record(clone, "customers/C-00002.yaml", industry="胶粘剂")
    skewed = commit_as(
        clone.root,
        team_keys["zhang.min"],
        "edit",
        env={"GIT_COMMITTER_DATE": later, "GIT_AUTHOR_DATE": later},
    )
    assert push(clone.root, "main").returncode == 0
    git(clone.root, "fetch", "-q", "origin")
    assert git(clone.root, "notes", f"--ref={NOTES_REF}", "list", skewed)
    shown = invoke("log", "C-00002", cwd=clone.root).out.splitlines()[0]
    assert "2031-01-01T00:00:00+00:00 (received 20" in shown
    found = json.loads(invoke("audit", "verify", "--json", cwd=clone.root).out)["findings"]
    assert [(f["rule"], f["commit"]) for f in found] == [("claimed-date", skewed)]
