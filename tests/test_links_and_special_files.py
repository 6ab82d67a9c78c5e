"""Links and special files in a store are never followed or opened: each is one finding that
names the path (never what it points at), in the working tree, in history and on the server."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import PROJECT, Invoke, Member, branch_at, commit_as, findings, git, push, run_guarded
from formulactl.store.store import Store

SECRET = "RUNNER-SECRET-4f9a"
RECORD = "records/formulas/F-000001.yaml"


@pytest.fixture
def secret_file(tmp_path: Path) -> Path:
    """A file outside the store that must never be shown: a runner's secret."""
    path = tmp_path / "outside" / "secret.txt"
    path.parent.mkdir()
    path.write_text(f"{SECRET}\nsecond line {SECRET}\n")
    return path


def make_special(path: Path, kind: str, scratch: Path) -> None:
    """Replace `path` with a link to /dev/zero, a FIFO, or a link to a FIFO."""
    path.unlink(missing_ok=True)
    if kind == "link-to-dev-zero":
        path.symlink_to("/dev/zero")
    elif kind == "fifo":
        os.mkfifo(path)
    else:
        pipe = scratch / "pipe"
        os.mkfifo(pipe)
        path.symlink_to(pipe)


def test_a_record_linked_outside_the_store_is_named_but_never_shown(
    small_store: Store, secret_file: Path
) -> None:
    (small_store.root / RECORD).unlink()
    (small_store.root / RECORD).symlink_to(secret_file)
    for command in (["validate"], ["show", "F-000001"], ["list", "formula"]):
        done = run_guarded(small_store.root, *command)
        said = done.stdout + done.stderr
        assert SECRET not in said, command
        assert "Traceback" not in done.stderr
        assert f"{RECORD}: is a symbolic link" in said, command
    done = run_guarded(small_store.root, "validate")
    assert done.returncode == 2
    assert [line for line in done.stdout.splitlines() if RECORD in line] == [
        line for line in done.stdout.splitlines() if "symbolic link" in line
    ]


@pytest.mark.parametrize("kind", ["link-to-dev-zero", "link-to-fifo"])
def test_a_record_linked_to_a_device_or_fifo_is_refused_without_reading(
    small_store: Store, tmp_path: Path, kind: str
) -> None:
    make_special(small_store.root / RECORD, kind, tmp_path)
    for command in (["validate"], ["list", "formula"], ["show", "F-000001"], ["fmt", "--check"]):
        done = run_guarded(small_store.root, *command, timeout=30)
        assert "Traceback" not in done.stderr, command
        assert f"{RECORD}: is a symbolic link" in done.stdout + done.stderr, command
        if command[0] != "list":
            assert done.returncode == 2, command


def test_a_record_that_is_a_fifo_is_refused_by_show_and_set(
    small_store: Store, tmp_path: Path
) -> None:
    make_special(small_store.root / RECORD, "fifo", tmp_path)
    for command in (["show", "F-000001"], ["set", "F-000001", "product=x"]):
        done = run_guarded(small_store.root, *command, timeout=30)
        assert done.returncode == 2, command
        assert f"{RECORD}: is a named pipe (FIFO)" in done.stderr, command
        assert "Traceback" not in done.stderr


@pytest.mark.parametrize("name", ["team.yaml", "formulactl.yaml", "schemas/formula.schema.json"])
@pytest.mark.parametrize("kind", ["link-to-dev-zero", "fifo"])
def test_store_files_that_are_links_or_fifos_are_refused(
    small_store: Store, tmp_path: Path, name: str, kind: str
) -> None:
    make_special(small_store.root / name, kind, tmp_path)
    done = run_guarded(small_store.root, "validate", timeout=30)
    assert done.returncode in (1, 2)
    assert "Traceback" not in done.stderr
    what = "a symbolic link" if kind.startswith("link") else "a named pipe (FIFO)"
    assert f"{name}: is {what}" in done.stdout + done.stderr


def test_set_on_a_symlinked_record_says_it_is_a_link_and_writes_nothing(
    signed_store: Store, invoke: Invoke, tmp_path: Path
) -> None:
    record = signed_store.root / "records/customers/C-00002.yaml"
    kept = tmp_path / "kept.yaml"
    shutil.copyfile(record, kept)
    record.unlink()
    record.symlink_to(kept)
    before = kept.read_bytes()
    done = invoke("set", "C-00002", "industry=胶粘剂", cwd=signed_store.root)
    assert done.code == 2
    assert "records/customers/C-00002.yaml: is a symbolic link" in done.err
    assert record.is_symlink() and kept.read_bytes() == before


