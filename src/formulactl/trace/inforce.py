"""Which version of a formula was in force on a day, read from the signed approvals in
history (not from what the file said); `lives` reads them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from formulactl.model.signature import Signature
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
