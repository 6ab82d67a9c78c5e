"""audit export: one row per record change, for auditors' spreadsheets."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from formulactl.audit.diffing import FieldChange, record_diff
from formulactl.audit.history import History, record_id_of
from formulactl.audit.trail import Trail, signature_of
from formulactl.crypto import crypto
from formulactl.store.store import Store


@dataclass(frozen=True)
class Row:
    time: str
    person: str
    name: str
    signature: str
    action: str
    meaning: str
    reason: str
    record: str
    version: int | None
    status: str | None
    fields_changed: str
    commit: str
    received: str

    COLUMNS = (
        "time",
        "received",
        "person",
        "name",
        "signature",
        "action",
        "meaning",
        "reason",
        "record",
        "version",
        "status",
        "fields_changed",
        "commit",
    )


def export_rows(
    store: Store, since: str | None, identities: list[crypto.Identity]
) -> Iterator[Row]:
    """One row per change to a record, oldest first, for inspectors who do not use git: one
    walk over history, each record version read once."""
    readers: dict[str, Trail] = {}
    with History(store) as history:
        for commit in history.commits(["HEAD"]):
            signature = signature_of(history, commit)
            if since and signature.when[:10] < since:
                continue
            for change in commit.changes:
                place = record_id_of(change.path)
                if place is None:
                    continue
                trail = readers.get(place[1])
                if trail is None:
                    trail = readers[place[1]] = Trail.empty(store, history, place[1], identities)
                after = history.state(change.path, change.new)
                changes = record_diff(trail.schema, trail.data(change.old), trail.data(change.new))
                yield Row(
                    signature.when,
                    signature.person,
                    signature.name,
                    signature.verdict,
                    commit.trailers.get("Action", "commit"),
                    signature.meaning,
                    commit.trailers.get("Reason", ""),
                    place[1],
                    after.version if after else None,
                    after.status if after else None,
                    "; ".join(_described(tuple(changes))),
                    commit.id,
                    signature.received,
                )


def _described(changes: tuple[FieldChange, ...]) -> list[str]:
    return [f"{change.field} ({change.change})" for change in changes]
