"""Which version of a formula was in force on a day, and the exact approved text of a
version, both read from the signed approvals in history (not from what the file said)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from formulactl.audit.history import History, is_approval
from formulactl.audit.trail import Signature, signature_of
from formulactl.errors import FormulaError
from formulactl.model.kinds import KINDS, RECORDS_DIR
from formulactl.store import yamlio
from formulactl.trace.snapshot import Snapshot


@dataclass(frozen=True)
class Approval:
    """A commit in which a formula version became approved."""

    formula: str
    version: int
    commit: str
    day: str
    signature: Signature
    blob: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "formula": f"{self.formula}@{self.version}",
            "commit": self.commit,
            "day": self.day,
            "approved_by": self.signature.person,
            "name": self.signature.name,
            "signature": self.signature.verdict,
            "when": self.signature.when,
        }


@dataclass(frozen=True)
class Lifecycle:
    """A formula's approvals and withdrawals (archive), oldest first, up to one commit."""

    formula: str
    approvals: tuple[Approval, ...]
    archived: tuple[tuple[str, str], ...]  # (day, commit)

    def approval_of(self, version: int) -> Approval | None:
        found = [item for item in self.approvals if item.version == version]
        return found[-1] if found else None


def formula_path(formula_id: str) -> str:
    return f"{RECORDS_DIR}/{KINDS['formula'].folder}/{formula_id}.yaml"


def lifecycle(history: History, formula_id: str, tip: str) -> Lifecycle:
    path = formula_path(formula_id)
    return lifecycles(history, (path,), tip).get(formula_id, Lifecycle(formula_id, (), ()))


def lifecycles(history: History, paths: tuple[str, ...], tip: str) -> dict[str, Lifecycle]:
    """The lifecycle of every formula under `paths` (one file, or the whole folder), read
    in one walk of history."""
    folder = f"{RECORDS_DIR}/{KINDS['formula'].folder}/"
    approvals: dict[str, list[Approval]] = {}
    archived: dict[str, list[tuple[str, str]]] = {}
    signatures: dict[str, Signature] = {}  # an import approves many formulas in one commit
    for commit in history.commits([tip], paths):
        for change in commit.changes:
            path = change.path
            wanted = path in paths or folder.rstrip("/") in paths
            if not (wanted and path.startswith(folder) and path.endswith(".yaml")):
                continue
            formula_id = path[len(folder) : -len(".yaml")]
            before, after = history.state(path, change.old), history.state(path, change.new)
            if after is not None and change.new and is_approval(before, after):
                version = after.version or 1
                if commit.id not in signatures:
                    signatures[commit.id] = signature_of(history, commit)
                signature = signatures[commit.id]
                approvals.setdefault(formula_id, []).append(
                    Approval(formula_id, version, commit.id, commit.day, signature, change.new)
                )
            became = before is None or before.status != "archived"
            if after is not None and after.status == "archived" and became:
                archived.setdefault(formula_id, []).append((commit.day, commit.id))
    return {
        formula_id: Lifecycle(
            formula_id,
            tuple(approvals.get(formula_id, ())),
            tuple(archived.get(formula_id, ())),
        )
        for formula_id in set(approvals) | set(archived)
    }


def approved_content(history: History, approval: Approval) -> dict[str, Any]:
    """The formula exactly as its approval commit holds it."""
    raw = history.blob(approval.blob)
    path = formula_path(approval.formula)
    try:
        return yamlio.load_record(raw, path, len(raw) + 1)
    except FormulaError:
        return {}


@dataclass(frozen=True)
class InForce:
    formula: str
    day: str
    approval: Approval | None
    why: str  # why nothing is in force, or which later approval stays in the future
    batches: tuple[str, ...]
    later: tuple[Approval, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "formula": self.formula,
            "on": self.day,
            "in_force": self.approval.as_dict() if self.approval else None,
            "why": self.why,
            "batches": list(self.batches),
            "later_approvals": [item.as_dict() for item in self.later],
        }


def in_force(life: Lifecycle, snapshot: Snapshot, day: str) -> InForce:
    """The latest approval on or before `day`, unless the formula was archived or replaced
    by another approved formula since then (and by the day)."""
    before = [item for item in life.approvals if item.day <= day]
    later = tuple(item for item in life.approvals if item.day > day)
    if not before:
        return InForce(life.formula, day, None, "no version was approved yet", (), later)
    current = before[-1]
    withdrawn = [found for found in life.archived if current.day <= found[0] <= day]
    if withdrawn:
        why = f"archived on {withdrawn[-1][0]} in {withdrawn[-1][1][:10]}"
        return InForce(life.formula, day, None, why, (), later)
    replaced = _replaced_by(snapshot, life.formula)
    why = f"{replaced} names {life.formula} as superseded" if replaced else ""
    ref = f"{life.formula}@{current.version}"
    batches = tuple(
        sorted(
            batch_id
            for batch_id, data in snapshot.of("batch").items()
            if data.get("formula") == ref
        )
    )
    return InForce(life.formula, day, current, why, batches, later)


def _replaced_by(snapshot: Snapshot, formula_id: str) -> str:
    found = [
        other
        for other, data in snapshot.of("formula").items()
        if data.get("supersedes") == formula_id and data.get("status") == "approved"
    ]
    return ", ".join(sorted(found))
