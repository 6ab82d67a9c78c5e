"""A supplier's standing, and the store rule that an approved material lists no supplier
disqualified by it.

The standing is the result of the supplier's latest evaluation (`evaluations[]`, by date),
or its `qualification` while it has none. `validate` and `report suppliers` both ask
`standing` here, so the report's findings and the rule's are the same list. The rule runs
on cached facts alone (a supplier's standing, a material's status and references), so a
warm `validate` reads no record again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from formulactl.errors import Problem

DISQUALIFIED = "disqualified"


@dataclass(frozen=True)
class Standing:
    """Where a supplier stands: `result` (approved, conditional, pending, disqualified) since
    `date`; `evaluated` is False when it comes from `qualification`, not an evaluation."""

    result: str | None
    date: str | None
    evaluated: bool


def evaluations(data: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The supplier's evaluations, oldest first (by date; the file's order breaks ties)."""
    found = data.get("evaluations")
    return sorted(
        (entry for entry in (found if isinstance(found, list) else []) if isinstance(entry, dict)),
        key=lambda entry: str(entry.get("date", "")),
    )


def standing(data: Mapping[str, Any]) -> Standing:
    """The latest evaluation's result, else the supplier's own qualification."""
    found = evaluations(data)
    if found:
        return Standing(_text(found[-1].get("result")), _text(found[-1].get("date")), True)
    return Standing(_text(data.get("qualification")), _text(data.get("last_evaluation")), False)


def supplier_facts(kind: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """What the rule needs from a supplier, small enough to cache: its standing."""
    if kind != "supplier":
        return {}
    found = standing(data)
    return {"standing": [found.result, found.date, found.evaluated]}


def disqualified_suppliers(
    facts: Mapping[str, Any], facts_of: Callable[[str, str], Mapping[str, Any] | None]
) -> Iterator[tuple[str, Problem]]:
    """(supplier, problem) for each supplier an approved material lists whose standing is
    disqualified; the problem is placed by the caller at the supplier in `suppliers`."""
    if facts.get("status") != "approved":
        return
    material = facts.get("id", "")
    for kind, supplier, _version in facts.get("refs", ()):
        if kind != "supplier":
            continue
        held = facts_of("supplier", supplier) or {}
        result, day, evaluated = (list(held.get("standing") or ()) + [None] * 3)[:3]
        if result != DISQUALIFIED:
            continue
        source = "its latest evaluation" if evaluated else "its qualification"
        yield (
            supplier,
            Problem(
                "/suppliers",
                "supplier-disqualified",
                f"supplier {supplier} was disqualified on {day or 'an undated evaluation'} "
                f"({source}) but approved material {material} still lists it",
                f"qualify another supplier and remove {supplier} from {material} in its next "
                f"version (`formulactl revise {material} --reason …`), or re-evaluate {supplier}",
            ),
        )


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None
