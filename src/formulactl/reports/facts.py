"""The records a report reads, per folder, cached by the git tree ID of `records/<folder>` at
the commit: a warm report asks git for the tree IDs once and reads one small file per kind it
needs, instead of unmarshalling every parsed record of the store and walking them.

Orders and interactions, the two kinds that number in the hundreds of thousands, are kept
slim: orders as the line rows `reports.orders` counts (a sealed price as a bare `fcx2:`
marker, never its ciphertext or an opened value), interactions as the fields churn and kpi
read. The priced order lines made from those rows (`reports.orders.priced_lines`) are kept
too, under the orders' and customers' trees and the currency and rates they were priced
in. Every other kind is kept whole, as the parsed-record cache holds it. Each file is a
`BlobCache`, so it carries the clone's HMAC and the code digest: a tampered, copied or stale
file is ignored and rebuilt. A different `--at` with a different tree is a different entry;
the few latest are kept."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

from formulactl.model.kinds import KINDS
from formulactl.model.sealed import ENVELOPE, is_sealed
from formulactl.reports.answers import folder_trees
from formulactl.reports.orders import Priced, PricedSource, Row, order_rows, priced_lines
from formulactl.store.cache import BlobCache, code_version
from formulactl.store.query import records_cache
from formulactl.store.store import Store
from formulactl.trace.snapshot import Snapshot, load_snapshot

KEEP = 4  # trees kept per folder: HEAD and a few `--at` answers
PRICED_KEEP = 2  # priced order lines kept (each is every line of the commit: HEAD and one)
SEALED = "fcx2:"  # what a sealed value becomes in the facts: sealed, and nothing of it


def _orders(records: Mapping[str, dict[str, Any]]) -> tuple[list[Row], bool]:
    """The order lines as `reports.orders` rows, a sealed price as a bare marker, and
    whether any order is sealed for someone (then `--identity` reads the whole records)."""
    rows = [
        (*row[:7], SEALED if is_sealed(row[7]) else row[7])
        for row in order_rows(sorted(records.items()))
    ]
    return rows, any(ENVELOPE in data for data in records.values())


def _interaction(data: dict[str, Any]) -> dict[str, Any]:
    """What churn and kpi read of an interaction: who, when, by whom, what next."""
    return {key: data.get(key) for key in ("customer", "date", "by", "next_date", "purpose")}


def facts_snapshot(store: Store, commit: str, kinds: Iterable[str]) -> Snapshot:
    """The records of `kinds` at `commit` (interactions slim) from the facts cache."""
    return _Loader(store, commit).snapshot(kinds)


def sales_facts(
    store: Store,
    commit: str,
    kinds: Iterable[str],
    opening: bool,
    trees: dict[str, str] | None = None,
) -> tuple[Snapshot, PricedSource | None]:
    """The records of `kinds` and the source of the priced order lines at `commit`; when a
    reader's key is to open sealed prices (`opening`) and some are sealed, the whole orders
    instead (and no source). `trees` are the commit's `folder_trees` when the caller has them."""
    loader = _Loader(store, commit, trees)
    snapshot = loader.snapshot(kinds)
    if opening:
        _rows, enveloped = loader.facts("order") or ([], False)
        if enveloped:
            snapshot.records["order"] = loader.whole().of("order")
            return snapshot, None
    return snapshot, _PricedOrders(loader)


class _PricedOrders:
    """The priced order lines of one commit (`reports.orders.priced_lines`), kept in
    `facts-priced-orders.marshal` under the orders' and customers' trees and the currency
    and exchange rates they were priced with: a warm report reads them instead of turning
    every order row into a line again. Made from the facts' rows, so a sealed price stays a
    bare marker: nothing opened is kept."""

    def __init__(self, loader: _Loader) -> None:
        self.loader = loader

    def priced(self, canonical: dict[str, str], currency: str, rates: list[Any]) -> list[Priced]:
        trees = self.loader.trees
        orders = trees.get(KINDS["order"].folder)
        if orders is None:
            return []  # no orders at that commit
        basis = repr((orders, trees.get(KINDS["customer"].folder), currency, rates))
        key = hashlib.sha256(basis.encode("utf-8", "surrogateescape")).hexdigest()
        store = self.loader.store
        cache = BlobCache(store.cache_file("facts-priced-orders.marshal"), code_version())
        found: list[Priced] | None = cache.get(key)
        if found is None:
            rows, _enveloped = self.loader.facts("order")
            found = priced_lines(rows, canonical, currency, rates)
            remember(cache, key, found, PRICED_KEEP)
        return found


class _Loader:
    """One commit's folder trees; a miss reads the commit's records once (`load_snapshot`)
    and fills the entry of that folder's tree."""

    def __init__(self, store: Store, commit: str, trees: dict[str, str] | None = None) -> None:
        self.store = store
        self.commit = commit
        self.trees = folder_trees(store, commit) if trees is None else trees
        self.full: Snapshot | None = None

    def snapshot(self, kinds: Iterable[str]) -> Snapshot:
        found = Snapshot(self.commit)
        for kind in kinds:
            records = self.facts(kind)
            if records is not None:
                found.records[kind] = records
        return found

    def whole(self) -> Snapshot:
        if self.full is None:
            self.full = load_snapshot(self.store, self.commit, records_cache(self.store))
        return self.full

    def facts(self, kind: str) -> Any:
        folder = KINDS[kind].folder
        tree = self.trees.get(folder)
        if tree is None:
            return None  # no records of this kind at that commit
        cache = BlobCache(self.store.cache_file(f"facts-{folder}.marshal"), code_version())
        found = cache.get(tree)
        if found is None:
            found = project(kind, self.whole().of(kind))
            remember(cache, tree, found)
        return found


def project(kind: str, records: Mapping[str, dict[str, Any]]) -> Any:
    """The facts of one kind's records: order rows, slim interactions, else whole records."""
    if kind == "order":
        return _orders(records)
    if kind == "interaction":
        return {rid: _interaction(data) for rid, data in records.items()}
    return dict(records)


def remember(cache: BlobCache, tree: str, found: Any, keep: int = KEEP) -> None:
    """Store one tree's facts, keeping only the latest `keep` trees of the folder."""
    entries = cache.entries
    for old in list(entries)[: max(0, len(entries) - keep + 1)]:
        del entries[old]
    cache.put(tree, found)
    cache.save(prune=False)
