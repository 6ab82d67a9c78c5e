"""`fmt`: rewrite files in the canonical form, or list those that are not in it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from formulactl.errors import Finding, FormulaError
from formulactl.git import gitio
from formulactl.model.kinds import STORE_FILES
from formulactl.rules.runs import select
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
    # Under core.autocrlf git stores LF whatever the working tree holds: judge what it stores.
    crlf = gitio.config_get(store.root, "core.autocrlf") in ("true", "input")
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
        encoded = text.encode("utf-8")
        if (
            encoded == data
            or blob == gitio.blob_id(encoded)
            or (crlf and data.replace(b"\r\n", b"\n") == encoded)
        ):
            cache.put(blob or gitio.blob_id(data), True)
            continue
        too_big = _too_big(store, path, len(encoded))
        if too_big is not None:
            report.unreadable.append(too_big)
            continue
        report.changed[path] = text
    cache.save(prune=not list(paths))
    return report


def _too_big(store: Store, path: str, size: int) -> Finding | None:
    """A canonical form over the size limit is refused, never written: block style can make
    a compact file much larger than the file it came from."""
    limit = 1 << 20 if path in STORE_FILES else store.settings.max_record_bytes
    if size <= limit:
        return None
    return FormulaError(
        f"in canonical form this file would be {-(-size // 1024)} KB, over the store's "
        f"limit of {limit // 1024} KB for a record",
        "split it, or raise max_record_kb in formulactl.yaml; it was left as it is",
        path,
        rule="yaml-size",
    ).finding
