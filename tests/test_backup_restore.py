"""backup --to DIR: a verified bundle of every ref formulactl uses, a restore drill checked
by audit verify and recorded as a signed event; restore BUNDLE DIR: a store only once it
verifies; due reminds when the next drill is due."""

from __future__ import annotations

import json
import os
import subprocess
from datetime import date, timedelta
from pathlib import Path

from conftest import (
    Invoke,
    Member,
    act_as,
    commit_as,
    edit_record,
    git,
    head,
    history_is_clean,
    step,
    trailers,
)
from formulactl.store.store import Store

REFS = [
    "refs/formulactl/verified",
    "refs/heads/main",
    "refs/notes/formulactl-comments",
    "refs/tags/v1",
]


def prepared(store: Store, invoke: Invoke, keys: dict[str, Member]) -> None:
    """A tag, a note under refs/notes/formulactl-* and the verified-heads list."""
    git(store.root, "tag", "v1")
    git(store.root, "notes", "--ref=formulactl-comments", "add", "-m", "a note", "HEAD")
    step(store, invoke, "audit", "verify", who=keys["chen.jing"])
    act_as(store, keys["zhang.min"])


def bundle_in(folder: Path) -> Path:
    (found,) = folder.glob("*.bundle")
    return found


def test_backup_saves_every_ref_verifies_the_restore_and_records_the_drill(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member], tmp_path: Path
) -> None:
    prepared(signed_store, invoke, team_keys)
    before = head(signed_store)
    done = step(signed_store, invoke, "backup", "--to", tmp_path / "backups")
    bundle = bundle_in(tmp_path / "backups")
    store_id = signed_store.settings.store_id
    assert bundle.name == f"{store_id}-{date.today():%Y%m%d}-{before[:10]}.bundle"
    lines = done.out.splitlines()
    assert lines[0] == (
        f"Saved 4 refs at {before[:10]} to {bundle} ({bundle.stat().st_size} bytes)"
    )
    assert lines[1:5] == [f"  {ref}" for ref in REFS]
    assert lines[-1] == "Restore drill passed: 4 refs restored, audit verify clean"
    listed = git(signed_store.root, "bundle", "list-heads", str(bundle)).splitlines()
    assert sorted(line.split()[1] for line in listed) == sorted(["HEAD", *REFS])
    # The drill is one signed commit that changes no file, and history accepts it.
    assert git(signed_store.root, "rev-parse", "HEAD^") == before
    assert git(signed_store.root, "diff", "--name-only", "HEAD^", "HEAD") == ""
    found = trailers(signed_store)
    assert found["Action"] == "backup-drill"
    assert found["Backup"].startswith(f"{before} sha256:")
    assert git(signed_store.root, "log", "-1", "--format=%G?") == "G"
    history_is_clean(signed_store, invoke)


def test_restore_gives_a_working_store_with_every_ref(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member], tmp_path: Path
) -> None:
    prepared(signed_store, invoke, team_keys)
    step(signed_store, invoke, "backup", "--to", tmp_path / "backups")
    bundle = bundle_in(tmp_path / "backups")
    target = tmp_path / "restored"
    done = invoke("restore", bundle, target, cwd=tmp_path)
    assert (done.code, done.out) == (0, f"Restored 4 refs into {target}; audit verify clean\n")
    # Every ref as it was when saved (the drill's own commit comes after the bundle).
    saved = git(signed_store.root, "bundle", "list-heads", str(bundle)).splitlines()
    for line in saved:
        target_id, ref = line.split()
        assert git(target, "rev-parse", ref) == target_id
    assert git(target, "rev-parse", "main") == git(signed_store.root, "rev-parse", "main^")
    assert git(target, "remote") == ""
    assert git(target, "status", "--porcelain") == ""
    done = invoke("validate", cwd=target)
    assert done.code == 0, done.err
    history_is_clean(Store(target), invoke)


def test_restore_refuses_a_folder_that_is_not_empty(
    signed_store: Store, invoke: Invoke, tmp_path: Path
) -> None:
    done = step(signed_store, invoke, "backup", "--to", tmp_path / "backups", "--json")
    saved = json.loads(done.out)
    assert saved["bundle"] == str(bundle_in(tmp_path / "backups"))
    assert saved["refs"] == {"refs/heads/main": git(signed_store.root, "rev-parse", "HEAD^")}
    assert saved["drill"] == {"passed": True, "findings": []}
    assert saved["recorded"] == head(signed_store)
    target = tmp_path / "busy"
    target.mkdir()
    (target / "notes.txt").write_text("mine\n")
    done = invoke("restore", bundle_in(tmp_path / "backups"), target, cwd=tmp_path)
    assert (done.code, done.out) == (2, "")
    assert done.err == (
        f"formulactl: {target}: is not an empty folder — restore into a new or empty folder; "
        "nothing was written\n"
    )
    assert sorted(p.name for p in target.iterdir()) == ["notes.txt"]


