"""Messages that say what is wrong and what to do, and only hints that apply."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import Invoke, Member, act_as, run_cli
from formulactl.cli.root import command
from formulactl.store.store import Store
from test_history_rules import git


def copied_key(member: Member, folder: Path) -> Path:
    """A copy of a member's key pair that a test may change without touching the original."""
    folder.mkdir(parents=True, exist_ok=True)
    key = folder / member.id
    shutil.copy(member.key, key)
    shutil.copy(member.public, folder / f"{member.id}.pub")
    key.chmod(0o600)
    return key


def test_a_private_key_others_can_read_is_named_with_the_fix(
    signed_store: Store, team_keys: dict[str, Member], tmp_path: Path, invoke: Invoke
) -> None:
    key = copied_key(team_keys["zhang.min"], tmp_path / "mine")
    act_as(signed_store, Member("zhang.min", "", (), key))
    key.chmod(0o644)
    done = invoke("set", "C-00002", "industry=涂料", cwd=signed_store.root)
    assert done.code == 2
    assert done.err == (f"formulactl: {key} is readable by others (mode 644) — chmod 600 {key}\n")
    again = invoke("setup-signing", "--key", key, cwd=signed_store.root)
    assert again.code == 2 and f"chmod 600 {key}" in again.err and "@@@" not in again.err


def test_a_merge_in_progress_is_named_without_the_whoami_hint(
    signed_store: Store, invoke: Invoke
) -> None:
    root = signed_store.root
    git(root, "checkout", "-q", "-b", "side")
    (root / "notes.txt").write_text("side work\n")
    git(root, "add", "notes.txt")
    git(root, "commit", "-q", "-S", "-m", "side work")
    git(root, "checkout", "-q", "main")
    git(root, "merge", "-q", "--no-commit", "--no-ff", "side")
    done = invoke("set", "C-00002", "industry=涂料", cwd=root)
    assert done.code == 2
    assert "a merge is in progress" in done.err and "git merge --abort" in done.err
    assert "whoami" not in done.err


def test_a_signing_key_with_a_passphrase_is_named_without_the_whoami_hint(
    signed_store: Store, team_keys: dict[str, Member], tmp_path: Path
) -> None:
    key = copied_key(team_keys["zhang.min"], tmp_path / "mine")
    subprocess.run(
        ["ssh-keygen", "-q", "-p", "-P", "", "-N", "a passphrase", "-f", str(key)], check=True
    )
    act_as(signed_store, Member("zhang.min", "", (), key))
    done = run_cli(
        "set",
        "C-00002",
        "industry=涂料",
        cwd=signed_store.root,
        env={"SSH_ASKPASS_REQUIRE": "never", "DISPLAY": ""},
    )
    assert done.code == 2, done.err
    assert f"the signing key {key} needs its passphrase" in done.err
    assert f"ssh-add {key}" in done.err and "whoami" not in done.err


def test_log_of_a_version_the_record_never_had(signed_store: Store, invoke: Invoke) -> None:
    done = invoke("log", "C-00001@999", cwd=signed_store.root)
    assert (done.code, done.err) == (
        2,
        "formulactl: no version 999 of C-00001 (latest: 1) — see `formulactl log C-00001`\n",
    )
    assert "→ approved" in invoke("log", "C-00001@1", cwd=signed_store.root).out


def test_log_in_a_repository_without_commits_is_one_line(
    empty_store: Store, invoke: Invoke
) -> None:
    done = invoke("log", "C-00001", cwd=empty_store.root)
    assert (done.code, done.err) == (
        2,
        "formulactl: this repository has no commits yet — there is no history to show\n",
    )


def test_show_names_the_readers_of_a_sealed_record_in_one_line(
    signed_store: Store, invoke: Invoke
) -> None:
    done = invoke("show", "F-000001", cwd=signed_store.root)
    assert done.code == 0
    assert done.out.endswith(
        "encryption: sealed for chen.jing, li.wei, recovery, wang.fang, zhang.min "
        "(use --raw to see the envelope)\n"
    )
    assert "recipients" not in done.out
    raw = invoke("show", "F-000001", "--raw", cwd=signed_store.root).out
    assert raw == (signed_store.root / "records/formulas/F-000001.yaml").read_text()


def test_counts_agree_with_their_nouns(signed_store: Store, invoke: Invoke) -> None:
    one = invoke("validate", "records/customers/C-00001.yaml", cwd=signed_store.root)
    assert one.err == "1 file checked, 0 findings\n"
    two = invoke("validate", "records/customers", cwd=signed_store.root)
    assert two.err.endswith(" files checked, 0 findings\n")


def all_commands() -> list[list[str]]:
    found: list[list[str]] = []

    def walk(command: object, path: list[str]) -> None:
        found.append(path)
        for name, child in getattr(command, "commands", {}).items():
            walk(child, [*path, name])

    walk(command(), [])
    return found


@pytest.mark.parametrize("command", all_commands(), ids=" ".join)
def test_help_names_values_not_python_types(invoke: Invoke, command: list[str]) -> None:
    done = invoke(*command, "--help")
    assert done.code == 0
    assert "<" not in done.out.replace("<repo>", ""), done.out
    assert "{" not in done.out.splitlines()[0], done.out


def test_help_shows_field_assignments_as_such(invoke: Invoke) -> None:
    assert "--set FIELD=VALUE" in invoke("new", "--help").out
    assert "--where FIELD=VALUE" in invoke("list", "--help").out
    assert "Usage: formulactl set [OPTIONS] ID FIELD=VALUE..." in invoke("set", "--help").out
