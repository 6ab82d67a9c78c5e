"""The traceability graph is kept between runs under the ID of the commit's `records/` tree,
in a signed cache file: a warm run gives the same answer without rebuilding it, a changed
tree is indexed afresh, and a cache file edited by hand is ignored."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conftest import Invoke, Member, git
from formulactl.store.cache import BlobCache, code_version
from formulactl.store.store import Store
from formulactl.trace.index import CACHE_FILE, records_tree


def answer(invoke: Invoke, *args: str, cwd: Path | None = None) -> Any:
    done = invoke(*args, "--json", cwd=cwd)
    assert done.code == 0, done.err
    return json.loads(done.out)


def kept(store: Store) -> dict[str, Any]:
    return BlobCache(store.cache_dir / CACHE_FILE, code_version()).entries


def test_a_warm_run_answers_from_the_index_of_the_records_tree(
    trace_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    root = trace_store.root
    cold = answer(invoke, "where-used", "--lot", "TI-99", cwd=root)
    tree = records_tree(trace_store, git(root, "rev-parse", "HEAD"))
    assert tree == git(root, "rev-parse", "HEAD:records")
    assert list(kept(trace_store)) == [tree]
    assert answer(invoke, "where-used", "--lot", "TI-99") == cold
    assert [line["batch"] for line in cold["lots"]] == [
        "B-20261201-001",
        "B-20261202-001",
        "B-20261202-002",
    ]
    # a new commit changes the tree: its index replaces the old one
    zhang = team_keys["zhang.min"]
    changed = invoke("set", "B-20261206-003", "lots[0].lot=TI-99", "--identity", zhang.key)
    assert changed.code == 0, changed.err
    warm = answer(invoke, "where-used", "--lot", "TI-99")
    assert [line["batch"] for line in warm["lots"]] == [
        "B-20261201-001",
        "B-20261202-001",
        "B-20261202-002",
        "B-20261206-003",
    ]
    assert list(kept(trace_store)) == [git(root, "rev-parse", "HEAD:records")]
    # the older commit is answered as it was
    at = answer(invoke, "where-used", "--lot", "TI-99", "--at", "HEAD~1")
    assert at["lots"] == cold["lots"]


def test_an_index_edited_by_hand_is_ignored(trace_store: Store, invoke: Invoke) -> None:
    root = trace_store.root
    cold = answer(invoke, "trace", "B-20261202-001", cwd=root)
    path = trace_store.cache_dir / CACHE_FILE
    data = bytearray(path.read_bytes())
    data[-20] ^= 0xFF
    path.write_bytes(bytes(data))
    assert kept(trace_store) == {}  # the signature no longer matches
    assert answer(invoke, "trace", "B-20261202-001") == cold
    assert list(kept(trace_store)) == [git(root, "rev-parse", "HEAD:records")]