def test_a_damaged_bundle_is_refused_and_nothing_is_written(
    signed_store: Store, invoke: Invoke, tmp_path: Path
) -> None:
    step(signed_store, invoke, "backup", "--to", tmp_path / "backups")
    bundle = bundle_in(tmp_path / "backups")
    data = bytearray(bundle.read_bytes())
    data[-100] ^= 0xFF  # a flipped byte inside the pack
    bundle.write_bytes(bytes(data))
    target = tmp_path / "restored"
    done = invoke("restore", bundle, target, cwd=tmp_path)
    assert (done.code, done.out) == (2, "")
    assert done.err == (
        f"formulactl: {bundle}: is not a complete, undamaged git bundle — use another "
        "backup; nothing was written\n"
    )
    assert not target.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".formulactl")] == []


def test_a_history_that_does_not_verify_fails_the_drill_and_the_restore(
    signed_store: Store, invoke: Invoke, tmp_path: Path
) -> None:
    edit_record(signed_store, "customers/C-00002.yaml", industry="涂料")
    forged = commit_as(signed_store.root, None, "an unsigned change")
    done = invoke("backup", "--to", tmp_path / "backups", cwd=signed_store.root)
    assert done.code == 1
    assert done.err.splitlines()[-1] == (
        "formulactl: the restore drill failed: this backup does not verify — not recorded"
    )
    assert head(signed_store) == forged  # no drill recorded
    target = tmp_path / "restored"
    done = invoke("restore", bundle_in(tmp_path / "backups"), target, cwd=tmp_path)
    assert (done.code, done.out) == (2, "")
    assert done.err.startswith(f"formulactl: {bundle_in(tmp_path / 'backups')}: the restored")
    assert not target.exists()


def test_due_reminds_when_the_last_drill_is_older_than_backup_days(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member], tmp_path: Path
) -> None:
    def backup_items() -> list[dict[str, object]]:
        items = json.loads(invoke("due", "--json", cwd=signed_store.root).out)
        return [item for item in items if item["task"] == "drill"]

    assert backup_items() == []  # no drill yet, no backup_days set: no reminder
    step(signed_store, invoke, "backup", "--to", tmp_path / "backups")
    next_drill = (date.today() + timedelta(days=30)).isoformat()
    expected = {"due": next_drill, "record": "store", "kind": "backup", "task": "drill"}
    assert backup_items() == [dict(expected, who=["chen.jing"], overdue=False, note="")]
    # A drill recorded long ago (signed, dated 2026-01-02) is overdue 30 days later.
    old = {"GIT_COMMITTER_DATE": "2026-01-02T10:00:00+00:00"}
    key = team_keys["zhang.min"].key
    subprocess.run(
        [
            "git",
            "-C",
            str(signed_store.root),
            "-c",
            f"user.signingkey={key}",
            "commit",
            "-q",
            "-S",
            "--allow-empty",
            "-m",
            "backup drill\n\nFormulactl-Action: backup-drill",
        ],
        check=True,
        env={**os.environ, **old},
    )
    assert backup_items() == [
        dict(expected, due="2026-02-01", who=["chen.jing"], overdue=True, note="")
    ]
    done = invoke("due", "--overdue", cwd=signed_store.root)
    assert "2026-02-01  OVERDUE drill    store            by chen.jing" in done.out.splitlines()


def test_relative_paths_are_read_from_where_the_command_runs(
    signed_store: Store, invoke: Invoke, tmp_path: Path
) -> None:
    done = invoke("backup", "--to", "../../backups", cwd=signed_store.root / "records")
    assert done.code == 0, done.err
    bundle = bundle_in(tmp_path / "backups")
    (tmp_path / "elsewhere").mkdir()
    relative = Path("..") / "backups" / bundle.name
    done = invoke("restore", relative, tmp_path / "restored", cwd=tmp_path / "elsewhere")
    assert done.code == 0, done.err
    assert git(tmp_path / "restored", "rev-parse", "main") == git(
        signed_store.root, "rev-parse", "main^"
    )
