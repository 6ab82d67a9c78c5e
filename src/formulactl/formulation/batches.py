"""A new batch record planned from the weighing sheet of an exact approved version; the
operator then fills in the lots and the quantities actually charged."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from formulactl.formulation.formula import (
    ingredient_lines,
    load_materials,
    loss_of,
    size_kg,
    standard_kg,
)
from formulactl.formulation.scaling import Sheet, weighing_sheet
from formulactl.formulation.source import FormulaVersion, Reader, formula_version
from formulactl.formulation.units import Quantity, parse_size, plain

LOT_TO_FILL = "TO-FILL"  # the operator writes the real lot number here


def planned_kg(
    reader: Reader, version: FormulaVersion, size: Quantity, what: str
) -> tuple[Sheet, dict[str, Decimal]]:
    """The weighing sheet of one batch size and the kg of each material on it (two lines of
    one material add up): what a batch of that size should consume."""
    materials = load_materials(reader, version)
    product = size_kg(version, materials, size, what)
    lines = ingredient_lines(version, materials)
    sheet = weighing_sheet(
        lines, product, standard_kg(version, materials), loss_of(version, None), version.ref
    )
    planned: dict[str, Decimal] = {}
    for weighed in sheet.lines:
        planned[weighed.line.material] = planned.get(weighed.line.material, Decimal(0)) + weighed.kg
    return sheet, planned


def planned_batch(reader: Reader, ref: str, size_text: str, today: date) -> dict[str, Any]:
    """The batch's fields: formula@version, size, and one planned line per material."""
    version = formula_version(reader.store, ref, False, reader)
    size = parse_size(size_text)
    sheet, planned = planned_kg(reader, version, size, "--size")
    batch: dict[str, Any] = {
        "formula": version.ref,
        "date": today.isoformat(),
        "size": {"quantity": float(size.amount), "unit": size.unit},
        "lots": [
            {"material": material, "lot": LOT_TO_FILL, "quantity": float(kg), "unit": "kg"}
            for material, kg in planned.items()
        ],
        "disposition": "quarantine",
        "notes": (
            f"planned by `formulactl scale {version.ref} --size {size_text}` "
            f"({plain(sheet.weighed_kg)} kg weighed); fill in lots and actual quantities"
        ),
    }
    if version.data.get("customer"):
        batch["customer"] = version.data["customer"]
    return batch
