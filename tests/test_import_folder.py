"""`import DIR`: an admin brings a folder of YAML records in as one signed commit, or nothing."""

from __future__ import annotations

from pathlib import Path

from conftest import (
    NEW_MATERIAL,
    OVERDUE_SUPPLIER,
    Invoke,
    Member,
    act_as,
    assert_refused,
    git,
    head,
    history_is_clean,
    importable,
    signer_email,
    step,
    subject,
    trailers,
)
from formulactl.store.store import Store

# ------------------------------------------------------------------ import


def test_an_admin_imports_records_in_one_signed_commit(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member], tmp_path: Path
) -> None:
    source = importable(
        tmp_path / "incoming",
        {"suppliers/S-0002.yaml": OVERDUE_SUPPLIER, "materials/M-00003.yaml": NEW_MATERIAL},
    )
    before = head(signed_store)
    done = step(
        signed_store, invoke, "import", source, "--reason", "旧系统迁移", who=team_keys["chen.jing"]
    )
    assert done.out == "Imported 2 records\n"
    assert git(signed_store.root, "rev-list", "--count", f"{before}..HEAD") == "1"
    assert subject(signed_store) == "import 2 records"
    assert trailers(signed_store) == {
        "Action": "import",
        "Meaning": "authored",
        "Reason": "旧系统迁移",
    }
    assert signer_email(signed_store) == "chen.jing@example.com"
    changed = git(signed_store.root, "show", "--name-only", "--format=", "HEAD").splitlines()
    assert sorted(changed) == ["records/materials/M-00003.yaml", "records/suppliers/S-0002.yaml"]
    assert (signed_store.root / "records/materials/M-00003.yaml").read_text() == NEW_MATERIAL
    history_is_clean(signed_store, invoke)


def test_import_accepts_a_folder_holding_records(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member], tmp_path: Path
) -> None:
    source = importable(tmp_path / "old-store", {"records/materials/M-00003.yaml": NEW_MATERIAL})
    done = step(signed_store, invoke, "import", source, "--reason", "x", who=team_keys["chen.jing"])
    assert done.out == "Imported 1 records\n"
    assert (signed_store.root / "records/materials/M-00003.yaml").is_file()


def test_only_an_admin_imports(signed_store: Store, invoke: Invoke, tmp_path: Path) -> None:
    source = importable(tmp_path / "incoming", {"materials/M-00003.yaml": NEW_MATERIAL})
    before = head(signed_store)
    assert_refused(
        signed_store,
        invoke("import", source, "--reason", "x", cwd=signed_store.root),
        before,
        "only an admin imports records — ask an admin",
    )
    assert not (signed_store.root / "records/materials/M-00003.yaml").exists()


def test_import_needs_a_reason(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member], tmp_path: Path
) -> None:
    source = importable(tmp_path / "incoming", {"materials/M-00003.yaml": NEW_MATERIAL})
    act_as(signed_store, team_keys["chen.jing"])
    before = head(signed_store)
    missing = invoke("import", source, cwd=signed_store.root)
    assert (missing.code, missing.err) == (
        2,
        "formulactl import: Missing option '--reason' — see `formulactl import --help`\n",
    )
    assert_refused(
        signed_store,
        invoke("import", source, "--reason", " ", cwd=signed_store.root),
        before,
        'import needs a reason — add --reason "…"',
    )


def test_import_refuses_ids_that_already_exist(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member], tmp_path: Path
) -> None:
    existing = signed_store.root / "records/customers/C-00001.yaml"
    kept = existing.read_bytes()
    source = importable(
        tmp_path / "incoming",
        {
            "materials/M-00003.yaml": NEW_MATERIAL,
            "customers/C-00001.yaml": kept.decode().replace("华彩涂料", "别的客户", 1),
        },
    )
    act_as(signed_store, team_keys["chen.jing"])
    before = head(signed_store)
    assert_refused(
        signed_store,
        invoke("import", source, "--reason", "x", cwd=signed_store.root),
        before,
        "records/customers/C-00001.yaml already exists — import only new records",
    )
    assert existing.read_bytes() == kept
    assert not (signed_store.root / "records/materials/M-00003.yaml").exists()


def test_import_refuses_invalid_records_and_leaves_nothing_behind(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member], tmp_path: Path
) -> None:
    source = importable(
        tmp_path / "incoming",
        {
            "suppliers/S-0002.yaml": OVERDUE_SUPPLIER,
            "materials/M-00003.yaml": NEW_MATERIAL.replace("471-34-1", "471-34-2"),
        },
    )
    act_as(signed_store, team_keys["chen.jing"])
    before = head(signed_store)
    done = invoke("import", source, "--reason", "x", cwd=signed_store.root)
    assert (done.code, done.out) == (2, "")
    lines = done.err.splitlines()
    assert lines[-1] == "import: nothing was written."
    assert len(lines) == 2
    assert lines[0].startswith("records/materials/M-00003.yaml:")
    assert "471-34-2" in lines[0] or "check digit" in lines[0]
    assert head(signed_store) == before
    assert git(signed_store.root, "status", "--porcelain", "--untracked-files=all") == ""
    assert not (signed_store.root / "records/suppliers/S-0002.yaml").exists()


def test_import_of_an_empty_folder_is_refused(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member], tmp_path: Path
) -> None:
    empty = tmp_path / "nothing"
    empty.mkdir()
    act_as(signed_store, team_keys["chen.jing"])
    before = head(signed_store)
    assert_refused(
        signed_store,
        invoke("import", empty, "--reason", "x", cwd=signed_store.root),
        before,
        f"no record files in {empty} — give a folder holding customers/, formulas/, … folders",
    )
