"""The audit trail, read from git history: a record's changes and who signed them, field
blame, the exact approved text of any version, and the whole-history verification that an
inspector asks for."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from . import crypto, gitio, yamlio
from .diffing import FieldChange, covers, leaves, record_diff
from .errors import Finding, FormulaError
from .history import Commit, History, is_approval, is_rekey, record_id_of
from .kinds import RECORDS_DIR
from .schema import KindSchema
from .sealed import ENVELOPE
from .sealing import data_key, open_secrets
from .store import Store
from .verify import HistoryReport, verify_history

ANCHOR_REF = "refs/formulactl/verified"


@dataclass(frozen=True)
class Signature:
    """A signature as 21 CFR 11.50 asks to show it: printed name, date and time, meaning."""

    person: str  # team member ID, or the unknown key, or "unsigned"
    name: str  # printed name from the team file of the commit's parent
    verdict: str  # good, unsigned, bad, unknown-key
    when: str  # ISO 8601 with the signer's time zone: what the committer's clock said
    meaning: str
    received: str = ""  # when the server received the commit, by its signed receipt

    def line(self) -> str:
        who = f"{self.name} ({self.person})" if self.name else self.person
        received = f" (received {self.received})" if self.received else ""
        return (
            f"{who}, {self.when}{received}, {self.meaning or 'no stated meaning'} [{self.verdict}]"
        )


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

    def as_dict(self) -> dict[str, Any]:
        return {
            "commit": self.commit,
            "date": self.signature.when,
            "person": self.signature.person,
            "name": self.signature.name,
            "signature": self.signature.verdict,
            "received": self.signature.received,
            "action": self.action,
            "meaning": self.signature.meaning,
            "reason": self.reason,
            "version": self.version,
            "status": self.status,
            "changes": [change.as_dict() for change in self.changes],
        }


def signature_of(history: History, commit: Commit) -> Signature:
    when = datetime.fromtimestamp(commit.timestamp, _zone(commit.offset)).isoformat()
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
            except FormulaError:
                pass  # not a reader of this version: its secrets stay hidden
        return data

    def approved(self, version: int) -> Event:
        """The commit that approved `version` (the last, if it was approved again)."""
        found = [event for event in self.events if event.approval and event.version == version]
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

    def as_dict(self) -> dict[str, Any]:
        approval = self.approval
        return {
            "field": self.field,
            "commit": self.changed.commit,
            "person": self.changed.signature.person,
            "name": self.changed.signature.name,
            "date": self.changed.signature.when,
            "version": self.changed.version,
            "action": self.changed.action,
            "approved_by": approval.signature.person if approval else None,
            "approved_in": approval.commit if approval else None,
            "approved_on": approval.signature.when if approval else None,
        }


def version_text(trail: Trail, event: Event) -> bytes:
    """The exact bytes of the record in that commit."""
    return trail.history.blob(event.blob) if event.blob else b""


# ---------------------------------------------------------------------------- audit verify


@dataclass
class AuditReport:
    history: HistoryReport
    findings: list[Finding] = field(default_factory=list)
    summary: dict[str, int] = field(default_factory=dict)
    anchored: str = ""


def audit(store: Store) -> AuditReport:
    """The history rules, plus: the history still contains every head verified before, each
    record was created in a commit, and the working tree holds no change to approved records."""
    report = AuditReport(verify_history(store))
    report.findings = list(report.history.findings)
    head = gitio.head(store.root)
    if head is None:
        return report
    report.findings += _anchor_findings(store, head)
    report.findings += _uncommitted_approved(store)
    report.findings += _receipt_findings(store)
    counts = Counter(finding.rule for finding in report.findings)
    records = [
        path for path in gitio.list_blobs(store.root, RECORDS_DIR) or {} if record_id_of(path)
    ]
    report.summary = {
        "commits checked": report.history.commits,
        "signed commits": report.history.signed,
        "records": len(records),
        "findings": len(report.findings),
        **{f"  {rule}": count for rule, count in sorted(counts.items())},
    }
    return report


def anchor(store: Store, head: str) -> str:
    """Add `head` to the signed list of verified heads (refs/formulactl/verified)."""
    previous = gitio.read_ref(store.root, ANCHOR_REF)
    heads = _anchored_heads(store, previous)
    if heads and heads[-1] == head:
        return previous or ""
    text = "".join(f"{line}\n" for line in [*heads, head])
    commit = gitio.commit_file(
        store.root, "heads", text, f"verified {head}", [previous] if previous else [], sign=True
    )
    gitio.update_ref(store.root, ANCHOR_REF, commit, previous)
    return commit


def _anchor_findings(store: Store, head: str) -> list[Finding]:
    tip = gitio.read_ref(store.root, ANCHOR_REF)
    if tip is None:
        return []
    heads = _anchored_heads(store, tip)
    found = []
    with History(store) as history:
        logged = next(iter(gitio.log(store.root, [tip], ("heads",), limit=1)), None)
        commit = history.commit(logged) if logged else None
        signer = history.signer(commit) if commit else None
        team = store.team.signer(commit.verdict.key) if commit else None
    if commit is None or (signer is None and team is None):
        found.append(
            Finding(
                "",
                0,
                0,
                "",
                "anchor-unsigned",
                "the list of verified heads is not signed by a team member",
                f"inspect {ANCHOR_REF}; it may have been tampered with",
            )
        )
    if heads and not gitio.is_ancestor(store.root, heads[-1], head):
        found.append(
            Finding(
                "",
                0,
                0,
                "",
                "history-rewritten",
                f"head {heads[-1][:10]}, verified before, is no longer in the "
                "history of HEAD: commits were dropped or rewritten (force-push?)",
                "compare with the server and with backups before trusting this history",
                commit=heads[-1],
            )
        )
    return found


def _receipt_findings(store: Store) -> list[Finding]:
    """A commit's own date against the time the server received it: a clock set back or
    forward to make a record look older or newer shows here."""
    limit = store.settings.max_skew_hours * 3600
    found = []
    with History(store) as history:
        receipts = history.receipts
        if not receipts:
            return []
        for commit in history.commits(["HEAD"]):
            receipt = receipts.get(commit.id)
            if receipt is None:
                continue
            if not receipt.valid:
                found.append(
                    Finding(
                        "",
                        0,
                        0,
                        "",
                        "receipt-unverified",
                        f"the receive-time note of {commit.id[:10]} is not signed "
                        "by the store's receipts key",
                        "check receipts.key in formulactl.yaml and the server's key",
                        commit=commit.id,
                    )
                )
                continue
            received = datetime.fromisoformat(receipt.time).timestamp()
            if abs(received - commit.timestamp) > limit:
                claimed = datetime.fromtimestamp(commit.timestamp, _zone(commit.offset))
                found.append(
                    Finding(
                        "",
                        0,
                        0,
                        "",
                        "claimed-date",
                        f"commit {commit.id[:10]} claims {claimed.isoformat()} but "
                        f"the server received it at {receipt.time}",
                        "ask who made it why their clock was off",
                        commit=commit.id,
                    )
                )
    return found


def _anchored_heads(store: Store, tip: str | None) -> list[str]:
    if tip is None:
        return []
    found = gitio.file_at(store.root, tip, "heads")
    return found.decode().split() if found else []


def _uncommitted_approved(store: Store) -> list[Finding]:
    found = []
    for path in gitio.dirty(store.root, [RECORDS_DIR]):
        place = record_id_of(path)
        if place is None:
            continue
        committed = gitio.file_at(store.root, "HEAD", path)
        try:
            data = yamlio.load_record(committed or b"", path, 1 << 24)
        except FormulaError:
            continue
        if data.get("status") == "approved":
            found.append(
                Finding(
                    path,
                    0,
                    0,
                    "",
                    "approved-uncommitted",
                    f"approved {place[1]} has changes that are not committed",
                    "discard them, or revise the record first",
                )
            )
    return found


# ---------------------------------------------------------------------------- export


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


def _zone(offset: str) -> timezone:
    sign = -1 if offset.startswith("-") else 1
    return timezone(sign * timedelta(hours=int(offset[1:3]), minutes=int(offset[3:5])))
