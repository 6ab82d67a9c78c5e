"""The audit trail, read from git history: a record's changes and who signed them, field
blame, and the exact approved text of any version."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from formulactl.audit.diffing import FieldChange, covers, leaves, record_diff
from formulactl.audit.history import Commit, History, is_approval, is_rekey
from formulactl.crypto import crypto
from formulactl.crypto.sealing import data_key, open_secrets
from formulactl.errors import FormulaError
from formulactl.git import gitio
from formulactl.model.sealed import ENVELOPE
from formulactl.model.signature import Signature
from formulactl.store import yamlio
from formulactl.store.schema import KindSchema
from formulactl.store.store import Record, Store


@dataclass(frozen=True)
class Event:
    """One commit's change to one record."""

    commit: str
    signature: Signature
    action: str
    reason: str
    version: int | None
    status: str | None
    blob: str | None  # the record after this commit (None: deleted)
    changes: tuple[FieldChange, ...]
    approval: bool  # the record became approved here


def signature_of(history: History, commit: Commit) -> Signature:
    when = datetime.fromtimestamp(commit.timestamp, commit_zone(commit.offset)).isoformat()
    meaning = commit.trailers.get("Meaning", "")
    receipt = history.receipts.get(commit.id)
    received = receipt.time if receipt and receipt.valid else ""
    person = history.signer(commit)
    if person is not None:
        return Signature(person.id, person.name, "good", when, meaning, received)
    status = commit.verdict.status
    verdict = "unknown-key" if status == "good" else status
    return Signature(commit.verdict.key or "unsigned", "", verdict, when, meaning, received)


class Trail:
    """Every change to one record, oldest first, with field-level differences."""

    def __init__(
        self,
        store: Store,
        history: History,
        record_id: str,
        identities: list[crypto.Identity] | None = None,
        walk: bool = True,
    ) -> None:
        self.store = store
        self.history = history
        self.record_id = record_id
        self.path = store.record_path(record_id)
        self.kind = store.kind_of(record_id)
        self.schema: KindSchema = store.schema(self.kind)
        self.identities = identities or []
        self.events = list(self._events()) if walk else []
        if walk and not self.events:
            raise FormulaError(
                f"{record_id} has no history", "commit it first", self.path, rule="no-history"
            )

    @classmethod
    def empty(
        cls, store: Store, history: History, record_id: str, identities: list[crypto.Identity]
    ) -> Trail:
        """A reader of this record's versions, without walking its history."""
        return cls(store, history, record_id, identities, walk=False)

    def _events(self) -> Iterator[Event]:
        previous: dict[str, Any] | None = None
        for commit in self.history.commits(["HEAD"], (self.path,)):
            # A one-path log lists only this record's entries, under its names of the day.
            for change in commit.changes:
                before = self.history.state(change.path, change.old)
                after = self.history.state(change.path, change.new)
                data = self.data(change.new)
                changes = record_diff(self.schema, previous, data)
                if is_rekey(commit, self.history.signer(commit), before, after):
                    # the same values under a new data key: only the readers changed
                    changes = [c for c in changes if c.field == "readers"]
                yield Event(
                    commit=commit.id,
                    signature=signature_of(self.history, commit),
                    action=commit.trailers.get("Action", "commit"),
                    reason=commit.trailers.get("Reason", ""),
                    version=after.version if after else None,
                    status=after.status if after else None,
                    blob=change.new,
                    changes=tuple(changes),
                    approval=is_approval(before, after),
                )
                previous = data

    def data(self, blob: str | None) -> dict[str, Any] | None:
        """A version of the record, its secrets opened when this reader holds a key."""
        if blob is None:
            return None
        raw = self.history.blob(blob)
        try:
            data = yamlio.load_record(raw, self.path, len(raw) + 1)
        except FormulaError:
            return {"(unreadable)": raw.decode("utf-8", "replace")}
        if self.identities and ENVELOPE in data:
            try:
                key = data_key(self.record_id, data, self.identities)
                data = open_secrets(self.store.settings, self.schema, self.record_id, data, key)
            except FormulaError as error:
                if error.finding.rule == "sealed-tampered":
                    raise  # a reader is told, whatever command opened the value
                # not a reader of this version: its secrets stay hidden
        return data

    def of_version(self, version: int) -> list[Event]:
        """The changes made while the record was at `version`; one it never had is refused."""
        found = [event for event in self.events if event.version == version]
        if not found:
            latest = max((event.version or 0 for event in self.events), default=0)
            raise FormulaError(
                f"no version {version} of {self.record_id} (latest: {latest})",
                f"see `formulactl log {self.record_id}`",
                rule="no-version",
            )
        return found

    def approved(self, version: int) -> Event:
        """The commit that approved `version` (the last, if it was approved again)."""
        found = [event for event in self.of_version(version) if event.approval]
        if not found:
            raise FormulaError(
                f"{self.record_id}@{version} was never approved",
                f"see `formulactl log {self.record_id}`",
                rule="not-approved",
            )
        return found[-1]

    def at(self, day: str) -> Event:
        """The record as it stood at the end of `day` (YYYY-MM-DD, in each signer's zone)."""
        found = [event for event in self.events if event.signature.when[:10] <= day]
        if not found:
            raise FormulaError(
                f"{self.record_id} did not exist on {day}",
                f"it was created on {self.events[0].signature.when[:10]}",
                rule="not-yet",
            )
        return found[-1]

    def blame(self, wanted: str | None = None) -> list[Blame]:
        """For each field: the last change to it and the approval that followed."""
        last = self.events[-1]
        current = self.data(last.blob) or {}
        names = [name for name, _value in leaves(self.schema, current)]
        if wanted:
            names = [name for name in names if covers(wanted, name)] or [wanted]
        found = []
        for name in names:
            changed = next(
                (
                    event
                    for event in reversed(self.events)
                    if any(covers(change.field, name) for change in event.changes)
                ),
                None,
            )
            if changed is None:
                continue
            after = self.events[self.events.index(changed) :]
            approval = next((event for event in after if event.approval), None)
            found.append(Blame(name, changed, approval))
        return found


