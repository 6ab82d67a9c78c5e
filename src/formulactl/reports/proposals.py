"""`report classify --apply`: a report's proposals opened as customer drafts for review.

Nothing is approved here: each customer becomes a draft with the proposed class or type, so
four eyes still apply. An approved customer is first revised to its next version (a revise
commit changes no content), exactly as `revise` and `set` would do by hand; customers in
review or archived are left alone and named. All or nothing: a refusal undoes every commit
made so far."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date

from formulactl.actions.records import change
from formulactl.actions.steps import take_step
from formulactl.git import gitio
from formulactl.reports.classify import Proposal
from formulactl.store.cache import BlobCache
from formulactl.store.store import Record, Store


def apply_proposals(
    store: Store, proposals: Sequence[Proposal], reason: str, today: date, cache: BlobCache
) -> tuple[list[str], list[str], list[str]]:
    """(commits made, customers changed, customers left alone with why)."""
    wanted: dict[str, dict[str, str]] = defaultdict(dict)
    for proposal in proposals:
        wanted[proposal.customer][proposal.field] = proposal.proposed
    left = []
    ready = []
    for customer in wanted:
        status = store.load(customer).data.get("status")
        if status in ("in_review", "archived"):
            left.append(f"{customer} ({status})")
        else:
            ready.append(customer)
    start = gitio.head(store.repo)
    commits: list[str] = []
    try:
        for customer in ready:
            if store.load(customer).data.get("status") == "approved":
                commits.append(take_step(store, customer, "revise", reason, today, cache).commit)
            before = store.load(customer)
            after = Record(before.id, before.kind, before.path, {**before.data, **wanted[customer]})
            commits.append(change(store, before, after, "classify", cache).commit)
    except BaseException:
        if start is not None:
            gitio.undo_commits(store.repo, start, [store.record_path(c) for c in ready])
        raise
    return commits, ready, left
