"""The records a report reads, per folder, cached by the git tree ID of `records/<folder>` at
the commit: a warm report asks git for the tree IDs once and reads one small file per kind it
needs, instead of unmarshalling every parsed record of the store and walking them.

Orders and interactions, the two kinds that number in the hundreds of thousands, are kept
slim: only the fields the reports read (a sealed price as a bare `fcx2:` marker, never its
ciphertext or an opened value; an order's `encryption` envelope as a flag). Every other kind
is kept whole, as the parsed-record cache holds it. Each file is a `BlobCache`, so it carries
the clone's HMAC and the code digest: a tampered, copied or stale file is ignored and rebuilt.
A different `--at` with a different tree is a different entry; the few latest are kept."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from formulactl.git import gitio
from formulactl.model.kinds import KINDS, RECORDS_DIR
from formulactl.model.sealed import ENVELOPE, is_sealed
from formulactl.store.cache import BlobCache, code_version
from formulactl.store.query import records_cache
from formulactl.store.store import Store
from formulactl.trace.snapshot import Snapshot, load_snapshot

KEEP = 4  # trees kept per folder: HEAD and a few `--at` answers
SEALED = "fcx2:"  # what a sealed value becomes in the facts: sealed, and nothing of it


def _order(data: dict[str, Any]) -> dict[str, Any]:
    """What `reports.orders` reads of an order."""
    slim: dict[str, Any] = {
        "customer": data.get("customer"),
        "date": data.get("date"),
        "currency": data.get("currency"),
        "lines": [_order_line(item) for item in data.get("lines") or [] if isinstance(item, dict)],
    }
    if ENVELOPE in data:
        slim[ENVELOPE] = True  # sealed for someone: `--identity` reads the whole records
    return slim


def _order_line(item: dict[str, Any]) -> dict[str, Any]:
    price = item.get("unit_price")
    return {
        "formula": item.get("formula"),
        "product": item.get("product"),
        "quantity": item.get("quantity"),
        "unit": item.get("unit"),
        "unit_price": SEALED if is_sealed(price) else price,
    }


def _interaction(data: dict[str, Any]) -> dict[str, Any]:
    """What churn and kpi read of an interaction: who, when, by whom, what next."""
    return {key: data.get(key) for key in ("customer", "date", "by", "next_date", "purpose")}


SLIM: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "order": _order,
    "interaction": _interaction,
}


def folder_trees(store: Store, commit: str) -> dict[str, str]:
    """`records/<folder>` → its tree ID at `commit`: one `git ls-tree`, no blob read."""
    done = gitio.run(store.root, ["ls-tree", "-z", "--end-of-options", commit, "--", f"{RECORDS_DIR}/"])
    trees: dict[str, str] = {}
    for entry in done.stdout.split(b"\0"):
        info, _, name = entry.partition(b"\t")
        parts = info.split(b" ")
        if len(parts) == 3 and parts[1] == b"tree":
            trees[name.decode("utf-8", "surrogateescape").rsplit("/", 1)[-1]] = parts[2].decode()
    return trees


def facts_snapshot(store: Store, commit: str, kinds: Iterable[str]) -> Snapshot:
    """The records of `kinds` at `commit` (orders and interactions slim), from the facts
    cache; a miss reads the commit's records once through `load_snapshot` and fills it."""
    trees = folder_trees(store, commit)
    snapshot = Snapshot(commit)
    full: Snapshot | None = None
    for kind in kinds:
        folder = KINDS[kind].folder
        tree = trees.get(folder)
        if tree is None:
            continue  # no records of this kind at that commit
        cache = BlobCache(store.cache_file(f"facts-{folder}.marshal"), code_version())
        found = cache.get(tree)
        if not isinstance(found, dict):
            if full is None:
                full = load_snapshot(store, commit, records_cache(store))
            found = project(kind, full.of(kind))
            remember(cache, tree, found)
        snapshot.records[kind] = found
    return snapshot


def project(kind: str, records: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The facts of one kind's records: slim for orders and interactions, else whole."""
    slim = SLIM.get(kind)
    return dict(records) if slim is None else {rid: slim(data) for rid, data in records.items()}


def remember(cache: BlobCache, tree: str, found: dict[str, dict[str, Any]]) -> None:
    """Store one tree's facts, keeping only the latest `KEEP` trees of the folder."""
    entries = cache.entries
    for old in list(entries)[: max(0, len(entries) - KEEP + 1)]:
        del entries[old]
    cache.put(tree, found)
    cache.save(prune=False)


def whole_orders(store: Store, snapshot: Snapshot) -> None:
    """Put the whole order records back when any is sealed, so a reader's key can open the
    prices (the facts keep only that a price is sealed)."""
    if any(ENVELOPE in data for data in snapshot.of("order").values()):
        full = load_snapshot(store, snapshot.commit, records_cache(store))
        snapshot.records["order"] = full.of("order")
