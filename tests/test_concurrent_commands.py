"""Two commands at once in one clone wait for each other: distinct IDs, every change
committed and reported as it happened; the same ID made in two clones merges as a conflict;
a held lock and git's own index lock are named with what to do."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import Invoke, git, start
from formulactl.actions.locking import LOCK_NAME, exclusive
from formulactl.errors import FormulaError
from formulactl.store import yamlio
from formulactl.store.store import Store

CUSTOMER = ["--set", "type=potential", "--set", "class=C", "--set", "owner=li.wei"]


def finish(process: subprocess.Popen[str]) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=120)
    return process.returncode, out, err


def committed_data(store: Store, path: str) -> dict[str, object]:
    text = git(store.root, "show", f"HEAD:{path}")
    return yamlio.load_record(text.encode(), path, 1 << 20)


def test_two_new_customers_at_once_get_two_ids_each_committed_with_its_own_content(
    signed_store: Store,
) -> None:
    root = signed_store.root
    first = start(root, "new", "customer", "--set", "name=甲公司", *CUSTOMER)
    second = start(root, "new", "customer", "--set", "name=乙公司", *CUSTOMER)
    results = [finish(first), finish(second)]
    assert [code for code, _out, _err in results] == [0, 0], results
    ids = [out.strip() for _code, out, _err in results]
    assert len(set(ids)) == 2
    for record_id, name, (_code, _out, err) in zip(ids, ["甲公司", "乙公司"], results, strict=True):
        assert f"new {record_id}" in err and "committed" in err
        assert committed_data(signed_store, f"records/customers/{record_id}.yaml")["name"] == name
    assert git(root, "status", "--porcelain", "--", "records") == ""


def test_two_sets_of_one_draft_at_once_both_land_in_history(signed_store: Store) -> None:
    root = signed_store.root
    first = start(root, "set", "C-00002", "industry=胶粘剂")
    second = start(root, "set", "C-00002", "region=华东")
    results = [finish(first), finish(second)]
    assert [code for code, _out, _err in results] == [0, 0], results
    data = committed_data(signed_store, "records/customers/C-00002.yaml")
    assert (data["industry"], data["region"]) == ("胶粘剂", "华东")
    assert git(root, "status", "--porcelain", "--", "records") == ""


def test_a_held_write_lock_is_named_with_its_holder(signed_store: Store) -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys\n"
            "from formulactl.actions.locking import exclusive\n"
            "from formulactl.store.store import Store\n"
            f"with exclusive(Store(__import__('pathlib').Path({str(signed_store.root)!r})),"
            " 'formulactl approve F-000001'):\n"
            "    print('held', flush=True)\n"
            "    sys.stdin.read()\n",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        with pytest.raises(FormulaError) as caught, exclusive(signed_store, "test", wait=0):
            pass
    finally:
        holder.communicate("", timeout=60)
    message = str(caught.value)
    assert f".git/{LOCK_NAME}" in message
    assert f"pid {holder.pid}: `formulactl approve F-000001`" in message
    assert "wait until it has finished" in message


def test_a_stale_git_index_lock_is_named_with_what_to_do(
    signed_store: Store, invoke: Invoke
) -> None:
    lock = signed_store.root / ".git" / "index.lock"
    lock.touch()
    done = invoke("set", "C-00002", "industry=胶粘剂", cwd=signed_store.root)
    assert done.code == 2
    assert str(lock) in done.err
    assert f"if none is running, delete {lock} and run this again" in done.err
    assert "see the git message above" not in done.err
    lock.unlink()
    assert git(signed_store.root, "status", "--porcelain", "--", "records") == ""


def test_the_same_next_id_made_in_two_clones_merges_as_a_conflict(
    signed_store: Store, invoke: Invoke
) -> None:
    root = signed_store.root
    git(root, "switch", "-q", "-c", "side")
    made = invoke("new", "customer", "--set", "name=丙公司", *CUSTOMER, cwd=root)
    git(root, "switch", "-q", "main")
    again = invoke("new", "customer", "--set", "name=丁公司", *CUSTOMER, cwd=root)
    assert made.code == again.code == 0 and made.out == again.out
    record_id = made.out.strip()
    merging = subprocess.run(
        ["git", "-C", str(root), "merge", "--no-edit", "side"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert merging.returncode != 0
    assert f"both branches made {record_id} as different records" in merging.stderr
    data = yamlio.load_record(
        (root / f"records/customers/{record_id}.yaml").read_bytes(), "c", 1 << 20
    )
    assert data["name"] == "丁公司"
    assert data["merge_conflicts"][0]["theirs"]["name"] == "丙公司"
    git(root, "add", f"records/customers/{record_id}.yaml")
    found = json.loads(invoke("validate", "--json", cwd=root).out)
    assert [finding["rule"] for finding in found] == ["merge-conflict"]
