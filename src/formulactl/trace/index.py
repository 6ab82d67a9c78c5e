"""The traceability graph of one commit, kept between runs and read only where asked.

Building it means listing the records tree, fetching every parsed record from the
parsed-record cache and indexing every lot line, delivery, complaint and formula line:
seconds on a big store, the same answer every time for the same tree. So the indexes are
kept in the store's cache folder under the ID of the commit's `records/` tree, in cache
files signed like every other (`store.cache.BlobCache`: HMAC under this clone's key, bound
to formulactl's code version); only the tree just used is kept.

A warm answer must not pay for the whole index: a full-size store has over a million lot
lines. So every value is marshalled on its own (`Packed`: unmarshalled when its key is
read), and the lot lines by material and by lot, the bulk of it, are split over `SHARDS`
files by a hash of the key: a where-used reads one of them. The head file holds the
listing (kind → ID → blob, so a warm run reads just the records its answer touches,
`LazyRecords`), each batch's date, formula and disposition, and the small indexes. A run
that trusts no cache builds the same structures in memory; a shard missing or forged is
indexed afresh.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from formulactl.git import gitio
from formulactl.model.kinds import RECORDS_DIR
from formulactl.store.cache import BlobCache, code_version
from formulactl.store.store import Store
from formulactl.trace.graph import Delivery, Graph, Indexes, LotLine, index_snapshot
from formulactl.trace.packed import Buckets, Packed, as_is, pack
from formulactl.trace.snapshot import Snapshot, lazy_snapshot, load_snapshot

CACHE_FILE = "trace-index.marshal"
SHARDS = 16
Shard = tuple[Buckets, Buckets]  # lot lines by material, by lot
Head = tuple[Any, ...]


def shard_file(number: int) -> str:
    return f"trace-lines-{number:02d}.marshal"


def shard_of(key: str) -> int:
    """Which shard holds a material's or a lot's lines: the same on every run and machine."""
    return zlib.crc32(key.encode()) % SHARDS


def records_tree(store: Store, commit: str) -> str | None:
    """The ID of `records/` in `commit`: the same tree means the same records."""
    done = gitio.run(
        store.root, ["rev-parse", "--verify", "--quiet", f"{commit}:{RECORDS_DIR}"], check=False
    )
    return done.stdout.decode().strip() or None if done.returncode == 0 else None


def indexed_graph(store: Store, commit: str) -> Graph:
    """The graph of `commit`: from the cache when its records tree was indexed before."""
    return TraceIndex(store, commit).graph()


class TraceIndex:
    """The index files of one commit's records tree, built at most once per run."""

    def __init__(self, store: Store, commit: str) -> None:
        self.store = store
        self.commit = commit
        self.tree = records_tree(store, commit)
        self.built: tuple[Snapshot, Head, list[Shard]] | None = None

    def _cache(self, name: str) -> BlobCache:
        return BlobCache(self.store.cache_file(name), code_version())

    def _kept(self, name: str) -> Any:
        return self._cache(name).get(self.tree) if self.tree else None

    def graph(self) -> Graph:
        head = self._kept(CACHE_FILE)
        if head is None:
            snapshot, head, _shards = self._build()
        else:
            listing = {kind: Packed(found, as_is) for kind, found in head[0].items()}
            snapshot = lazy_snapshot(self.store, self.commit, listing, list(head[1]))
        return restored(snapshot, head, self.shard)

    def shard(self, number: int) -> Shard:
        if self.built is None:
            kept = self._kept(shard_file(number))
            if kept is not None:
                found: Shard = kept
                return found
        return self._build()[2][number]

    def _build(self) -> tuple[Snapshot, Head, list[Shard]]:
        """Index every record of the commit, and keep the index for the next run."""
        if self.built is None:
            from formulactl.store.query import records_cache

            snapshot = load_snapshot(self.store, self.commit, records_cache(self.store))
            head, shards = packed(snapshot, index_snapshot(snapshot))
            self.built = (snapshot, head, shards)
            if self.tree:
                for name, value in [(CACHE_FILE, head)] + [
                    (shard_file(number), shard) for number, shard in enumerate(shards)
                ]:
                    cache = self._cache(name)
                    cache.put(self.tree, value)
                    cache.save(prune=True)
        return self.built


def packed(snapshot: Snapshot, found: Indexes) -> tuple[Head, list[Shard]]:
    """The indexes as the cache files hold them."""
    split: list[tuple[dict[str, Any], dict[str, Any]]] = [({}, {}) for _ in range(SHARDS)]
    for part, index in enumerate((found.by_material, found.by_lot)):
        for key, value in index.items():
            split[shard_of(key)][part][key] = value
    shards = [(pack(by_material), pack(by_lot)) for by_material, by_lot in split]
    head = (
        {kind: pack(found) for kind, found in snapshot.blobs.items()},
        snapshot.unreadable,
        pack(found.facts),
        pack(found.consumers),
        pack(found.deliveries),
        pack(found.complaints),
        pack(found.orders_by_formula),
        pack(found.formulas_by_material),
        found.formula_versions,
        pack(found.formula_facts),
        pack(found.order_facts),
    )
    return head, shards


def restored(snapshot: Snapshot, head: Head, shard: Callable[[int], Shard]) -> Graph:
    """The graph over packed indexes: each value is read when an answer asks for it."""
    facts, consumers, deliveries, complaints, orders, formulas, versions = head[2:9]
    formula_facts, order_facts = head[9:]
    return Graph(
        snapshot,
        by_lot=Sharded(shard, 1),
        by_material=Sharded(shard, 0),
        facts=Packed(facts, as_is),
        consumers=Packed(consumers, as_is),
        deliveries=Packed(deliveries, _deliveries),
        complaints=Packed(complaints, as_is),
        orders_by_formula=Packed(orders, as_is),
        formulas_by_material=Packed(formulas, as_is),
        formula_versions=versions,
        formula_facts=Packed(formula_facts, as_is),
        order_facts=Packed(order_facts, as_is),
    )


def _deliveries(_batch: str, found: list[tuple[Any, ...]]) -> list[Delivery]:
    return [Delivery(*values) for values in found]


def _lines(_key: str, found: list[tuple[Any, ...]]) -> list[LotLine]:
    return [LotLine(*values) for values in found]


class Sharded(Mapping[str, list[LotLine]]):
    """Lot lines by material (part 0) or by lot (part 1), each shard read when first asked;
    listing every key (to name the closest to an unknown lot) reads them all."""

    def __init__(self, shard: Callable[[int], Shard], part: int) -> None:
        self.shard = shard
        self.part = part
        self.shards: dict[int, Packed[list[LotLine]]] = {}

    def _of(self, number: int) -> Packed[list[LotLine]]:
        if number not in self.shards:
            self.shards[number] = Packed(self.shard(number)[self.part], _lines)
        return self.shards[number]

    def __getitem__(self, key: str) -> list[LotLine]:
        return self._of(shard_of(key))[key]

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key in self._of(shard_of(key))

    def __iter__(self) -> Iterator[str]:
        for number in range(SHARDS):
            yield from self._of(number)

    def __len__(self) -> int:
        return sum(len(self._of(number)) for number in range(SHARDS))
