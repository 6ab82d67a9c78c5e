"""A command killed at any point leaves the store as before it or as after its commit: the
next writing command names `formulactl recover`, which puts back exactly what was written
and not committed; killed commands leave no workers running."""

from __future__ import annotations

import os
import random
import select
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import Invoke, Member, act_as, git, make_key, start
from formulactl.actions.journal import JOURNAL_NAME
from formulactl.actions.locking import exclusive
from formulactl.parallel import WORTH_IT
from formulactl.store import yamlio
from formulactl.store.store import Store

C2 = "records/customers/C-00002.yaml"
CUSTOMER = ["--set", "type=potential", "--set", "class=C", "--set", "owner=li.wei"]


def killed_midway(store: Store, args: list[str], delay: float) -> int:
    """Run `formulactl ARGS…` and kill -9 it after `delay` seconds unless it ended; wait
    for any git it started, which keeps the store locked until it is done."""
    process = start(store.root, *args)
    try:
        process.wait(timeout=delay)
    except subprocess.TimeoutExpired:
        process.kill()
    process.communicate(timeout=60)
    with exclusive(store, "test", wait=60, recovering=True):
        pass
    return process.returncode


def settled(store: Store, invoke: Invoke, valid: bool = True) -> None:
    """What a kill left is named by the next writing command and cleared by `recover`:
    the records then match HEAD and (unless a step is still to do) the store is valid."""
    root = store.root
    if (root / ".git" / JOURNAL_NAME).exists():
        refused = invoke("set", "C-00002", "industry=不该写入", cwd=root)
        assert refused.code == 2 and "run `formulactl recover`" in refused.err, refused.err
    assert invoke("recover", cwd=root).code == 0
    assert not (root / ".git" / JOURNAL_NAME).exists()
    assert git(root, "status", "--porcelain", "--untracked-files=all", "--", "records") == ""
    checked = invoke("validate", cwd=root)
    assert checked.code == 0 or not valid, checked.out + checked.err


def status_in_head(store: Store, path: str) -> object:
    text = git(store.root, "show", f"HEAD:{path}")
    return yamlio.load_record(text.encode(), path, 1 << 20).get("status")


def test_kills_during_new_and_set_lose_nothing_and_leave_nothing_half_done(
    signed_store: Store, invoke: Invoke
) -> None:
    chance = random.Random(10)
    finished: list[str] = []
    for attempt in range(3):
        name = f"客户{attempt}"
        args = (
            ["new", "customer", "--set", f"name={name}", *CUSTOMER]
            if attempt % 2 == 0
            else ["set", "C-00002", f"industry={name}"]
        )
        if killed_midway(signed_store, args, chance.uniform(0.2, 1.0)) == 0:
            finished.append(name)
        settled(signed_store, invoke)
    history = git(signed_store.root, "log", "-p", "--format=%s", "--", "records")
    assert all(name in history for name in finished)


def test_a_kill_during_approve_never_leaves_it_approved_on_disk_only(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    assert invoke("submit", "C-00002", cwd=signed_store.root).code == 0
    act_as(signed_store, team_keys["wang.fang"])
    chance = random.Random(20)
    for _attempt in range(2):
        killed_midway(signed_store, ["approve", "C-00002"], chance.uniform(0.2, 1.0))
        settled(signed_store, invoke)
        if status_in_head(signed_store, C2) == "approved":
            return
    assert invoke("approve", "C-00002", cwd=signed_store.root).code == 0
    assert status_in_head(signed_store, C2) == "approved"


def customers_to_import(folder: Path, count: int) -> Path:
    for number in range(100, 100 + count):
        record = folder / "customers" / f"C-{number:05d}.yaml"
        record.parent.mkdir(parents=True, exist_ok=True)
        record.write_text(
            f"id: C-{number:05d}\nname: 导入客户{number}\ntype: potential\nclass: C\n"
            "owner: li.wei\nstatus: draft\nversion: 1\n",
            encoding="utf-8",
        )
    return folder


def test_a_kill_during_import_leaves_no_untracked_records(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member], tmp_path: Path
) -> None:
    act_as(signed_store, team_keys["chen.jing"])
    source = customers_to_import(tmp_path / "old-system", 40)
    args = ["import", str(source), "--reason", "from the old system"]
    killed_midway(signed_store, args, random.Random(30).uniform(0.2, 1.0))
    settled(signed_store, invoke)
    if not (signed_store.root / "records/customers/C-00139.yaml").exists():
        assert invoke(*args, cwd=signed_store.root).code == 0
    assert git(signed_store.root, "show", "HEAD:records/customers/C-00139.yaml")


