"""Many records opened as drafts with their changes, in ONE signed commit.

A bulk proposal (`report classify --apply`; `substitute` does the same for formulas) would
otherwise write a revise commit and a change commit per record. Here an approved record is
revised in memory (next version, draft, as `revise` would), changed, checked like any
`set`, and every record lands in one commit trailed with the action, the records and the
reason. History accepts a revise that carries its draft's first change from someone with
the entry role, and that signer counts as an author, so approving the drafts still takes a
second person. All or nothing: a refusal raises before anything is written.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from formulactl.actions.commits import commit_files
from formulactl.actions.records import checked_change, refuse_uncommitted
from formulactl.actions.signing import actor
from formulactl.crypto.opening import Opened
from formulactl.errors import FormulaError, Refused
from formulactl.model.workflow import STEPS, record_ref, require_role
from formulactl.rules.check import check_unsaved
from formulactl.store.cache import BlobCache
from formulactl.store.store import Record, Store


def next_draft(store: Store, record: Record, action: str) -> Record:
    """The record as a draft to change: an approved one revised in memory (next version,
    no review date) by someone who may revise it; a draft as it is."""
    status = record.data.get("status")
    if status == "draft":
        return record
    if status != "approved":
        raise FormulaError(
            f"{record.id} is {status}", "reject it back to draft, or approve it first"
        )
    require_role(actor(store), STEPS["revise"].roles, record.kind, record.id, record.data, action)
    refuse_uncommitted(store, record)
    revised = dict(record.data, status="draft", version=int(record.data.get("version", 1)) + 1)
    revised.pop("review_due", None)
    return Record(record.id, record.kind, record.path, revised)


def drafted(
    store: Store,
    record: Record,
    data: Mapping[str, Any],
    action: str,
    cache: BlobCache,
    opened: Opened | None = None,
) -> Record:
    """`record`'s next draft with `data` as its content (workflow fields kept), checked
    and sealed as `set` would, not yet written; refused with every finding."""
    before = next_draft(store, record, action)
    content = dict(data, version=before.data["version"], status=before.data["status"])
    content.pop("review_due", None)
    after = Record(before.id, before.kind, before.path, content)
    checked = checked_change(store, before, after, action, cache, opened)
    findings = check_unsaved(store, checked.path, store.canonical(checked).encode("utf-8"), cache)
    if findings:
        raise Refused(f"{action} {record.id}", findings)
    return checked


def commit_drafts(store: Store, records: Sequence[Record], action: str, reason: str) -> str:
    """Write the checked drafts in one signed commit naming each record and the reason."""
    if not reason.strip():
        raise FormulaError(f"{action} needs a reason", 'add --reason "…"', rule="usage")
    writes = {record.path: store.canonical(record) for record in records}
    refs = [record_ref(record.data, record.id) for record in records]
    subject = f"{action} {len(refs)} record(s): {', '.join(refs)}"
    trailers = [
        ("Action", action),
        ("Record", ", ".join(refs)),
        ("Meaning", "authored"),
        ("Reason", reason),
    ]
    return commit_files(store, writes, subject, trailers)
