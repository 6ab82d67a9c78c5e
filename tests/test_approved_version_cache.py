"""`scale`, `cost`, `check` and `declare` remember which blob holds a formula's approved
version, by HEAD commit: a warm run answers as a cold one without walking history, a new
commit gets its own entry (a new approval is seen), and a tampered file is not trusted."""

from __future__ import annotations

import marshal
from pathlib import Path
from typing import Any

import pytest

from conftest import Invoke, Member, commit_as, edit_record, git, head, new_customer, step
from formulactl.formulation import source
from formulactl.store.cache import BlobCache, code_version
from formulactl.store.store import Store


def cache_file(store: Store) -> Path:
    return store.cache_dir / source.ApprovedVersions.FILE


def remembered(store: Store) -> dict[str, tuple[Any, ...]]:
    entries: dict[str, tuple[Any, ...]] = BlobCache(cache_file(store), code_version()).entries
    return entries


def scale(store: Store, invoke: Invoke, key: Path, ref: str = "F-000014") -> str:
    done = invoke("scale", ref, "--identity", key, cwd=store.root)
    assert done.code == 0, done.err
    return done.out


def no_history(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any walk of history fail the test: a warm run takes the approval from disk."""

    def refuse(*_args: object) -> None:
        raise AssertionError("history was walked again")

    monkeypatch.setattr(source, "_approved_from_history", refuse)


def test_a_warm_run_answers_the_same_without_walking_history(
    sample_signed_store: Store,
    invoke: Invoke,
    team_keys: dict[str, Member],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    key = team_keys["zhang.min"].key
    cold = scale(sample_signed_store, invoke, key)
    assert cold.startswith("F-000014@1 MR-BW01 甜橙清爽沐浴露\napproved by 陈静 Chen Jing")
    ((name, found),) = remembered(sample_signed_store).items()
    assert name.startswith(head(sample_signed_store) + "\0") and name.endswith("\0F-000014")
    assert found[:1] == (1,) and found[2] == "陈静 Chen Jing (chen.jing)"
    assert found[4]["id"] == "F-000014" and "encryption" in found[4]  # kept sealed
    no_history(monkeypatch)
    assert scale(sample_signed_store, invoke, key) == cold
    for command in ("cost", "check", "declare"):
        done = invoke(command, "F-000014", "--identity", key)
        assert "F-000014@1 MR-BW01" in done.out, done.err
    monkeypatch.undo()
    cache_file(sample_signed_store).unlink()
    assert scale(sample_signed_store, invoke, key) == cold


def test_a_new_commit_has_its_own_entry_and_sees_a_new_approval(
    sample_signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    key = team_keys["zhang.min"].key
    store = sample_signed_store
    before = head(store)
    first = scale(store, invoke, key)
    edit_record(store, "formulas/F-000014.yaml", status="draft", version=2, loss_percent=0)
    commit_as(store.root, team_keys["zhang.min"], "F-000014 version 2")
    edit_record(store, "formulas/F-000014.yaml", status="approved")
    approved = commit_as(store.root, team_keys["wang.fang"], "approve F-000014@2")
    now = scale(store, invoke, key)
    assert now.startswith("F-000014@2 MR-BW01 甜橙清爽沐浴露\napproved by 王芳 Wang Fang")
    assert "loss 0 %" in now and "loss 2 %" in first
    older = scale(store, invoke, key, "F-000014@1")
    assert older.replace(approved[:12], "…") == first.replace(before[:12], "…")
    assert {name.split("\0")[0] for name in remembered(store)} == {approved}
    assert len(remembered(store)) == 2  # F-000014 and F-000014@1, at the new commit only


def test_a_tampered_file_is_not_trusted(
    sample_signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    key = team_keys["zhang.min"].key
    truth = scale(sample_signed_store, invoke, key)
    other = scale(sample_signed_store, invoke, key, "F-000002")
    path = cache_file(sample_signed_store)
    entries = remembered(sample_signed_store)
    taken = next(value for name, value in entries.items() if name.endswith("F-000002"))
    forged = {
        name: (9, taken[1], "mallory", "2020-01-01", taken[4])
        if name.endswith("F-000014")
        else value
        for name, value in entries.items()
    }
    data = path.read_bytes()
    path.write_bytes(data[:32] + marshal.dumps((2, forged)))  # the old tag on new entries
    assert scale(sample_signed_store, invoke, key) == truth
    assert scale(sample_signed_store, invoke, key, "F-000002") == other


def test_no_cache_file_when_the_run_trusts_none(
    sample_signed_store: Store, team_keys: dict[str, Member]
) -> None:
    from formulactl.crypto.crypto import load_identity

    store = sample_signed_store.without_cache()
    reader = source.Reader(store, [load_identity(team_keys["zhang.min"].key)])
    found = source.formula_version(store, "F-000014", False, reader)
    assert (found.ref, found.approved_by) == ("F-000014@1", "陈静 Chen Jing (chen.jing)")
    assert not cache_file(sample_signed_store).exists()


def test_every_formulas_approved_blob_is_kept_by_commit(
    sample_signed_store: Store, invoke: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = sample_signed_store
    cold = source.approved_blobs(store)
    assert cold == source._approved_blobs_from_history(store)
    assert len(cold) == 9 and cold["F-000014"] == git_blob(store, "F-000014")
    monkeypatch.setattr(source, "_approved_blobs_from_history", no_walk)
    assert source.approved_blobs(store) == cold
    monkeypatch.undo()
    step(store, invoke, "new", "customer", *new_customer("华南涂料"))
    assert source.approved_blobs(store) == cold  # walked again at the new commit
    assert {name.split("\0")[0] for name in remembered(store)} == {head(store)}


def git_blob(store: Store, formula: str) -> str:
    return git(store.root, "rev-parse", f"HEAD:records/formulas/{formula}.yaml")


def no_walk(_store: Store) -> dict[str, str]:
    raise AssertionError("history was walked again")
