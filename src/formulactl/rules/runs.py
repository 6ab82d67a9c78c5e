"""Whole `validate` runs remembered: the same store state gives the same findings.

Kept apart from `check.py` so that a warm run (nothing changed since the last one) imports
no YAML, schema or rule code: it lists the tree, hashes what the findings depend on, and
reads the one remembered answer.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from formulactl.errors import Finding, FormulaError
from formulactl.model.kinds import KINDS, SCHEMAS_DIR, SETTINGS_FILE, STORE_FILES, TEAM_FILE
from formulactl.store import files
from formulactl.store.cache import BlobCache, code_version
from formulactl.store.store import SCHEMA_LIMIT, Store


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    files: int = 0
    unreadable: int = 0


def check_context(store: Store) -> str:
    """What every cached result depends on besides the file itself."""
    digest = hashlib.sha256(code_version().encode())
    names = [SETTINGS_FILE, TEAM_FILE, *(f"{SCHEMAS_DIR}/{kind}.schema.json" for kind in KINDS)]
    for name in names:
        digest.update(name.encode() + b"\0" + store_file(store, name))
    return digest.hexdigest()


def store_file(store: Store, name: str) -> bytes:
    """A settings, team or schema file's bytes for a digest; one that cannot be read (a
    link, a FIFO: reported by the checks themselves) stands as a marker, never followed."""
    try:
        return store.read_bytes(name, SCHEMA_LIMIT)
    except FormulaError as error:
        return f"\0{error.finding.rule}".encode()


def check_cache(store: Store, name: str = "check") -> BlobCache:
    """A cache of check results (`check`, `check-run`, `fmt`) keyed by what they depend on."""
    return BlobCache(store.cache_file(f"{name}.marshal"), check_context(store))


def run_key(
    store: Store, context: str, listing: Mapping[str, str | None], wanted: set[str]
) -> str | None:
    """Names this exact run: the same key means the same findings, without any checking."""
    digest = hashlib.sha256(context.encode())
    for name in sorted(STORE_FILES):
        digest.update(name.encode() + b"\0" + store_file(store, name))
    if None in listing.values():
        return None  # a changed file: only reading it can tell
    rows = (f"{path}\0{listing[path]}\0{path in wanted}\n" for path in sorted(listing))
    digest.update("".join(rows).encode())  # one update: the same digest, fewer calls
    return digest.hexdigest()


def remembered(store: Store, paths: list[Path], runs: BlobCache) -> Report | None:
    """The report of the last run if it was this exact run, else None (then check)."""
    listing = store.listing()
    key = run_key(store, runs.context, listing, select(store, listing, paths))
    found = runs.get(key) if key else None
    if found is None:
        return None
    count, unreadable, rows = found
    return Report([Finding(*row) for row in rows], count, unreadable)


def select(store: Store, listing: Mapping[str, str | None], paths: list[Path]) -> set[str]:
    """Store-relative files to check: all records and store files, or those under `paths`."""
    everything = set(listing) | {name for name in STORE_FILES if files.is_present(store.root, name)}
    if not paths:
        return everything
    chosen: set[str] = set()
    for given in paths:
        try:
            relative = given.resolve().relative_to(store.root).as_posix()
        except ValueError:
            raise FormulaError(
                f"{given} is outside the store at {store.root}",
                "pass files or folders inside the store",
                rule="usage",
            ) from None
        if relative == ".":
            return everything
        under = {
            path
            for path in everything
            if path == relative or path.startswith(relative.rstrip("/") + "/")
        }
        if not under and not _exists(given):
            raise FormulaError(f"{given} does not exist", "check the path", rule="usage")
        chosen |= under
    return chosen


def _exists(given: Path) -> bool:
    """Whether a path the user named exists; a name too long to exist simply does not."""
    try:
        return given.exists()
    except OSError:
        return False
