"""`dedupe customer` remembers each name's normalised form and pinyin key between runs: the
warm answer equals the one made without the cache, another `--at` keeps its own names, a
tampered file is not trusted, and names opened for a reader never reach the disk."""

from __future__ import annotations

import json
import marshal
from pathlib import Path

import pytest

from conftest import Invoke, head, new_customer, step
from formulactl.archive import duplicates, matching
from formulactl.store.cache import BlobCache, code_version
from formulactl.store.store import Store


def names_file(store: Store) -> Path:
    return store.cache_dir / duplicates.NAMES_FILE


def remembered(store: Store) -> dict[str, tuple[str, str]]:
    entries: dict[str, tuple[str, str]] = BlobCache(names_file(store), code_version()).entries
    return entries


def dedupe(store: Store, invoke: Invoke, *args: str) -> dict[str, object]:
    done = invoke("dedupe", "customer", "--json", *args, cwd=store.root)
    assert done.code == 0, done.err
    found: dict[str, object] = json.loads(done.out)
    return found


def no_normalising(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any name normalised afresh fail the test: a warm run takes them all from disk."""

    def refuse(name: str) -> str:
        raise AssertionError(f"{name} was normalised again")

    monkeypatch.setattr(matching, "normalise", refuse)


def test_a_warm_run_reads_the_names_and_answers_the_same(
    sample_signed_store: Store, invoke: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    cold = dedupe(sample_signed_store, invoke)
    entries = remembered(sample_signed_store)
    assert entries["佛山嘉禾塗料"] == ("嘉禾涂料", "jiahecoatings")
    assert len(entries) == 28  # the distinct names and legal names of the 14 sample customers
    no_normalising(monkeypatch)
    assert dedupe(sample_signed_store, invoke) == cold
    monkeypatch.undo()
    names_file(sample_signed_store).unlink()
    assert dedupe(sample_signed_store, invoke) == cold


def test_another_commit_keeps_its_own_names(
    signed_store: Store, invoke: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = head(signed_store)
    dedupe(signed_store, invoke)
    old = remembered(signed_store)
    step(signed_store, invoke, "new", "customer", *new_customer("華南塗料股份有限公司"))
    dedupe(signed_store, invoke)
    now = remembered(signed_store)
    assert set(now) - set(old) == {"華南塗料股份有限公司"}
    assert now["華南塗料股份有限公司"] == ("华南涂料", "huanancoatings")
    dedupe(signed_store, invoke, "--at", before)
    assert remembered(signed_store) == old  # the names of that commit, no others
    no_normalising(monkeypatch)
    assert dedupe(signed_store, invoke, "--at", before)["commit"] == before


def test_a_tampered_file_is_not_trusted(sample_signed_store: Store, invoke: Invoke) -> None:
    truth = dedupe(sample_signed_store, invoke)
    path = names_file(sample_signed_store)
    data = path.read_bytes()
    forged = dict(remembered(sample_signed_store), 佛山嘉禾塗料=("另一家", "lingyijia"))
    path.write_bytes(data[:32] + marshal.dumps((2, forged)))  # the old tag on new entries
    assert dedupe(sample_signed_store, invoke) == truth
    assert remembered(sample_signed_store)["佛山嘉禾塗料"] == ("嘉禾涂料", "jiahecoatings")


def test_no_cache_file_when_the_run_trusts_none(sample_signed_store: Store) -> None:
    store = sample_signed_store.without_cache()
    customers = {"C-1": {"name": "华南涂料"}, "C-2": {"name": "華南塗料有限公司"}}
    found = duplicates.dedupe(store, "HEAD", customers, 85.0)
    assert [(pair.first, pair.second, pair.certain) for pair in found.pairs] == [
        ("C-1", "C-2", True)
    ]
    assert not names_file(sample_signed_store).exists()


def test_names_opened_for_a_reader_are_not_remembered(sample_signed_store: Store) -> None:
    sealed = "fcx2:…"  # a name sealed in the store, as the reader's opened copy shows it
    customers = {"C-1": {"name": sealed}, "C-2": {"name": "嘉禾涂料"}}
    opened = [{"id": "C-1", "name": "佛山嘉禾塗料"}, {"id": "C-2", "name": "嘉禾涂料"}]
    found = duplicates.dedupe(sample_signed_store, "HEAD", customers, 85.0, opened)
    assert [pair.reasons for pair in found.pairs] == [("same name after normalising: 嘉禾涂料",)]
    assert set(remembered(sample_signed_store)) == {"嘉禾涂料"}