def test_a_kill_during_rekey_leaves_nothing_staged(
    signed_store: Store,
    invoke: Invoke,
    team_keys: dict[str, Member],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root = signed_store.root
    admin = team_keys["chen.jing"]
    act_as(signed_store, admin)
    newcomer = make_key(tmp_path / "keys", "zhao.lei")
    added = invoke(
        "team", "add", "zhao.lei", "--name", "赵磊", "--email", "zhao@example.com",
        "--role", "entry", "--key", f"{newcomer}.pub", cwd=root,
    )  # fmt: skip
    assert added.code == 0, added.err
    monkeypatch.setenv("FORMULACTL_IDENTITY", str(admin.key))
    killed_midway(signed_store, ["rekey", "--all"], random.Random(40).uniform(0.2, 1.0))
    settled(signed_store, invoke, valid=False)
    again = invoke("rekey", "--all", cwd=root)
    assert again.code == 0, again.err
    assert git(root, "diff", "--cached", "--name-only") == ""
    assert invoke("validate", cwd=root).code == 0


def kill_from_the_hook(store: Store, exit_code: int) -> None:
    """A pre-commit hook that kills the formulactl running `git commit`, then lets the
    commit go on (0) or fails it (1): a kill at the one moment between write and commit."""
    hook = store.root / ".git" / "hooks" / "pre-commit"
    hook.parent.mkdir(exist_ok=True)
    hook.write_text(
        f"#!{sys.executable}\n"
        "import os, signal\n"
        "with open(f'/proc/{os.getppid()}/stat') as stat:\n"
        "    formulactl = int(stat.read().rsplit(')', 1)[1].split()[1])\n"
        "os.kill(formulactl, signal.SIGKILL)\n"
        f"raise SystemExit({exit_code})\n",
        encoding="utf-8",
    )
    hook.chmod(0o755)


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_recover_puts_back_what_a_killed_command_wrote_and_did_not_commit(
    signed_store: Store, invoke: Invoke
) -> None:
    root = signed_store.root
    before = (root / C2).read_bytes()
    kill_from_the_hook(signed_store, 1)
    assert killed_midway(signed_store, ["set", "C-00002", "industry=胶粘剂"], 120) == -9
    assert (root / C2).read_bytes() != before
    refused = invoke("submit", "C-00002", cwd=root)
    assert refused.code == 2
    assert "`formulactl set C-00002` (pid" in refused.err
    assert "run `formulactl recover`" in refused.err
    assert "run `formulactl recover`" in invoke("validate", cwd=root).err
    recovered = invoke("recover", cwd=root)
    assert (
        "Undid what `formulactl set C-00002` wrote and did not commit: 1 file put back."
        in recovered.out
    )
    assert (root / C2).read_bytes() == before
    assert git(root, "status", "--porcelain", "--", "records") == ""
    assert "Nothing to recover" in invoke("recover", cwd=root).out


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_recover_keeps_a_commit_that_landed_after_its_command_was_killed(
    signed_store: Store, invoke: Invoke
) -> None:
    root = signed_store.root
    kill_from_the_hook(signed_store, 0)
    assert killed_midway(signed_store, ["set", "C-00002", "industry=胶粘剂"], 120) == -9
    recovered = invoke("recover", cwd=root)
    assert "had made its commit before it stopped" in recovered.out
    assert "industry: 胶粘剂" in git(root, "show", f"HEAD:{C2}")
    assert git(root, "status", "--porcelain", "--", "records") == ""


WORKERS = f"""
import os, sys
from formulactl.parallel import parallel_map
gate, _ = os.pipe()
def stuck(item):
    os.write(1, f"{{os.getpid()}}\\n".encode())  # one write: lines of two workers never mix
    os.read(gate, 1)
parallel_map(stuck, list(range({WORTH_IT * 4})))
"""


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="one core: no workers")
@pytest.mark.skipif(not hasattr(os, "pidfd_open"), reason="needs pidfd_open")
def test_workers_die_with_their_killed_parent() -> None:
    parent = subprocess.Popen([sys.executable, "-c", WORKERS], stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    worker = int(parent.stdout.readline())
    exited = os.pidfd_open(worker)
    try:
        parent.send_signal(signal.SIGKILL)
        parent.wait(timeout=60)
        ready, _, _ = select.select([exited], [], [], 20)
    finally:
        os.close(exited)
    assert ready == [exited]
