"""Which commits may change an approved customer in place: an admin's `reassign`, when
the owner is the only thing it changed.

An approved version never changes; a salesperson leaving must not send every customer
they owned back through review, though, so history accepts a commit trailed
`Formulactl-Action: reassign`, signed by an admin, that changes only `owner` of customers
(status, version, review date, every other field and every sealed value as they were).
"""

from __future__ import annotations

from formulactl.audit.history import Commit, History, RecordState
from formulactl.errors import FormulaError
from formulactl.git import gitio
from formulactl.model.team import Person
from formulactl.store import yamlio


def is_reassign(
    history: History,
    commit: Commit,
    signer: Person | None,
    change: gitio.Change,
    before: RecordState | None,
    after: RecordState | None,
) -> bool:
    """An admin's reassign commit that changed nothing but this customer's owner."""
    if (
        commit.trailers.get("Action") != "reassign"
        or signer is None
        or not signer.is_admin
        or before is None
        or after is None
        or before.kind != "customer"
        or before.status == "archived"
        or (before.status, before.version, before.review_due)
        != (after.status, after.version, after.review_due)
        or change.old is None
        or change.new is None
    ):
        return False
    try:
        old = yamlio.load_record(history.blob(change.old), change.path, 1 << 24)
        new = yamlio.load_record(history.blob(change.new), change.path, 1 << 24)
    except FormulaError:
        return False
    old.pop("owner", None)
    new.pop("owner", None)
    return old == new
