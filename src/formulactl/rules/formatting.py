"""`fmt`: rewrite files in the canonical form, or list those that are not in it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from formulactl.errors import Finding, FormulaError
from formulactl.git import gitio
from formulactl.model.kinds import STORE_FILES
from formulactl.rules.check import select
from formulactl.store import yamlio
from formulactl.store.cache import BlobCache
from formulactl.store.store import Store


@dataclass
class FormatReport:
    changed: dict[str, str] = field(default_factory=dict)  # path → its canonical text
    unreadable: list[Finding] = field(default_factory=list)
    files: int = 0


def canonical_text(store: Store, path: str, data: bytes) -> str:
    if path in STORE_FILES:
        content = yamlio.load_record(data, path, 1 << 20)
        return yamlio.dump(content, store.schema(STORE_FILES[path]).shape)
    return store.canonical(store.parse(path, data))


def format_files(store: Store, paths: Iterable[Path], cache: BlobCache) -> FormatReport:
    """The canonical text of every file not in canonical form; nothing is written here."""
    listing = store.listing()
    report = FormatReport()
    wanted = sorted(select(store, listing, list(paths)))
    report.files = len(wanted)
    for path in wanted:
        blob = listing.get(path)
        if blob and cache.get(blob) is True:
            continue
        try:
            data = store.read_bytes(path)
            text = canonical_text(store, path, data)
        except FormulaError as error:
            report.unreadable.append(error.finding)
            continue
        if text.encode("utf-8") == data:
            cache.put(blob or gitio.blob_id(data), True)
            continue
        report.changed[path] = text
    cache.save(prune=not list(paths))
    return report
