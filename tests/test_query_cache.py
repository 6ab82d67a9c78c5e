"""The cached tables behind `formulactl query`: one DuckDB file per commit's records, trusted
only where this clone's signed manifest names that very file (size, times, inode), with the
store ID kept beside it; the same answers as a run that trusts no cache."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from conftest import Invoke, Member, commit_as, edit_record, git, head
from data_fixture import data_store
from formulactl.exchange.query import MANIFEST, ask, engine, locate
from formulactl.store.cache import BlobCache
from formulactl.store.store import Store
from formulactl.trace.snapshot import resolve_at

__all__ = ["data_store"]

COUNT = "SELECT customer, count(*) AS orders FROM orders GROUP BY customer ORDER BY customer"
BY_HAND = [{"customer": "C-00001", "orders": 3}, {"customer": "C-00003", "orders": 2}]


def answer(invoke: Invoke, store: Store, *options: str) -> dict[str, object]:
    done = invoke("query", COUNT, "--format", "json", *options, cwd=store.root)
    assert done.code == 0, done.err
    found: dict[str, object] = json.loads(done.out)
    return found


def cached_file(store: Store) -> Path:
    (found,) = Path(store.cache_dir).glob("sql-*.duckdb")
    return found


def identity(path: Path) -> tuple[int, int]:
    """Which file this is: a rebuilt cache is a new file (a new inode or change time)."""
    facts = os.stat(path)
    return facts.st_ino, facts.st_ctime_ns


def test_the_cached_answer_is_the_one_computed_without_a_cache(
    data_store: Store, invoke: Invoke
) -> None:
    first = answer(invoke, data_store)
    built = identity(cached_file(data_store))
    second = answer(invoke, data_store)
    assert identity(cached_file(data_store)) == built  # read, not rebuilt
    uncached = ask(data_store.without_cache(), head(data_store), COUNT)
    assert first == second == uncached.as_dict()
    assert second["rows"] == BY_HAND
    assert second["store_id"] == data_store.settings.store_id


def test_a_run_that_trusts_no_cache_writes_none(data_store: Store) -> None:
    ask(data_store.without_cache(), head(data_store), COUNT)
    assert not list(Path(data_store.cache_dir).glob("sql-*"))


def test_another_commit_has_its_own_file_and_manifest_entry(
    data_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    before = head(data_store)
    answer(invoke, data_store)
    old = cached_file(data_store)
    edit_record(data_store, "orders/O-20261204-a004.yaml", customer="C-00001")
    commit_as(data_store.root, team_keys["zhang.min"], "O-20261204-a004 was C-00001's")
    assert answer(invoke, data_store)["rows"] == [
        {"customer": "C-00001", "orders": 4},
        {"customer": "C-00003", "orders": 1},
    ]
    new = cached_file(data_store)
    assert new.name != old.name and not old.exists()  # one commit's tables at a time
    manifest = BlobCache(data_store.cache_file(MANIFEST), "sql")
    assert list(manifest.entries) == [new.name.removeprefix("sql-").removesuffix(".duckdb")]
    assert answer(invoke, data_store, "--at", before)["rows"] == BY_HAND
    assert cached_file(data_store).name == old.name


def test_a_file_written_again_is_rebuilt_even_with_its_old_size_and_time(
    data_store: Store, invoke: Invoke
) -> None:
    answer(invoke, data_store)
    path = cached_file(data_store)
    facts = os.stat(path)
    path.write_bytes(path.read_bytes())  # the same bytes: only the change time tells
    os.utime(path, ns=(facts.st_atime_ns, facts.st_mtime_ns))
    assert os.stat(path).st_ctime_ns != facts.st_ctime_ns
    assert answer(invoke, data_store)["rows"] == BY_HAND
    assert identity(cached_file(data_store)) != (facts.st_ino, facts.st_ctime_ns)


def test_a_forged_database_is_not_believed(data_store: Store, invoke: Invoke) -> None:
    answer(invoke, data_store)
    path = cached_file(data_store)
    facts = os.stat(path)
    path.unlink()
    forged = engine().connect(str(path))
    forged.execute("CREATE TABLE orders AS SELECT 'C-09999' AS customer FROM range(99)")
    forged.close()
    os.utime(path, ns=(facts.st_atime_ns, facts.st_mtime_ns))
    assert answer(invoke, data_store)["rows"] == BY_HAND


def test_a_wal_beside_the_file_makes_it_untrusted(data_store: Store, invoke: Invoke) -> None:
    answer(invoke, data_store)
    path = cached_file(data_store)
    built = identity(path)
    Path(f"{path}.wal").write_bytes(b"not a log DuckDB wrote")
    assert answer(invoke, data_store)["rows"] == BY_HAND
    assert identity(cached_file(data_store)) != built
    assert not Path(f"{cached_file(data_store)}.wal").exists()


def test_a_manifest_signed_with_another_key_is_ignored(data_store: Store, invoke: Invoke) -> None:
    answer(invoke, data_store)
    built = identity(cached_file(data_store))
    (Path(data_store.cache_dir) / "cache.key").write_bytes(os.urandom(32))
    assert answer(invoke, data_store)["rows"] == BY_HAND
    assert identity(cached_file(data_store)) != built


def test_changed_settings_are_read_again_not_taken_from_the_cache(
    data_store: Store, invoke: Invoke
) -> None:
    answer(invoke, data_store)
    settings = data_store.root / "formulactl.yaml"
    settings.write_text(settings.read_text(encoding="utf-8") + "nonsense: 1\n", encoding="utf-8")
    done = invoke("query", COUNT, cwd=data_store.root)
    assert done.code == 2
    assert done.err.startswith("formulactl: formulactl.yaml:")
    assert "unknown field `nonsense`" in done.err
    assert done.err.count("\n") == 1


@pytest.mark.parametrize("at", [None, "HEAD~1", "v1", "short"])
def test_locate_names_the_commit_resolve_at_names(
    data_store: Store, team_keys: dict[str, Member], at: str | None
) -> None:
    first = head(data_store)
    git(data_store.root, "tag", "v1", first)
    edit_record(data_store, "orders/O-20261204-a004.yaml", customer="C-00001")
    commit_as(data_store.root, team_keys["zhang.min"], "a second commit")
    revision = first[:10] if at == "short" else at
    commit, tree = locate(data_store, revision)
    assert commit == resolve_at(data_store, revision)
    assert tree == git(data_store.root, "rev-parse", f"{commit}:records").strip()


@pytest.mark.parametrize(
    ("at", "message"),
    [
        ("nosuch", "`nosuch` is not a commit here"),
        ("HEAD\nHEAD", "`HEAD\nHEAD` is not a commit here"),
        ("HEAD:records", "`HEAD:records` is not a commit here"),
        ("2000-01-01", "the store had no commits on or before 2000-01-01"),
    ],
)
def test_locate_refuses_what_resolve_at_refuses(data_store: Store, at: str, message: str) -> None:
    from formulactl.errors import FormulaError

    with pytest.raises(FormulaError) as raised:
        locate(data_store, at)
    assert raised.value.finding.message == message


def test_the_duckdb_package_serves_when_its_engine_module_is_gone(
    data_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    import duckdb

    monkeypatch.setitem(sys.modules, "_duckdb", None)
    assert engine() is duckdb
    found = ask(data_store, head(data_store), COUNT)
    assert [dict(zip(found.columns, row, strict=True)) for row in found.rows] == BY_HAND
