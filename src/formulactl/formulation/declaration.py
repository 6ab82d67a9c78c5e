"""The ingredient declaration: INCI (or chemical) names merged across materials, in
descending order of concentration, allergens above their label threshold named.

A material sold under one INCI name (a fragrance as Parfum, an essential oil) is declared by
that name; only its water joins Aqua and only its allergens above a threshold are named
apart. A material without its own INCI name is declared by its substances. Percentages are
`Decimal`, at the maximum of their ranges (the order a label must not understate).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from formulactl.formulation.substances import Declare, Part, parts_of

HUNDRED = Decimal(100)
WATER = "7732-18-5"
ANY_ORDER_BELOW = Decimal(1)  # EU and China: ingredients under 1 % may follow in any order


class Entry:
    """One line of the declaration (added to while the materials are read)."""

    __slots__ = ("inci", "materials", "name", "note", "percent")

    def __init__(self, inci: str, name: str) -> None:
        self.inci = inci
        self.name = name
        self.percent = Decimal(0)
        self.materials: list[str] = []
        self.note = ""

    def __repr__(self) -> str:
        return f"Entry({self.inci!r}, {self.percent}, {self.note!r})"


def _declared_as(
    material: Mapping[str, Any], part: Part, named: Mapping[str, Declare]
) -> tuple[str, str]:
    """(INCI, chemical name) under which one substance of a material is declared."""
    own_inci = material.get("inci")
    if not own_inci or not material.get("composition"):
        return part.inci, part.name
    if part.key == WATER:
        return part.inci, part.name
    if part.allergen and part.key in named:
        return part.inci, part.name
    return str(own_inci), str(material.get("name") or own_inci)


def declaration(
    shares: Iterable[tuple[str, Decimal]],
    materials: Mapping[str, Mapping[str, Any]],
    named: Mapping[str, Declare],
) -> list[Entry]:
    """Entries by INCI name, most concentrated first; `named` are allergens to declare."""
    entries: dict[str, Entry] = {}
    for material_id, percent in shares:
        for part in parts_of(material_id, materials[material_id]):
            inci, name = _declared_as(materials[material_id], part, named)
            entry = entries.setdefault(inci.casefold(), Entry(inci, name))
            entry.percent += percent * part.high / HUNDRED
            if material_id not in entry.materials:
                entry.materials.append(material_id)
            if part.key in named and inci == part.inci:
                declare = named[part.key]
                entry.note = f"allergen above {declare.threshold} % ({declare.limit})"
    ordered = sorted(entries.values(), key=lambda entry: (-entry.percent, entry.inci.casefold()))
    for entry in ordered:
        if entry.percent < ANY_ORDER_BELOW and not entry.note:
            entry.note = "below 1 %: any order"
    return ordered
