"""A history check reads the same whether its batches are verified and parsed here or by
forked workers, and workers are started only for a big batch on a machine with a core to
spare."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from conftest import Member, commit_as, edit_record
from formulactl import parallel
from formulactl.audit import history
from formulactl.audit.history import History
from formulactl.audit.verify import verify_history
from formulactl.store.store import Store


def walk(store: Store, scratch: Path) -> list[tuple[Any, ...]]:
    """Every commit with its verdict, signer and the states of the records it changes,
    read with an empty cache."""
    seen: list[tuple[Any, ...]] = []
    with History(store, cache_dir=scratch) as found:
        for commit in found.commits(["HEAD"]):
            signer = found.signer(commit)
            states = [
                (found.state(change.path, change.old), found.state(change.path, change.new))
                for change in commit.changes
            ]
            seen.append((commit, signer.id if signer else None, states))
    return seen


def test_workers_and_this_process_read_history_alike(
    signed_store: Store,
    team_keys: dict[str, Member],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root = signed_store.root
    edit_record(signed_store, "materials/M-00001.yaml", name_en="hand edited")
    commit_as(root, team_keys["zhang.min"], "a hand edit, signed")
    edit_record(signed_store, "materials/M-00001.yaml", name_en="edited unsigned")
    commit_as(root, None, "a hand edit, unsigned")
    (root / "records" / "materials" / "M-00002.yaml").write_text("id: M-00002\nid: twice\n")
    commit_as(root, team_keys["zhang.min"], "an unreadable record")

    monkeypatch.setattr(history, "PARALLEL", 10**9)
    alone = walk(signed_store, tmp_path / "alone")
    report_alone = verify_history(signed_store.without_cache())

    monkeypatch.setattr(history, "PARALLEL", 1)
    monkeypatch.setattr(history.os, "getloadavg", lambda: (0.0, 0.0, 0.0))
    monkeypatch.setattr(history.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(parallel, "WORTH_IT", 1)
    monkeypatch.setattr(parallel.os, "cpu_count", lambda: 2)
    started: list[int] = []
    real_map = parallel.parallel_map

    def counted(function: Any, items: Any) -> Any:
        started.append(len(items))
        return real_map(function, items)

    monkeypatch.setattr(history, "parallel_map", counted)
    shared = walk(signed_store, tmp_path / "shared")
    report_shared = verify_history(signed_store.without_cache())

    assert started and all(size > 1 for size in started)
    assert shared == alone
    assert len(alone) == 4 + len(team_keys)  # founding, one per member added, import, 3 edits
    assert [commit.verdict.status for commit, _, _ in alone[-3:]] == ["good", "unsigned", "good"]
    unreadable = alone[-1][2][0][1]
    assert unreadable is not None and unreadable.digest.startswith("unreadable:")
    assert report_shared.findings == report_alone.findings
    assert (report_alone.commits, report_alone.signed) == (len(alone), len(alone) - 1)
    assert {finding.rule for finding in report_alone.findings} >= {"unsigned"}


@pytest.mark.parametrize(
    ("jobs", "load", "cores", "spread"),
    [
        (799, 0.0, 2, False),  # too little work to pay for starting workers
        (800, 0.0, 2, True),
        (5000, 1.4, 2, True),  # a core to spare
        (5000, 1.5, 2, False),  # both cores busy
        (5000, 3.0, 4, True),
        (5000, 0.0, 1, False),  # one core: nowhere to put a worker
    ],
)
def test_workers_only_for_a_big_batch_with_a_core_to_spare(
    jobs: int, load: float, cores: int, spread: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(history.os, "getloadavg", lambda: (load, load, load))
    monkeypatch.setattr(history.os, "cpu_count", lambda: cores)
    assert history._spread(jobs) is spread
