"""Consumption: the lot quantities a batch actually charged against the weighing sheet of
the exact approved version it names, scaled to the batch's size.

A material is off when its lots together differ from the planned kg by more than the
store's `consumption_tolerance_percent`; a planned material with no lot and a lot of a
material the formula does not use are off as well. Lots of an intermediate batch are not
materials of the sheet and are left out. Stores that set no tolerance are not checked.
Reading the planned quantities needs the formula, so this is a check for its readers.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from formulactl.crypto import crypto
from formulactl.errors import Finding, FormulaError
from formulactl.formulation.batches import planned_kg
from formulactl.formulation.formula import density_of
from formulactl.formulation.source import FormulaVersion, Reader, formula_version
from formulactl.formulation.units import decimal, plain, quantity_of, to_kg
from formulactl.store.store import Record, Store

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Deviation:
    """One material of one batch charged outside the tolerance, with the numbers."""

    batch: str
    formula: str  # F-…@V
    material: str
    lots: tuple[str, ...]
    planned_kg: Decimal
    actual_kg: Decimal
    tolerance: Decimal

    @property
    def message(self) -> str:
        lots = f"lots {', '.join(self.lots)}" if self.lots else "no lot"
        if self.planned_kg == 0:
            off = f"not in {self.formula}"
        else:
            percent = (self.actual_kg - self.planned_kg) / self.planned_kg * HUNDRED
            off = f"{'+' if percent > 0 else ''}{plain(round(percent, 2))} %"
        return (
            f"{self.batch} {self.material} ({lots}): actual {plain(self.actual_kg)} kg vs "
            f"planned {plain(self.planned_kg)} kg by {self.formula} ({off}), "
            f"beyond ±{plain(self.tolerance)} % (consumption_tolerance_percent)"
        )


def tolerance_of(store: Store) -> Decimal | None:
    value = store.settings.raw.get("consumption_tolerance_percent")
    return None if value is None else decimal(value, "consumption_tolerance_percent")


def deviations(
    reader: Reader,
    batch_id: str,
    batch: Mapping[str, Any],
    version: FormulaVersion,
    tolerance: Decimal,
) -> list[Deviation]:
    """The batch's materials off the sheet of `version` at the batch's size."""
    size = quantity_of(batch.get("size"), f"{batch_id} size")
    _sheet, planned = planned_kg(reader, version, size, f"{batch_id} size")
    actual: dict[str, Decimal] = {}
    lots: dict[str, list[str]] = {}
    for index, lot in enumerate(batch.get("lots") or []):
        material = lot.get("material") if isinstance(lot, dict) else None
        if not isinstance(material, str):
            continue  # an intermediate batch, traced but not on the sheet
        data = reader.load(material, must_open=False)
        kg = to_kg(
            quantity_of(lot, f"{batch_id} lots[{index}]"),
            density_of(material, data),
            f"{batch_id} lots[{index}]",
        )
        actual[material] = actual.get(material, Decimal(0)) + kg
        lots.setdefault(material, []).append(str(lot.get("lot")))
    found = []
    for material in sorted(set(planned) | set(actual)):
        want = planned.get(material, Decimal(0))
        got = actual.get(material, Decimal(0))
        if abs(got - want) > want * tolerance / HUNDRED or (want == 0 and got > 0):
            found.append(
                Deviation(
                    batch_id,
                    version.ref,
                    material,
                    tuple(lots.get(material, ())),
                    want,
                    got,
                    tolerance,
                )
            )
    return found


def batch_deviations(
    reader: Reader, record: Record, versions: dict[str, FormulaVersion] | None = None
) -> list[Deviation]:
    """One batch against its formula version (`versions`: approved versions read so far)."""
    tolerance = tolerance_of(reader.store)
    if tolerance is None:
        return []
    batch = reader.open(record)
    ref = str(batch.get("formula") or "")
    known = versions if versions is not None else {}
    if ref not in known:
        known[ref] = formula_version(reader.store, ref, False, reader)
    return deviations(reader, record.id, batch, known[ref], tolerance)


def store_consumption_findings(
    store: Store, identities: list[crypto.Identity], record_ids: list[str]
) -> tuple[list[Finding], list[str]]:
    """`validate --decrypt`: every batch's deviations as findings, and the batches whose
    formula (or quantities) this reader cannot open."""
    if tolerance_of(store) is None:
        return [], []
    reader = Reader(store, identities)
    versions: dict[str, FormulaVersion] = {}
    findings: list[Finding] = []
    unreadable: list[str] = []
    for record_id in record_ids:
        record = store.load(record_id)
        try:
            found = batch_deviations(reader, record, versions)
        except FormulaError as error:
            if error.finding.rule == "not-a-reader":
                unreadable.append(record_id)
            elif error.finding.rule not in ("not-approved", "no-version"):
                # a batch naming a version never approved is judged by `trace`/`release`
                findings.append(dataclasses.replace(error.finding, path=record.path))
            continue
        findings += [
            Finding(
                record.path,
                0,
                0,
                "/lots",
                "consumption",
                deviation.message,
                "check the weighing record; correct the lot quantities or explain it in notes",
            )
            for deviation in found
        ]
    return findings, unreadable
