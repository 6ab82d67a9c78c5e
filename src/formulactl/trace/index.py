"""The traceability graph of one commit, kept between runs.

Building it means listing the records tree, fetching every parsed record from the
parsed-record cache and indexing every lot line, delivery, complaint and formula line:
seconds on a big store, the same answer every time for the same tree. So the indexes and
the listing (kind → ID → blob) are kept in the store's cache folder under the ID of the
commit's `records/` tree, in a cache file signed like every other (`store.cache.BlobCache`:
HMAC under this clone's key, bound to formulactl's code version); only the tree just used
is kept. A warm run then reads just the records its answer touches (`LazyRecords`). A run
that trusts no cache builds the graph afresh.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from formulactl.git import gitio
from formulactl.model.kinds import RECORDS_DIR
from formulactl.store.cache import BlobCache, code_version
from formulactl.store.query import records_cache
from formulactl.store.store import Store
from formulactl.trace.graph import Delivery, Graph, build_graph
from formulactl.trace.snapshot import lazy_snapshot, load_snapshot

CACHE_FILE = "trace-index.marshal"
INDEXES = (
    "by_lot",
    "by_material",
    "consumers",
    "complaints",
    "orders_by_formula",
    "formulas_by_material",
)


def records_tree(store: Store, commit: str) -> str | None:
    """The ID of `records/` in `commit`: the same tree means the same records."""
    done = gitio.run(
        store.root, ["rev-parse", "--verify", "--quiet", f"{commit}:{RECORDS_DIR}"], check=False
    )
    return done.stdout.decode().strip() or None if done.returncode == 0 else None


def indexed_graph(store: Store, commit: str) -> Graph:
    """The graph of `commit`: from the cache when its records tree was indexed before."""
    tree = records_tree(store, commit)
    cache = BlobCache(store.cache_file(CACHE_FILE), code_version())
    kept = cache.get(tree) if tree else None
    if kept is not None:
        return _restored(store, commit, kept)
    graph = build_graph(load_snapshot(store, commit, records_cache(store)))
    if tree:
        cache.put(tree, _kept(graph))
        cache.save(prune=True)
    return graph


def _kept(graph: Graph) -> tuple[Any, ...]:
    """The graph as plain values marshal can write."""
    indexes = tuple(dict(getattr(graph, name)) for name in INDEXES)
    deliveries = {
        batch: [
            (d.order, d.customer, d.date, d.batch, d.quantity, d.unit, d.order_status)
            for d in found
        ]
        for batch, found in graph.deliveries.items()
    }
    snapshot = graph.snapshot
    return (snapshot.blobs, snapshot.unreadable, indexes, deliveries, graph.formula_versions)


def _restored(store: Store, commit: str, kept: tuple[Any, ...]) -> Graph:
    """The graph over records read only when an answer needs them."""
    blobs, unreadable, indexes, deliveries, versions = kept
    graph = Graph(lazy_snapshot(store, commit, blobs, list(unreadable)))
    for name, index in zip(INDEXES, indexes, strict=True):
        setattr(graph, name, defaultdict(list, index))
    graph.formula_versions = versions
    graph.deliveries = defaultdict(
        list, {batch: [Delivery(*d) for d in found] for batch, found in deliveries.items()}
    )
    return graph
