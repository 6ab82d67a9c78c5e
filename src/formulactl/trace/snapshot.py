"""The store's records as one commit holds them, read through git and the parsed-record
cache: every traceability answer rests on a named commit and never on a checkout."""

from __future__ import annotations

import difflib
from collections.abc import Callable, ItemsView, Iterable, Iterator, Mapping, ValuesView
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from formulactl.errors import FormulaError
from formulactl.git import gitio
from formulactl.model.kinds import FOLDERS, KINDS, RECORDS_DIR
from formulactl.store.store import Store

if TYPE_CHECKING:
    from formulactl.store.cache import BlobCache

# YAML, schemas and the parsed-record cache are imported where used: a warm traceability
# answer reads a handful of records, or none.


@dataclass
class Snapshot:
    """Parsed records by kind and ID, and the commit they were read at."""

    commit: str
    records: dict[str, Mapping[str, dict[str, Any]]] = field(default_factory=dict)
    unreadable: list[str] = field(default_factory=list)
    blobs: dict[str, dict[str, str]] = field(default_factory=dict)  # kind → ID → blob
    # a kind not in `records` yet, read when first asked (None: the commit has none of it)
    more: Callable[[str], Mapping[str, dict[str, Any]] | None] | None = None

    def of(self, kind: str) -> Mapping[str, dict[str, Any]]:
        if kind not in self.records and self.more is not None:
            found = self.more(kind)
            if found is not None:
                self.records[kind] = found
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
    from formulactl.store.schema import is_date

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
    from formulactl.store.query import cached_blobs

    snapshot = Snapshot(commit)
    listing = gitio.tree_blobs(store.root, commit, RECORDS_DIR)
    found = cached_blobs(store, {blob: path for path, blob in listing.items()}, cache)
    records: dict[str, dict[str, dict[str, Any]]] = {}
    for path, blob in listing.items():
        parts = path.split("/")
        kind = FOLDERS.get(parts[-2]) if len(parts) >= 2 else None
        data = found.get(blob)
        if kind is None or not path.endswith(".yaml"):
            continue
        if not isinstance(data, dict):
            snapshot.unreadable.append(path)
            continue
        records.setdefault(kind.name, {})[parts[-1][:-5]] = data
        snapshot.blobs.setdefault(kind.name, {})[parts[-1][:-5]] = blob
    snapshot.records.update(records)
    return snapshot


# More records than this at once come from the parsed-record cache (loading it costs about
# what parsing this many files does).
BULK = 2000


class LazyRecords(Mapping[str, dict[str, Any]]):
    """One kind's records at a commit, by ID, parsed only when read: an answer about one
    batch reads a handful of files, not the whole store. Reading many at once (`items`,
    `values`) goes through the parsed-record cache instead."""

    def __init__(self, store: Store, kind: str, blobs: Mapping[str, str]) -> None:
        self.store = store
        self.folder = f"{RECORDS_DIR}/{KINDS[kind].folder}"
        self.blobs = blobs
        self.loaded: dict[str, dict[str, Any]] = {}

    def load(self, ids: list[str]) -> None:
        wanted = {self.blobs[i]: f"{self.folder}/{i}.yaml" for i in ids if i not in self.loaded}
        if not wanted:
            return
        from formulactl.store.query import cached_blobs, parsed_blobs, records_cache

        if len(wanted) <= BULK:
            found = parsed_blobs(self.store, wanted)
        else:
            found = cached_blobs(self.store, wanted, records_cache(self.store))
        for record_id in ids:
            data = found.get(self.blobs[record_id])
            self.loaded[record_id] = data if isinstance(data, dict) else {}

    def __getitem__(self, record_id: str) -> dict[str, Any]:
        if record_id not in self.blobs:
            raise KeyError(record_id)
        self.load([record_id])
        return self.loaded[record_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self.blobs)

    def __len__(self) -> int:
        return len(self.blobs)

    def __contains__(self, record_id: object) -> bool:
        return record_id in self.blobs

    def items(self) -> ItemsView[str, dict[str, Any]]:
        self.load(list(self.blobs))
        return ItemsView(self)

    def values(self) -> ValuesView[dict[str, Any]]:
        self.load(list(self.blobs))
        return ValuesView(self)


def prefetch(records: Mapping[str, Any], ids: Iterable[str]) -> None:
    """Read these records at once (one `git cat-file`), before an answer reads them one by
    one; records already in memory are left alone."""
    if isinstance(records, LazyRecords):
        records.load([record_id for record_id in ids if record_id in records.blobs])


def lazy_snapshot(
    store: Store, commit: str, listing: Mapping[str, Mapping[str, str]], unreadable: list[str]
) -> Snapshot:
    """The records of `commit` from its listing (kind → ID → blob, read where asked), each
    record parsed when asked. Its `blobs` stay empty."""

    def more(kind: str) -> LazyRecords | None:
        return LazyRecords(store, kind, listing[kind]) if kind in listing else None

    return Snapshot(commit, {}, unreadable, more=more)


def unknown(what: str, wanted: str, known: Iterable[str], commit: str) -> FormulaError:
    """One line naming the closest known IDs, for an ID or lot that is not in the store."""
    close = difflib.get_close_matches(wanted, list(known), n=3, cutoff=0.6)
    hint = f"did you mean {', '.join(close)}?" if close else f"see `formulactl list {what}`"
    return FormulaError(
        f"no {what} `{wanted}` in the store at {commit[:10]}", hint, rule="unknown-id"
    )
