"""`report classify --apply`: a report's proposals opened as customer drafts for review.

Nothing is approved here: each customer becomes a draft with the proposed class or type, so
four eyes still apply. Every customer changes in ONE signed commit: an approved customer is
revised to its next version and changed in that same commit (`actions.drafts`, as
`substitute` does for formulas); customers in review or archived are left alone and named.
All or nothing: a refusal writes nothing."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from formulactl.actions.drafts import commit_drafts, drafted
from formulactl.reports.classify import Proposal
from formulactl.store.cache import BlobCache
from formulactl.store.store import Store


def apply_proposals(
    store: Store, proposals: Sequence[Proposal], reason: str, cache: BlobCache
) -> tuple[str, list[str], list[str]]:
    """(the commit made, customers changed, customers left alone with why)."""
    wanted: dict[str, dict[str, str]] = defaultdict(dict)
    for proposal in proposals:
        wanted[proposal.customer][proposal.field] = proposal.proposed
    left = []
    drafts = []
    for customer, fields in wanted.items():
        record = store.load(customer)
        status = record.data.get("status")
        if status in ("in_review", "archived"):
            left.append(f"{customer} ({status})")
        else:
            drafts.append(drafted(store, record, {**record.data, **fields}, "classify", cache))
    commit = commit_drafts(store, drafts, "classify", reason) if drafts else ""
    return commit, [record.id for record in drafts], left
