"""Report answers remembered by what they were computed from, so a warm report on a store of
a hundred thousand orders is a small file read instead of a pass over every order line.

An answer is the text a report prints below its heading: its JSON with the commit left
out, or its tables as text, markdown or csv (laying out thousands of rows costs more than
reading them). It is kept under a key naming everything it was computed from and the form:
the git tree IDs of the record folders it reads (or the commit, for a report that reads
history), the settings it uses, the day it is judged on and its options. A different
`--at` whose folders differ is a different entry; a commit that changes none of them (a
new material for `report churn`) finds the same one, and only the commit printed in the
heading is the new one. Each file is a `BlobCache`: HMAC with the clone's key and the code
digest, so a tampered, copied or stale file is ignored. Callers never keep an answer made
from opened sealed values (prices, percentages): nothing decrypted lands on disk. What a key
is made of (the folders' trees, the commit's day) is found here, so a remembered answer is
printed without importing the reports themselves."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import date
from typing import Any

from formulactl.git import gitio
from formulactl.model.kinds import RECORDS_DIR
from formulactl.store.cache import BlobCache, code_version
from formulactl.store.store import Store

KEEP = 8  # answers kept per report: a few `--at`, `--on`, format and option variants


def answer_key(store: Store, parts: Iterable[Any]) -> str:
    """One digest of what an answer depends on: `parts` (tree IDs, day, options) and the
    store's settings as this run reads them (currency, exchange rates, targets, store ID)."""
    text = repr((tuple(parts), store.settings.raw))
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()


class Answers:
    """The remembered answers of one report, each the text it printed; with no cache file
    (`--no-cache`, `ci`) every lookup misses and nothing is written."""

    def __init__(self, store: Store, report: str, key: str) -> None:
        self.cache = BlobCache(store.cache_file(f"answers-{report}.marshal"), code_version())
        self.key = key

    def get(self) -> str | None:
        found = self.cache.get(self.key)
        return found if isinstance(found, str) else None

    def put(self, text: str) -> None:
        """Keep an answer, dropping the oldest beyond `KEEP`."""
        entries = self.cache.entries
        entries.pop(self.key, None)
        for old in list(entries)[: max(0, len(entries) - KEEP + 1)]:
            del entries[old]
        self.cache.put(self.key, text)
        self.cache.save(prune=False)


def folder_trees(store: Store, commit: str) -> dict[str, str]:
    """`records/<folder>` → its tree ID at `commit`: one `git ls-tree`, no blob read."""
    done = gitio.run(
        store.root, ["ls-tree", "-z", "--end-of-options", commit, "--", f"{RECORDS_DIR}/"]
    )
    trees: dict[str, str] = {}
    for entry in done.stdout.split(b"\0"):
        info, _, name = entry.partition(b"\t")
        parts = info.split(b" ")
        if len(parts) == 3 and parts[1] == b"tree":
            trees[name.decode("utf-8", "surrogateescape").rsplit("/", 1)[-1]] = parts[2].decode()
    return trees


def commit_day(store: Store, commit: str) -> date:
    """The day a commit was made: reports judge gaps as of the commit they read, so the
    same `--at` gives the same answer tomorrow. (`git log` rather than `git show -s`, which
    took a third of a second on a commit of 200,000 files.)"""
    done = gitio.run(store.root, ["log", "-1", "--no-walk", "--format=%cs", commit, "--"])
    return date.fromisoformat(done.stdout.decode().strip())
