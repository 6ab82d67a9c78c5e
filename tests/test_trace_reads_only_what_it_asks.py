"""A warm traceability answer reads only the part of the index it asks about: the lot lines
are split over shard files, and the formulas' approvals at a commit are kept in a signed
cache. Each gives the answer a run without any cache gives, a shard or approvals file
edited by hand is not trusted, and another commit has its own entries."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conftest import Invoke, Member, git, step
from formulactl.store.cache import BlobCache, code_version
from formulactl.store.store import Store
from formulactl.trace.index import SHARDS, TraceIndex, shard_file, shard_of
from formulactl.trace.lives import CACHE_FILE as LIVES_FILE
from formulactl.trace.packed import bucket_of
from formulactl.trace.session import Session
from formulactl.trace.whereused import where_used_lot, where_used_material

QUESTIONS = (
    ("where-used", "M-00002"),
    ("where-used", "--lot", "TI-99"),
    ("trace", "B-20261202-001"),
    ("trace", "--lot", "TI-99"),
    ("recall", "--lot", "TI-99"),
)


def answers(invoke: Invoke, cwd: Path | None = None) -> list[Any]:
    found = []
    for question in QUESTIONS:
        done = invoke(*question, "--json", cwd=cwd)
        assert done.code in (0, 1), done.err
        data = json.loads(done.out)
        data.pop("seconds", None)  # the recall's own time
        found.append(data)
    return found


def uncached(store: Store) -> list[Any]:
    """The same answers from a run that trusts no cache file (as `ci` runs)."""
    with Session(store.without_cache()) as session:
        return [
            where_used_material(
                session.graph, "M-00002", session.lifecycles, session.approved_content
            ).as_dict(),
            where_used_lot(session.graph, "TI-99", None).as_dict(),
            session.trace("B-20261202-001").as_dict(),
        ]


def kept(store: Store, name: str) -> dict[str, Any]:
    return BlobCache(store.cache_dir / name, code_version()).entries


def test_warm_answers_are_the_answers_of_a_run_without_cache(
    trace_store: Store, invoke: Invoke
) -> None:
    root = trace_store.root
    cold = answers(invoke, cwd=root)
    assert answers(invoke) == cold  # now from the index and the approvals kept
    assert uncached(trace_store) == cold[:3]
    tree = git(root, "rev-parse", "HEAD:records")
    # every shard is kept for this tree; the lot's lines are in the one its name picks
    for number in range(SHARDS):
        assert list(kept(trace_store, shard_file(number))) == [tree]
    _by_material, by_lot = kept(trace_store, shard_file(shard_of("TI-99")))[tree]
    assert list(by_lot) == [bucket_of("TI-99")]
    index = TraceIndex(trace_store, git(root, "rev-parse", "HEAD"))
    lines = index.graph().by_lot["TI-99"]
    assert [line.batch for line in lines] == [
        "B-20261201-001",
        "B-20261202-001",
        "B-20261202-002",
    ]
    assert index.built is None  # answered from the files, nothing indexed again
    # the approvals of every formula at this commit, kept under the commit
    head = git(root, "rev-parse", "HEAD")
    assert [key.split("\0")[0] for key in kept(trace_store, LIVES_FILE)] == [head]


def test_a_shard_edited_by_hand_is_not_trusted(trace_store: Store, invoke: Invoke) -> None:
    root = trace_store.root
    cold = answers(invoke, cwd=root)
    path = trace_store.cache_dir / shard_file(shard_of("TI-99"))
    data = bytearray(path.read_bytes())
    data[-10] ^= 0xFF
    path.write_bytes(bytes(data))
    assert kept(trace_store, path.name) == {}  # the signature no longer matches
    assert answers(invoke) == cold
    assert list(kept(trace_store, path.name)) == [git(root, "rev-parse", "HEAD:records")]


def test_approvals_edited_by_hand_are_not_trusted(trace_store: Store, invoke: Invoke) -> None:
    root = trace_store.root
    cold = answers(invoke, cwd=root)
    path = trace_store.cache_dir / LIVES_FILE
    data = bytearray(path.read_bytes())
    data[-10] ^= 0xFF
    path.write_bytes(bytes(data))
    assert kept(trace_store, LIVES_FILE) == {}
    assert answers(invoke) == cold
    assert kept(trace_store, LIVES_FILE) != {}


def test_a_new_commit_has_its_own_approvals_and_an_old_one_answers_as_it_was(
    trace_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    root = trace_store.root
    before = answers(invoke, cwd=root)
    old = git(root, "rev-parse", "HEAD")
    step(
        trace_store,
        invoke,
        "revise",
        "F-000001",
        "--reason",
        "water only",
        who=team_keys["zhang.min"],
    )
    new = git(root, "rev-parse", "HEAD")
    after = answers(invoke)
    assert [key.split("\0")[0] for key in kept(trace_store, LIVES_FILE)] == [new]
    # F-000001 is now a draft of version 3 as well: where-used says so, from fresh entries
    versions = [(f["formula"], f["version"], f["status"]) for f in after[0]["formulas"]]
    assert ("F-000001", 3, "draft") in versions
    assert after[0] != before[0]
    at_old = invoke("where-used", "M-00002", "--at", old, "--json")
    assert json.loads(at_old.out) == before[0]
