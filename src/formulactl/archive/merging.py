"""`merge C-A --into C-B`: one customer found to be a duplicate of another.

The duplicate keeps its file and its history; it gains `merged_into`, and every report
counts it (its orders, interactions, complaints) under the customer it was merged into
(`identity.canonical_ids`). Setting `merged_into` is a change of content like any other,
so the workflow rules hold: a draft changes in one signed commit; an approved customer is
first revised (approved → draft, version + 1, its own signed commit, as `revise` makes it)
and the merge then lands in that draft, which goes through review and approval again, so
four eyes see every merge of approved master data. A customer in review is sent back with
`reject` first; an archived one stays as it was.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from formulactl.actions.records import change
from formulactl.actions.steps import take_step
from formulactl.errors import FormulaError
from formulactl.git import gitio
from formulactl.store.cache import BlobCache
from formulactl.store.store import Record, Store


@dataclass(frozen=True)
class Merged:
    record: str
    into: str
    commits: tuple[str, ...]  # the revise commit (for an approved customer), then the merge
    version: int
    status: str


def merge_customer(
    store: Store, record_id: str, into: str, reason: str, today: date, cache: BlobCache
) -> Merged:
    """Set `merged_into` on `record_id` in a signed commit (after a revise commit when it
    was approved); all or nothing: a refusal undoes the revise too."""
    if not reason.strip():
        raise FormulaError("merge needs a reason", 'add --reason "…"', rule="usage")
    if record_id == into:
        raise FormulaError(
            f"cannot merge {record_id} into itself", "name the customer it duplicates", rule="usage"
        )
    duplicate, target = _customer(store, record_id), _customer(store, into)
    merged = target.data.get("merged_into")
    if isinstance(merged, str):
        raise FormulaError(
            f"{into} is itself merged into {merged}",
            f"merge into {merged} instead",
            target.path,
            rule="merged",
        )
    already = duplicate.data.get("merged_into")
    if isinstance(already, str):
        raise FormulaError(
            f"{record_id} is already merged into {already}",
            "nothing to do",
            duplicate.path,
            rule="merged",
        )
    status = duplicate.data.get("status")
    if status not in ("draft", "approved"):
        hint = (
            "reject it back to draft first"
            if status == "in_review"
            else "an archived customer stays as it was"
        )
        raise FormulaError(f"{record_id} is {status}", hint, duplicate.path, rule="not-draft")
    start = gitio.head(store.repo)
    commits: list[str] = []
    try:
        if status == "approved":
            commits.append(take_step(store, record_id, "revise", reason, today, cache).commit)
        before = store.load(record_id)
        data = dict(before.data, merged_into=into)
        after = Record(before.id, before.kind, before.path, data)
        done = change(store, before, after, "merge", cache, trailers=[("Reason", reason)])
        commits.append(done.commit)
    except BaseException:
        if commits and start is not None:
            gitio.undo_commits(store.repo, start, [duplicate.path])
        raise
    return Merged(
        record_id,
        into,
        tuple(commits),
        int(done.record.data.get("version", 1)),
        str(done.record.data.get("status")),
    )


def _customer(store: Store, record_id: str) -> Record:
    if store.kind_of(record_id) != "customer":
        raise FormulaError(
            f"{record_id} is not a customer ID",
            "customer IDs look like " + store.settings.id_formats["customer"].example(),
            rule="usage",
        )
    return store.load(record_id)
