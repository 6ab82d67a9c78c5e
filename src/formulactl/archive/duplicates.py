"""Duplicate checks as the commands use them: on entry (`new customer`) and over the whole
archive at one commit (`dedupe customer`), each answer with its score and reasons."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from formulactl.archive.matching import (
    Match,
    NameKeys,
    Pair,
    duplicate_pairs,
    likely_duplicates,
)
from formulactl.errors import FormulaError
from formulactl.model.sealed import is_sealed
from formulactl.store.cache import BlobCache, code_version
from formulactl.store.store import Store
from formulactl.trace.tables import Table, table

NAMES_FILE = "customer-names.marshal"  # name as typed → (normalised, pinyin key)


def entry_check(
    candidate: Mapping[str, Any],
    customers: Mapping[str, Mapping[str, Any]],
    threshold: float = 85.0,
) -> list[Match]:
    """The likely duplicates of a customer about to be created, best first; a certain one
    (same tax ID or same normalised name) refuses the entry unless the person said, with
    `not_duplicate_of`, that it is another company. `not_duplicate_of` must name existing
    customers: a typo would silence nothing."""
    marked = candidate.get("not_duplicate_of")
    for other in marked if isinstance(marked, list) else []:
        if other not in customers:
            raise FormulaError(
                f"--not-duplicate-of {other}: no such customer",
                "name an existing customer ID",
                rule="usage",
            )
    found = likely_duplicates(candidate, customers, threshold)
    certain = next((match for match in found if match.certain), None)
    if certain is not None:
        other = customers[certain.other]
        raise FormulaError(
            f"{candidate.get('name')} is already customer {certain.other} "
            f"{other.get('name')} ({'; '.join(certain.reasons)})",
            f"use {certain.other}, or add --not-duplicate-of {certain.other} "
            "if it is another company",
            rule="duplicate",
        )
    return found


@dataclass(frozen=True)
class DedupeReport:
    """Candidate duplicate pairs in the archive at one commit."""

    store_id: str
    commit: str
    threshold: float
    customers: int  # live customers compared (merged ones are not)
    pairs: tuple[Pair, ...]
    names: Mapping[str, str]

    def as_dict(self) -> dict[str, Any]:
        return {
            "store_id": self.store_id,
            "commit": self.commit,
            "threshold": self.threshold,
            "customers": self.customers,
            "pairs": [
                {
                    "first": pair.first,
                    "first_name": self.names.get(pair.first, ""),
                    "second": pair.second,
                    "second_name": self.names.get(pair.second, ""),
                    "score": pair.score,
                    "certain": pair.certain,
                    "reasons": list(pair.reasons),
                }
                for pair in self.pairs
            ],
        }

    def tables(self) -> list[Table]:
        rows = [
            (
                pair.first,
                self.names.get(pair.first, ""),
                pair.second,
                self.names.get(pair.second, ""),
                f"{pair.score:g}",
                "yes" if pair.certain else "no",
                "; ".join(pair.reasons),
            )
            for pair in self.pairs
        ]
        columns = ("customer", "name", "duplicate of?", "name", "score", "certain", "why")
        return [table("Likely duplicates", columns, rows)]


def dedupe(
    store: Store,
    commit: str,
    customers: Mapping[str, Mapping[str, Any]],
    threshold: float,
    opened: Sequence[Mapping[str, Any]] | None = None,
) -> DedupeReport:
    """Every likely duplicate pair, skipping merged customers and pairs marked
    `not_duplicate_of`; `opened` (the records decrypted for a reader) lets phones and
    emails count. Each name's normalised form and pinyin key are remembered between runs
    (keyed by the name's text, HMAC-checked like every cache), so a warm run normalises only
    new or changed names."""
    if not 0 < threshold <= 100:
        raise FormulaError(
            f"--threshold {threshold:g} is not between 0 and 100",
            "give a score such as 85",
            rule="usage",
        )
    compared = (
        {str(record.get("id")): record for record in opened} if opened is not None else customers
    )
    cache = BlobCache(store.cache_file(NAMES_FILE), code_version())
    names_of = NameKeys(cache.entries)
    pairs = duplicate_pairs(compared, threshold, names_of)
    _remember(cache, names_of, customers)
    live = sum(1 for record in customers.values() if not record.get("merged_into"))
    names = {record_id: str(record.get("name", "")) for record_id, record in customers.items()}
    return DedupeReport(store.settings.store_id, commit, threshold, live, tuple(pairs), names)


def _remember(
    cache: BlobCache, names_of: NameKeys, customers: Mapping[str, Mapping[str, Any]]
) -> None:
    """Keep the names of these customers as the store holds them in plain text: a value a
    reader opened never reaches the disk, and names no longer in use are dropped."""
    plain = {
        value
        for record in customers.values()
        for value in (record.get("name"), record.get("legal_name"))
        if isinstance(value, str) and not is_sealed(value) and value in names_of.known
    }
    if names_of.added & plain or plain != set(cache.entries):
        cache.entries = {name: names_of.known[name] for name in sorted(plain)}
        cache.dirty = True
        cache.save(prune=False)
