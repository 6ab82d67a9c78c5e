"""One writing command at a time per work tree: a lock held from reading the store's state
to the commit, so two commands never pick the same ID or commit each other's changes.

The lock is an `flock` on a file in the work tree's git folder: the system releases it when
its holder dies, so it is never left stale. git started under it inherits it, so a git that
outlives a killed formulactl keeps the work tree locked until it is done.
"""

from __future__ import annotations

import contextlib
import fcntl
import glob
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from formulactl.actions.journal import (
    JOURNAL_NAME,
    committed_already,
    read_journal,
    refuse_leftover,
    restore,
)
from formulactl.errors import FormulaError
from formulactl.git import gitio
from formulactl.store.store import Store

LOCK_NAME = "formulactl-write.lock"
WAIT_SECONDS = 60.0
_held: dict[Path, tuple[int, str]] = {}  # locks this process holds → nesting, command


@dataclass(frozen=True)
class Held:
    folder: Path  # the work tree's git folder
    command: str  # the outermost command holding the lock, as the user typed it


def control_folder(store: Store) -> Path:
    """The work tree's own git folder: its index, its locks and the journal."""
    found = gitio.git_dir(store.root, common=False)
    if found is None:
        raise FormulaError(
            f"{store.root} is not in a git repository",
            "run `git init` there, or make the store with `formulactl init`",
            rule="no-git",
        )
    return found


@contextlib.contextmanager
def exclusive(
    store: Store, command: str, wait: float = WAIT_SECONDS, recovering: bool = False
) -> Iterator[Held]:
    """Hold the work tree's write lock (waiting at most `wait` seconds); a journal left by
    a stopped command is refused unless `recovering`."""
    folder = control_folder(store)
    lock = folder / LOCK_NAME
    if lock in _held:
        depth, outer = _held[lock]
        _held[lock] = (depth + 1, outer)
        try:
            yield Held(folder, outer)
        finally:
            _held[lock] = (depth, outer)
        return
    descriptor = _acquire(lock, command, wait)
    _held[lock] = (1, command)
    try:
        if not recovering:
            refuse_leftover(folder)
        yield Held(folder, command)
    finally:
        del _held[lock]
        os.close(descriptor)


def _acquire(lock: Path, command: str, wait: float) -> int:
    descriptor = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() >= deadline:
                os.close(descriptor)
                raise _busy(lock) from None
            time.sleep(0.05)
    os.set_inheritable(descriptor, True)
    os.ftruncate(descriptor, 0)
    os.pwrite(descriptor, f"{os.getpid()} {command}\n".encode(), 0)
    return descriptor


def _busy(lock: Path) -> FormulaError:
    try:
        holder = lock.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        holder = ""
    pid, _, command = holder.partition(" ")
    who = f"pid {pid}: `{command}`" if pid.isdigit() else "another formulactl command"
    return FormulaError(
        f"another command is changing this store ({who}) and holds {lock}",
        "wait until it has finished, then run this again",
        rule="locked",
    )


def leftover(store: Store) -> str | None:
    """For a command that only reads: the warning to show when a stopped command left
    writes behind (and none is running now), or None."""
    folder = gitio.git_dir(store.root, common=False)
    if folder is None or read_journal(folder) is None:
        return None
    try:
        descriptor = os.open(folder / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError:
        descriptor = -1  # a clone this user may only read: no command of theirs is at work
    try:
        if descriptor >= 0:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return None  # a command is at work; its journal is no leftover
    finally:
        if descriptor >= 0:
            os.close(descriptor)
    try:
        refuse_leftover(folder)
    except FormulaError as found:
        return str(found)
    return None


@dataclass(frozen=True)
class Recovered:
    command: str  # the stopped command, "" when nothing was left
    committed: bool  # its commit had landed: nothing to put back
    restored: tuple[str, ...]
    kept: tuple[str, ...]  # changed by something else since: left as they are


def recover(store: Store, command: str) -> Recovered:
    """Undo what a stopped command wrote and did not commit, from its journal: each file
    that still holds what it wrote gets its earlier bytes back, and is unstaged."""
    with exclusive(store, command, recovering=True) as held:
        folder = held.folder
        journal = read_journal(folder)
        if journal is None:
            return Recovered("", False, (), ())
        if committed_already(store, journal):
            journal.file.unlink()
            return Recovered(journal.command, True, (), ())
        kept = restore(store, journal)
        _sweep(store, folder, [entry.path for entry in journal.entries])
        journal.file.unlink()
        restored = tuple(e.path for e in journal.entries if e.path not in kept)
        return Recovered(journal.command, False, restored, tuple(kept))


def _sweep(store: Store, folder: Path, paths: list[str]) -> None:
    """Temporary files a kill left behind, beside the journaled files and the journal."""
    for path in paths:
        target = store.root / path
        for temporary in target.parent.glob(f".{glob.escape(target.name)}.*"):
            temporary.unlink(missing_ok=True)
    for temporary in folder.glob(f".{JOURNAL_NAME}.*"):
        temporary.unlink(missing_ok=True)
