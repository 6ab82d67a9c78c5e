"""`report demand`: the raw materials the forecast will need, month by month.

Each forecast series of a formula in kg is multiplied by the percentages of that formula's
latest approved version (opened for a reader of formulas: percentages are sealed) and
grossed up by its process loss, as `scale` weighs a batch: kg weighed = kg of product ×
percent / 100 / (1 − loss). Series that are not a formula, not in kg, or whose formula has
no approved version are listed with the reason instead of being guessed."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from formulactl.crypto import crypto
from formulactl.formulation.formula import ingredient_lines, loss_of, standard_shares
from formulactl.formulation.source import FormulaVersion, Reader, approved_blobs
from formulactl.git import gitio
from formulactl.model.sealed import ENVELOPE
from formulactl.reports.forecast import Forecast
from formulactl.store.store import Record, Store
from formulactl.trace.snapshot import Snapshot
from formulactl.trace.tables import Table, table


@dataclass(frozen=True)
class Need:
    material: str
    name: str
    kg: tuple[float, ...]  # per forecast month
    formulas: tuple[str, ...]


@dataclass(frozen=True)
class Demand:
    basis: dict[str, Any]
    months: tuple[str, ...]
    needs: tuple[Need, ...]
    used: tuple[tuple[str, str, tuple[float, ...]], ...]  # formula ref, loss %, product kg
    skipped: tuple[tuple[str, str, str], ...]  # customer, product, why
    opened_sealed: bool = False  # sealed percentages were opened: never keep this on disk

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.basis,
            "months": list(self.months),
            "materials": [
                {
                    "material": n.material,
                    "name": n.name,
                    "kg": dict(zip(self.months, (round(v, 3) for v in n.kg), strict=True)),
                    "formulas": list(n.formulas),
                }
                for n in self.needs
            ],
            "formulas": [
                {"formula": ref, "loss_percent": loss, "product_kg": [round(v, 1) for v in kg]}
                for ref, loss, kg in self.used
            ],
            "skipped": [{"customer": c, "product": p, "why": w} for c, p, w in self.skipped],
        }

    def tables(self) -> list[Table]:
        needs = table(
            "Raw material needed, kg per month (forecast × approved percentages, with loss)",
            ("material", "name", *self.months, "formulas"),
            [
                (n.material, n.name, *(f"{v:.1f}" for v in n.kg), ", ".join(n.formulas))
                for n in self.needs
            ],
        )
        used = table(
            "Product forecast, kg per month",
            ("formula", "loss %", *self.months),
            [(ref, loss, *(f"{v:.0f}" for v in kg)) for ref, loss, kg in self.used],
        )
        skipped = table("Not counted", ("customer", "product", "why"), list(self.skipped))
        return [needs, used, *([skipped] if self.skipped else [])]


def demand(
    store: Store, snapshot: Snapshot, predicted: Forecast, identities: list[crypto.Identity]
) -> Demand:
    """Material kg per forecast month; one line, exit 2, for a user who cannot read a formula."""
    reader = _Reader(store, identities)
    approvals = _Approvals(store, snapshot)
    versions: dict[str, FormulaVersion | str] = {}
    product_kg: dict[str, list[float]] = defaultdict(lambda: [0.0] * len(predicted.months))
    skipped = []
    for found in predicted.predictions:
        series = found.series
        if series.product not in snapshot.of("formula"):
            skipped.append((series.customer, series.product, "not a formula"))
            continue
        if series.unit != "kg":
            skipped.append((series.customer, series.product, f"ordered in {series.unit}, not kg"))
            continue
        if series.product not in versions:
            versions[series.product] = _approved(store, snapshot, series.product, reader, approvals)
        version = versions[series.product]
        if isinstance(version, str):
            skipped.append((series.customer, series.product, version))
            continue
        totals = product_kg[version.ref]
        for index, value in enumerate(found.values):
            totals[index] += value
    kg: dict[str, list[float]] = defaultdict(lambda: [0.0] * len(predicted.months))
    sources: dict[str, set[str]] = defaultdict(set)
    used = []
    for formula in sorted(versions):
        version = versions[formula]
        if isinstance(version, str) or version.ref not in product_kg:
            continue
        loss = loss_of(version, None)
        factor = 1 / (1 - float(loss) / 100)
        for material, percent in standard_shares(version, ingredient_lines(version, {})):
            share = float(percent / Decimal(100)) * factor
            for index, value in enumerate(product_kg[version.ref]):
                kg[material][index] += value * share
            sources[material].add(version.ref)
        used.append((version.ref, f"{loss:g}", tuple(product_kg[version.ref])))
    materials = snapshot.of("material")
    needs = tuple(
        Need(
            material,
            str(materials.get(material, {}).get("name", "")),
            tuple(values),
            tuple(sorted(sources[material])),
        )
        for material, values in sorted(kg.items(), key=lambda item: (-sum(item[1]), item[0]))
    )
    return Demand(
        predicted.basis, predicted.months, needs, tuple(used), tuple(skipped), reader.opened
    )


class _Reader(Reader):
    """A reader that notes whether it opened anything sealed: an answer made from opened
    percentages is one the caller must not remember on disk."""

    def __init__(self, store: Store, identities: list[crypto.Identity]) -> None:
        super().__init__(store, identities)
        self.opened = False

    def open(self, record: Record) -> dict[str, Any]:
        self.opened = self.opened or ENVELOPE in record.data
        return super().open(record)


def _approved(
    store: Store, snapshot: Snapshot, formula: str, reader: Reader, approvals: _Approvals
) -> FormulaVersion | str:
    """The latest approved version at the snapshot's commit, opened; why not when none.

    A formula approved at that commit holds its approved text (approved content changes only
    through `revise`), so history is read only for one whose next version is being drafted."""
    data = snapshot.get("formula", formula)
    if data is None:
        return "not in the store at this commit"
    if data.get("status") == "approved":
        record = Record(formula, "formula", store.record_path(formula), data)
        version = int(data.get("version", 1))
        return FormulaVersion(formula, version, "approved", reader.open(record))
    if int(data.get("version", 1)) == 1:
        return "no approved version"  # a first version not approved yet has none before it
    raw = approvals.text(formula)
    if raw is None:
        return "no approved version"
    record = store.parse(store.record_path(formula), raw)
    version = int(record.data.get("version", 1))
    return FormulaVersion(formula, version, "approved", reader.open(record))


@dataclass
class _Approvals:
    """The latest approved text of every formula not approved at the snapshot's commit, from
    one walk of the formulas' history and one `git cat-file`, made only when a formula in
    draft needs it (a history per formula cost seconds at a few hundred formulas)."""

    store: Store
    snapshot: Snapshot
    _texts: dict[str, bytes] | None = field(default=None, init=False)

    def text(self, formula: str) -> bytes | None:
        if self._texts is None:
            formulas = self.snapshot.of("formula")
            wanted = {
                record_id: blob
                for record_id, blob in approved_blobs(self.store).items()
                if formulas.get(record_id, {}).get("status") != "approved"
            }
            with gitio.CatFile(self.store.repo) as objects:
                found = objects.read_many(list(wanted.values()))
            self._texts = {
                record_id: data
                for record_id, data in zip(wanted, found, strict=True)
                if data is not None
            }
        return self._texts.get(formula)
