"""A batch's QC judged by the specification of the exact formula version it names, as
that version's approval commit holds it (not the formula's latest version)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from formulactl.errors import FormulaError
from formulactl.model.settings import split_ref
from formulactl.rules.quality import Gate, Verdict, gate, typed_pass_problems, verdicts
from formulactl.trace.inforce import Approval, Lifecycle
from formulactl.trace.snapshot import Snapshot


@dataclass(frozen=True)
class BatchQuality:
    batch: str
    formula: str  # F-…@V as the batch names it
    approval: Approval | None
    verdicts: tuple[Verdict, ...]
    gate: Gate
    problems: tuple[str, ...]  # a typed pass the specification contradicts

    def as_dict(self) -> dict[str, Any]:
        return {
            "batch": self.batch,
            "formula": self.formula,
            "specification_from": self.approval.commit if self.approval else None,
            "results": [
                {
                    "property": v.name,
                    "result": v.result,
                    "verdict": v.verdict,
                    "why": v.why,
                }
                for v in self.verdicts
            ],
            "missing_required": list(self.gate.missing),
            "problems": list(self.problems),
        }


def batch_quality(
    snapshot: Snapshot,
    batch_id: str,
    lifecycle: Callable[[str], Lifecycle],
    content: Callable[[Approval], dict[str, Any]],
) -> BatchQuality:
    """Refused when the batch names a version that was never approved; `lifecycle` gives
    a formula's approvals, `content` an approved version's text."""
    data = snapshot.get("batch", batch_id) or {}
    ref = str(data.get("formula", ""))
    formula_id, version = split_ref(ref)
    if version is None:
        raise FormulaError(
            f"{batch_id} names {ref} without a version", "name F-…@V", rule="bad-ref"
        )
    approval = lifecycle(formula_id).approval_of(version)
    if approval is None:
        raise FormulaError(
            f"{batch_id} names {ref}, which was never approved",
            f"see `formulactl log {formula_id}`",
            rule="not-approved",
        )
    specs = content(approval).get("specifications")
    qc = data.get("qc")
    problems = tuple(problem.message for problem in typed_pass_problems(specs, qc, ref))
    return BatchQuality(
        batch_id, ref, approval, tuple(verdicts(specs, qc)), gate(specs, qc), problems
    )
