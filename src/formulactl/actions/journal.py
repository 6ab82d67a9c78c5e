"""What a command is about to write, kept on disk until its commit is made, so that a
failure puts back exactly what it touched and a kill leaves something `recover` can undo.

The journal lives in the work tree's git folder. It names each file this command writes,
the bytes the file held before (or that it did not exist) and a hash of what was written.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from formulactl.errors import FormulaError
from formulactl.git import gitio
from formulactl.store.store import Store

JOURNAL_NAME = "formulactl-journal.json"


@dataclass(frozen=True)
class Entry:
    path: str  # relative to the store root
    before: bytes | None  # None: the file did not exist
    after: str | None  # sha256 of what this command wrote; None: it deleted the file


@dataclass(frozen=True)
class Journal:
    file: Path
    pid: int
    command: str
    head: str | None
    entries: tuple[Entry, ...]


def journal_file(folder: Path) -> Path:
    return folder / JOURNAL_NAME


def read_journal(folder: Path) -> Journal | None:
    """The journal a stopped command left, or None; an unreadable one is refused by name."""
    file = journal_file(folder)
    try:
        data = json.loads(file.read_bytes())
        entries = tuple(
            Entry(item["path"], _decoded(item["before"]), item["after"]) for item in data["files"]
        )
        return Journal(file, int(data["pid"]), str(data["command"]), data["head"], entries)
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError):
        raise FormulaError(
            f"{file} cannot be read",
            "it lists what a stopped formulactl command wrote; compare `git status` with "
            "HEAD, put back what you do not want, then delete the file",
            rule="journal",
        ) from None


def _decoded(text: str | None) -> bytes | None:
    return None if text is None else base64.b64decode(text)


def digest(data: bytes | None) -> str | None:
    return None if data is None else hashlib.sha256(data).hexdigest()


@contextlib.contextmanager
def journaled(
    store: Store, folder: Path, command: str, writes: Mapping[str, bytes | None]
) -> Iterator[None]:
    """Journal `writes`, make them, and run the block (which commits); on any failure put
    back each file that still holds what this command wrote, and unstage it."""
    refuse_leftover(folder)  # its pre-images must not be overwritten
    journal = _begin(store, folder, command, writes)
    try:
        for path, data in writes.items():
            if data is None:
                (store.root / path).unlink(missing_ok=True)
            else:
                store.write_text(path, data)
        yield
    except BaseException:
        restore(store, journal, strict=False)
        journal.file.unlink(missing_ok=True)
        raise
    journal.file.unlink(missing_ok=True)


def _begin(store: Store, folder: Path, command: str, writes: Mapping[str, bytes | None]) -> Journal:
    entries = tuple(
        Entry(path, _current(store, path), digest(data)) for path, data in writes.items()
    )
    journal = Journal(journal_file(folder), os.getpid(), command, gitio.head(store.root), entries)
    text = json.dumps(
        {
            "pid": journal.pid,
            "command": command,
            "head": journal.head,
            "files": [
                {
                    "path": entry.path,
                    "before": None
                    if entry.before is None
                    else base64.b64encode(entry.before).decode(),
                    "after": entry.after,
                }
                for entry in entries
            ],
        }
    )
    temporary = folder / f".{JOURNAL_NAME}.{os.getpid()}"
    with open(temporary, "w", encoding="utf-8") as stream:
        stream.write(text)
        stream.flush()
        os.fsync(stream.fileno())
    os.replace(temporary, journal.file)
    return journal


def _current(store: Store, path: str) -> bytes | None:
    try:
        return (store.root / path).read_bytes()
    except (FileNotFoundError, NotADirectoryError):
        return None


def restore(store: Store, journal: Journal, strict: bool = True) -> list[str]:
    """Put back every file that still holds what the journaled command wrote; return the
    files left alone because something else changed them since. Not `strict` (the failing
    command itself): the files come back even when git's index cannot be unstaged."""
    now = {entry.path: _current(store, entry.path) for entry in journal.entries}
    ours = [entry for entry in journal.entries if digest(now[entry.path]) == entry.after]
    if ours and journal.head is not None:
        # Unstage first: if git cannot (its index is locked), nothing is touched yet and
        # the journal stays for the next try.
        paths = [entry.path for entry in ours]
        gitio.run(store.root, ["reset", "--quiet", "--", *paths], check=strict)
    for entry in ours:
        if entry.before is None:
            (store.root / entry.path).unlink(missing_ok=True)
        else:
            store.write_text(entry.path, entry.before)
    mine = {entry.path for entry in ours}
    return [
        entry.path
        for entry in journal.entries
        if entry.path not in mine and now[entry.path] != entry.before
    ]


def committed_already(store: Store, journal: Journal) -> bool:
    """Did the stopped command's commit land (HEAD moved and holds exactly what it wrote)?"""
    head = gitio.head(store.root)
    if head is None or head == journal.head:
        return False
    return all(
        digest(gitio.file_at(store.root, head, f"./{entry.path}")) == entry.after
        for entry in journal.entries
    )


def refuse_leftover(folder: Path) -> None:
    """A journal found while holding the lock was left by a command that was stopped."""
    journal = read_journal(folder)
    if journal is not None:
        raise FormulaError(
            f"`{journal.command}` (pid {journal.pid}) was stopped before it finished; "
            f"what it wrote ({_files(len(journal.entries))}) may not be committed",
            "run `formulactl recover` to put them back as they were before it",
            rule="unfinished",
        )


def _files(count: int) -> str:
    return "1 file" if count == 1 else f"{count} files"
