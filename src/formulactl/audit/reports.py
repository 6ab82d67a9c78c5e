"""Reports over many records: what needs review or an answer, when, and by whom."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from formulactl.audit.history import History
from formulactl.crypto.confidential import readers, secrets_in
from formulactl.errors import FormulaError
from formulactl.model.kinds import KINDS
from formulactl.model.sealed import ENVELOPE, key_id_of
from formulactl.model.workflow import customer_of
from formulactl.store import yamlio
from formulactl.store.cache import BlobCache
from formulactl.store.query import select_records
from formulactl.store.store import Record, Store


@dataclass(frozen=True)
class DueItem:
    due: str  # YYYY-MM-DD, or "" when waiting without a date
    record: str
    kind: str
    task: str  # review (periodic), approve (in review), respond (feedback)
    who: tuple[str, ...]
    overdue: bool
    note: str = ""  # why it is due, when the task alone does not say


def due_items(store: Store, today: date, cache: BlobCache) -> list[DueItem]:
    """Approved records by review date, records awaiting approval, feedback awaiting answer."""
    team = store.team
    stamp = today.isoformat()
    items: list[DueItem] = []
    waiting: list[DueItem] = []
    for kind in (kind for kind in KINDS.values() if kind.master):
        for record in select_records(store, kind.name, [], cache).records:
            status, due = record.data.get("status"), record.data.get("review_due")
            customer = customer_of(kind.name, record.id, record.data)
            approvers = tuple(p.id for p in team.holders("approver", kind.name, customer))
            if status == "approved" and isinstance(due, str):
                items.append(DueItem(due, record.id, kind.name, "review", approvers, due < stamp))
            elif status == "in_review":
                waiting.append(DueItem("", record.id, kind.name, "approve", approvers, False))
    items += _four_eyes(store, waiting)
    for record in select_records(store, "feedback", [], cache).records:
        if record.data.get("status") in ("open", "investigating"):
            due = str(record.data.get("response_due", ""))
            owner = record.data.get("owner")
            who = (
                (owner,)
                if isinstance(owner, str)
                else tuple(
                    p.id
                    for p in team.holders(
                        "entry", "feedback", customer_of("feedback", record.id, record.data)
                    )
                )
            )
            items.append(
                DueItem(due, record.id, "feedback", "respond", who, bool(due) and due < stamp)
            )
    return sorted(items, key=lambda item: (item.due or "9999", item.record))


def _four_eyes(store: Store, waiting: list[DueItem]) -> list[DueItem]:
    """Who changed a record since its last approval may not approve it: leave them out
    (where history can tell; a shallow clone cannot, and then everyone is listed)."""
    if not waiting:
        return []
    checked = []
    try:
        with History(store) as history:
            for item in waiting:
                authors = history.authors_since_approval(store.record_path(item.record))
                checked.append(replace(item, who=tuple(p for p in item.who if p not in authors)))
    except FormulaError:
        return waiting
    return checked


@dataclass(frozen=True)
class Access:
    """Who holds a record's data key today, against who should."""

    record: str
    readers: tuple[str, ...]
    missing: tuple[str, ...]  # should read but hold no copy of the key
    extra: tuple[str, ...]  # hold a copy but should no longer read


def access_today(store: Store, records: list[Record]) -> list[Access]:
    """From the envelopes alone: no key is needed to see who can read what."""
    found = []
    for record in records:
        envelope = record.data.get(ENVELOPE)
        held = set(envelope.get("recipients", {})) if isinstance(envelope, dict) else set()
        wanted = set(readers(store.settings, store.team, record.kind, record.id, record.data))
        if not secrets_in(store.schema(record.kind), record.data):
            wanted = set()
        found.append(
            Access(
                record.id,
                tuple(sorted(held)),
                tuple(sorted(wanted - held)),
                tuple(sorted(held - wanted)),
            )
        )
    return found


@dataclass(frozen=True)
class Exposure:
    """Someone who held a data key that sealed a field, and over which commits."""

    field: str
    reader: str
    first: str  # commit IDs
    last: str


def access_history(store: Store, record: Record) -> list[Exposure]:
    """Who could ever read each confidential field: the readers of every data key that
    sealed it, in every commit of the record's history."""
    spans: dict[tuple[str, str], list[str]] = {}
    schema = store.schema(record.kind)
    with History(store) as history:
        for commit in history.commits(["HEAD"], (record.path,)):
            for change in commit.changes:
                if change.path != record.path or change.new is None:
                    continue
                try:
                    data = yamlio.load_record(history.blob(change.new), record.path, 1 << 24)
                except FormulaError:
                    continue
                envelope = data.get(ENVELOPE)
                held = envelope.get("recipients", {}) if isinstance(envelope, dict) else {}
                key_id = envelope.get("key_id") if isinstance(envelope, dict) else None
                for secret in secrets_in(schema, data):
                    sealed = key_id is not None and key_id_of(secret.value) == key_id
                    for reader in held if sealed else ["everyone (plain text)"]:
                        span = spans.setdefault((secret.name, reader), [commit.id, commit.id])
                        span[1] = commit.id
    return [
        Exposure(name, reader, first, last)
        for (name, reader), (first, last) in sorted(spans.items())
    ]