@dataclass(frozen=True)
class Blame:
    field: str
    changed: Event
    approval: Event | None


def version_text(trail: Trail, event: Event) -> bytes:
    """The exact bytes of the record in that commit."""
    return trail.history.blob(event.blob) if event.blob else b""


# ---------------------------------------------------------------------------- audit verify


# ---------------------------------------------------------------------------- export


def commit_zone(offset: str) -> timezone:
    sign = -1 if offset.startswith("-") else 1
    return timezone(sign * timedelta(hours=int(offset[1:3]), minutes=int(offset[3:5])))


@dataclass(frozen=True)
class VersionDiff:
    """What changed in a record between two points of its trail."""

    record: str
    old: Event
    new: Event
    changes: list[FieldChange]

    @property
    def title(self) -> str:
        return f"{self.record}: {_label(self.old)} → {_label(self.new)}"


def record_log(store: Store, record_id: str, version: int | None = None) -> list[Event]:
    """Every change to a record (or to one version of it), newest first."""
    with History(store) as history:
        trail = Trail(store, history, record_id)
        return list(reversed(trail.of_version(version) if version else trail.events))


def field_blame(
    store: Store, record_id: str, field: str | None, identities: list[crypto.Identity]
) -> list[Blame]:
    """For each field (or one): the change that last set it and the approval after it."""
    with History(store) as history:
        return Trail(store, history, record_id, identities).blame(field)


def version_diff(
    store: Store,
    record_id: str,
    first: str | None,
    second: str | None,
    identities: list[crypto.Identity],
) -> VersionDiff:
    """Between two versions or commits (default: the previous version and the latest),
    list lines matched by their stable key."""
    with History(store) as history:
        trail = Trail(store, history, record_id, identities)
        old, new = _pick(trail, first, second)
        changes = record_diff(trail.schema, trail.data(old.blob), trail.data(new.blob))
    return VersionDiff(record_id, old, new, changes)


def _pick(trail: Trail, first: str | None, second: str | None) -> tuple[Event, Event]:
    events = trail.events
    newest = _find(trail, second) if second else events[-1]
    if first:
        return _find(trail, first), newest
    index = events.index(newest)
    version = newest.version
    earlier = [event for event in events[:index] if event.version != version] or events[:1]
    return (earlier[-1] if len(events) > 1 else newest), newest


def _find(trail: Trail, wanted: str) -> Event:
    """The event a version number or a commit names."""
    if wanted.isdigit():
        version = int(wanted)
        matching = [event for event in trail.events if event.version == version]
        if not matching:
            raise FormulaError(
                f"{trail.record_id} has no version {version}",
                f"see `formulactl log {trail.record_id}`",
                rule="usage",
            )
        return matching[-1]
    root = trail.store.root
    commit = gitio.resolve(root, wanted)
    before = [event for event in trail.events if gitio.is_ancestor(root, event.commit, commit)]
    if not before:
        raise FormulaError(
            f"{trail.record_id} did not exist at {wanted}",
            f"see `formulactl log {trail.record_id}`",
            rule="usage",
        )
    return before[-1]


def _label(event: Event) -> str:
    return f"v{event.version} ({event.commit[:10]})" if event.version else event.commit[:10]


def record_from_history(
    store: Store, record_id: str, version: int | None, at: str | None
) -> tuple[Record, str]:
    """The record exactly as approved as `version` (its bytes kept), or as it stood on the
    day `at`, with the signature line of the commit that approved or changed it."""
    with History(store) as history:
        trail = Trail(store, history, record_id)
        event = trail.approved(version) if version is not None else trail.at(str(at))
        raw = version_text(trail, event)
    record = store.parse(store.record_path(record_id), raw)
    text = raw.decode("utf-8")
    return Record(record.id, record.kind, record.path, record.data, text), event.signature.line()
