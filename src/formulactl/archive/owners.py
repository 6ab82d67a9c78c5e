"""`reassign --from P --to Q`: a salesperson leaves, their customers do not.

Every customer owned by P (optionally only those matching `--where`) gets owner Q in ONE
commit signed by an admin and trailed `Formulactl-Action: reassign`. The owner is the only
field that changes, so an approved customer keeps its version and approval: history
(`audit/reassigning.py`) accepts such a commit only from an admin and only when nothing but
`owner` changed. Archived customers stay as they were.
"""

from __future__ import annotations

from dataclasses import dataclass

from formulactl.actions.commits import commit_written, written
from formulactl.actions.signing import actor
from formulactl.errors import FormulaError, Refused
from formulactl.rules.check import check_unsaved
from formulactl.store.cache import BlobCache
from formulactl.store.query import Condition, select_records
from formulactl.store.store import Record, Store


@dataclass(frozen=True)
class Reassigned:
    records: tuple[str, ...]
    commit: str
    skipped: tuple[str, ...]  # archived customers of P, left as they were


def reassign_owner(
    store: Store,
    old: str,
    new: str,
    where: list[Condition],
    reason: str,
    cache: BlobCache,
) -> Reassigned:
    """Move P's customers to Q in one admin-signed commit, or refuse and write nothing."""
    person = actor(store)
    if person is None or not person.is_admin:
        raise FormulaError(
            "only an admin reassigns customers", "ask an admin to run it", rule="not-allowed"
        )
    if not reason.strip():
        raise FormulaError("reassign needs a reason", 'add --reason "…"', rule="usage")
    if old == new:
        raise FormulaError(f"--from and --to are both {old}", "name two people", rule="usage")
    taker = store.team.people.get(new)
    if taker is None:
        raise FormulaError(
            f"{new} is not in the team",
            "name a current team member (`formulactl team list`)",
            rule="usage",
        )
    if not (taker.is_admin or taker.may("entry", "customer", None)):
        raise FormulaError(
            f"{new} may not look after customers",
            "name someone with the entry role for customers",
            rule="usage",
        )
    chosen = select_records(store, "customer", where, cache).records
    owned = [record for record in chosen if record.data.get("owner") == old]
    moving = [record for record in owned if record.data.get("status") != "archived"]
    skipped = tuple(record.id for record in owned if record not in moving)
    if not moving:
        raise FormulaError(
            f"{old} owns no customer to reassign" + (" that matches --where" if where else ""),
            "check the ID with `formulactl list customer --where owner=…`",
            rule="usage",
        )
    texts: dict[str, str] = {}
    for record in moving:
        after = Record(record.id, record.kind, record.path, dict(record.data, owner=new))
        text = store.canonical(after)
        findings = check_unsaved(store, record.path, text.encode("utf-8"), cache)
        if findings:
            raise Refused(f"reassign {record.id}", findings)
        texts[record.path] = text
    subject = f"reassign {len(moving)} customer(s) from {old} to {new}"
    trailers = [("Action", "reassign"), ("Meaning", "authored"), ("Reason", reason)]
    with written(store, texts, subject):
        commit = commit_written(store, texts, subject, trailers)
    return Reassigned(tuple(record.id for record in moving), commit, skipped)