def test_a_record_folder_that_is_a_link_is_named_and_nothing_is_read_or_written_through_it(
    signed_store: Store, invoke: Invoke, tmp_path: Path
) -> None:
    folder = signed_store.root / "records/customers"
    outside = tmp_path / "outside-customers"
    shutil.copytree(folder, outside)
    shutil.rmtree(folder)
    folder.symlink_to(outside)
    before = {path.name: path.read_bytes() for path in outside.iterdir()}
    done = invoke("validate", cwd=signed_store.root)
    assert done.code == 2
    assert "records/customers: is a symbolic link" in done.out
    done = invoke("set", "C-00002", "industry=胶粘剂", cwd=signed_store.root)
    assert done.code == 2
    assert "records/customers: is a symbolic link" in done.err
    assert {path.name: path.read_bytes() for path in outside.iterdir()} == before


def add_gitlink(root: Path, path: str, signer: Member) -> None:
    """A submodule entry (mode 160000) committed by hand: git never checks it out as a file."""
    head = git(root, "rev-parse", "HEAD")
    git(root, "update-index", "--add", "--cacheinfo", f"160000,{head},{path}")
    git(root, "-c", f"user.signingkey={signer.key}", "commit", "-q", "-S", "-m", "add " + path)


@pytest.mark.parametrize("entry", ["record-link", "team-link", "gitlink"])
def test_a_history_that_adds_a_link_or_gitlink_is_a_finding(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member], entry: str
) -> None:
    root = signed_store.root
    admin = team_keys["chen.jing"]
    if entry == "record-link":
        path = "records/formulas/F-000009.yaml"
        (root / path).symlink_to("/etc/hostname")
        commit_as(root, team_keys["zhang.min"], "a linked record")
    elif entry == "team-link":
        path = "team.yaml"
        (root / "team.yaml").rename(root / "team-copy.yaml")
        (root / "team.yaml").symlink_to("team-copy.yaml")
        commit_as(root, admin, "team file moved behind a link")
    else:
        path = "records/formulas/F-000009.yaml"
        add_gitlink(root, path, admin)
    code, found = findings(invoke, signed_store)
    assert code == 1
    assert any(f["rule"] == "not-a-file" and f["path"] == path for f in found), found
    audited = invoke("audit", "verify", cwd=root)
    assert audited.code == 1
    assert f"{path}: is " in audited.out


def test_the_pre_commit_hook_stops_a_staged_link(
    signed_store: Store, invoke: Invoke, secret_file: Path
) -> None:
    root = signed_store.root
    assert invoke("hooks", "install", cwd=root).code == 0
    (root / "records/formulas/F-000009.yaml").symlink_to(secret_file)
    git(root, "add", "records/formulas/F-000009.yaml")
    refused = subprocess.run(
        ["git", "-C", str(root), "commit", "-q", "-m", "a linked record"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert refused.returncode != 0
    assert "records/formulas/F-000009.yaml: is a symbolic link" in refused.stderr
    assert SECRET not in refused.stderr


def test_the_server_refuses_a_push_with_an_absolute_link_and_does_not_crash(
    server: tuple[Path, Path],
    clone: Store,
    team_keys: dict[str, Member],
    secret_file: Path,
) -> None:
    bare = server[0]
    before = branch_at(bare)
    (clone.root / "records/formulas/F-000009.yaml").symlink_to(secret_file)
    commit_as(clone.root, team_keys["zhang.min"], "a linked record")
    done = push(clone.root, "main")
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    assert "records/formulas/F-000009.yaml: is a symbolic link" in done.stderr
    assert "push refused" in done.stderr
    assert SECRET not in done.stderr
    assert branch_at(bare) == before


def test_the_sample_store_keeps_its_schemas_as_files_equal_to_those_formulactl_ships() -> None:
    """This repository is a store too, so its schemas are files (a link would be refused);
    a change to the shipped schemas is copied here in the same commit."""
    shipped = PROJECT / "src/formulactl/schemas"
    kept = PROJECT / "schemas"
    assert not kept.is_symlink()
    names = sorted(path.name for path in shipped.glob("*.schema.json"))
    assert sorted(path.name for path in kept.glob("*.schema.json")) == names
    for name in names:
        assert (kept / name).read_bytes() == (shipped / name).read_bytes(), (
            f"schemas/{name} differs from src/formulactl/schemas/{name}: copy it over"
        )
