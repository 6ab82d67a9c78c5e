"""The store's records as one commit holds them, read through git and the parsed-record
cache: every traceability answer rests on a named commit and never on a checkout."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from formulactl.errors import FormulaError
from formulactl.git import gitio
from formulactl.model.kinds import FOLDERS, RECORDS_DIR
from formulactl.store import yamlio
from formulactl.store.cache import BlobCache
from formulactl.store.schema import is_date
from formulactl.store.store import Store


@dataclass
class Snapshot:
    """Parsed records by kind and ID, and the commit they were read at."""

    commit: str
    records: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    unreadable: list[str] = field(default_factory=list)

    def of(self, kind: str) -> dict[str, dict[str, Any]]:
        return self.records.get(kind, {})

    def get(self, kind: str, record_id: str) -> dict[str, Any] | None:
        return self.of(kind).get(record_id)


def resolve_at(store: Store, at: str | None) -> str:
    """The commit `--at` names: a commit, a tag, or a date (the last commit that day)."""
    if gitio.head(store.root) is None:
        raise FormulaError(
            "the store has no commits yet", "commit the records first", rule="no-history"
        )
    if at is None:
        return gitio.resolve(store.root, "HEAD")
    if len(at) == 10 and is_date(at):
        found = gitio.commit_on(store.root, at)
        if found is None:
            raise FormulaError(
                f"the store had no commits on or before {at}", "pick a later date", rule="usage"
            )
        return found
    return gitio.resolve(store.root, at)


def load_snapshot(store: Store, commit: str, cache: BlobCache) -> Snapshot:
    """Every record at `commit`; blobs already parsed (by `list`, `validate`, an earlier
    answer) come from the cache, the rest through one `git cat-file --batch`."""
    snapshot = Snapshot(commit)
    listing = gitio.tree_blobs(store.root, commit, RECORDS_DIR)
    missing = [blob for blob in listing.values() if cache.get(blob) is None]
    if missing:
        _parse_missing(store, listing, set(missing), cache)
    for path, blob in listing.items():
        parts = path.split("/")
        kind = FOLDERS.get(parts[-2]) if len(parts) >= 2 else None
        data = cache.get(blob)
        if kind is None or not path.endswith(".yaml"):
            continue
        if not isinstance(data, dict):
            snapshot.unreadable.append(path)
            continue
        snapshot.records.setdefault(kind.name, {})[parts[-1][:-5]] = data
    cache.save(prune=False)
    return snapshot


def _parse_missing(
    store: Store, listing: dict[str, str], wanted: set[str], cache: BlobCache
) -> None:
    paths = {blob: path for path, blob in listing.items() if blob in wanted}
    blobs = sorted(paths)
    with gitio.CatFile(store.root) as reader:
        contents = reader.read_many(blobs)
    for blob, raw in zip(blobs, contents, strict=True):
        if raw is None:
            continue
        try:
            cache.put(blob, yamlio.load_record(raw, paths[blob], store.settings.max_record_bytes))
        except FormulaError:
            continue  # `validate` reports it; an answer skips what it cannot read


def unknown(what: str, wanted: str, known: Iterable[str], commit: str) -> FormulaError:
    """One line naming the closest known IDs, for an ID or lot that is not in the store."""
    close = difflib.get_close_matches(wanted, list(known), n=3, cutoff=0.6)
    hint = f"did you mean {', '.join(close)}?" if close else f"see `formulactl list {what}`"
    return FormulaError(
        f"no {what} `{wanted}` in the store at {commit[:10]}", hint, rule="unknown-id"
    )
