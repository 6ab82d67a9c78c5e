"""Cost of a batch and per kg of product from material unit costs, in the store's currency.

Money is `Decimal`; rates are the latest on or before the day (`exchange_rates` in
formulactl.yaml), and a missing cost or rate stops with the material it was needed for.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any, NamedTuple

from formulactl.errors import FormulaError
from formulactl.formulation.scaling import Sheet
from formulactl.formulation.units import MASS_KG, VOLUME_L, decimal
from formulactl.model.sealed import is_sealed

_WHAT_IF = re.compile(r"(?P<material>[A-Z][A-Z0-9]*-[A-Za-z0-9-]+)=(?P<change>[-+][0-9.]+)%")


def exchange_rate(
    rates: Sequence[Mapping[str, Any]], source: str, target: str, day: str
) -> Decimal:
    """`source` → `target` on `day`: the latest rate dated on or before it (or its inverse)."""
    if source == target:
        return Decimal(1)
    found: list[tuple[str, Decimal]] = []
    for entry in rates:
        when = str(entry.get("date"))
        if when > day:
            continue
        pair = (entry.get("from"), entry.get("to"))
        rate = decimal(entry.get("rate"), "exchange rate")
        if pair == (source, target):
            found.append((when, rate))
        elif pair == (target, source) and rate:
            found.append((when, 1 / rate))
    if not found:
        raise FormulaError(
            f"no exchange rate from {source} to {target} on or before {day}",
            f"add one to `exchange_rates` in formulactl.yaml ({source} → {target})",
            rule="no-rate",
        )
    return max(found, key=lambda pair: pair[0])[1]


def price_per_kg(
    material: str,
    data: Mapping[str, Any],
    currency: str,
    rates: Sequence[Mapping[str, Any]],
    day: str,
) -> Decimal:
    """The material's unit cost per kg in `currency`."""
    cost = data.get("unit_cost")
    if not isinstance(cost, dict) or "amount" not in cost:
        raise FormulaError(
            f"{material} has no unit_cost", f"set unit_cost on {material}", rule="no-cost"
        )
    if is_sealed(cost.get("amount")):
        raise FormulaError(
            f"the unit cost of {material} is sealed and you are not its reader",
            "pass --identity with a reader's key",
            rule="not-a-reader",
        )
    amount = decimal(cost["amount"], f"{material} unit_cost.amount")
    per = str(cost.get("per", "kg"))
    if per in MASS_KG:
        kg = MASS_KG[per]
    elif per in VOLUME_L and data.get("density") is not None:
        kg = VOLUME_L[per] * decimal(data["density"], f"{material} density")
    else:
        raise FormulaError(
            f"{material} unit_cost is per {per}, which cannot be turned into kg",
            "give it per kg, g or t (or per L with a density)",
            rule="unknown-unit",
        )
    return amount / kg * exchange_rate(rates, str(cost.get("currency")), currency, day)


def parse_what_if(texts: Sequence[str]) -> dict[str, Decimal]:
    """`M-00002=+8%` → {M-00002: 1.08}."""
    found = {}
    for text in texts:
        match = _WHAT_IF.fullmatch(text.replace(" ", ""))
        if not match:
            raise FormulaError(
                f"--what-if {text!r} is not MATERIAL=±N%",
                "write it like M-00002=+8% or M-00017=-5%",
                rule="usage",
            )
        found[match["material"]] = 1 + Decimal(match["change"]) / 100
    return found


class CostLine(NamedTuple):
    material: str
    kg: Decimal
    price: Decimal  # per kg, in the cost currency
    cost: Decimal
    share: Decimal  # of the batch cost, %


class Cost(NamedTuple):
    currency: str
    product_kg: Decimal
    weighed_kg: Decimal
    total: Decimal
    lines: tuple[CostLine, ...]  # most expensive first

    @property
    def per_kg(self) -> Decimal:
        return self.total / self.product_kg


def material_costs(
    weighed: Iterable[tuple[str, Decimal]], prices: Mapping[str, Decimal]
) -> tuple[dict[str, Decimal], dict[str, Decimal], Decimal]:
    """Each material's kg (lines of one material merged) and cost, and the batch cost, from
    each weighed line's (material, kg)."""
    merged: dict[str, Decimal] = {}
    for material, kg in weighed:
        merged[material] = merged.get(material, Decimal(0)) + kg
    costs = {material: kg * prices[material] for material, kg in merged.items()}
    return merged, costs, sum(costs.values(), Decimal(0))


def batch_cost(sheet: Sheet, prices: Mapping[str, Decimal], currency: str) -> Cost:
    """Every weighed line at its price; per kg of product, so the loss is paid for."""
    merged, costs, total = material_costs(((w.line.material, w.kg) for w in sheet.lines), prices)
    lines = tuple(
        sorted(
            (
                CostLine(
                    material,
                    merged[material],
                    prices[material],
                    cost,
                    cost / total * 100 if total else Decimal(0),
                )
                for material, cost in costs.items()
            ),
            key=lambda line: (-line.cost, line.material),
        )
    )
    return Cost(currency, sheet.product_kg, sheet.weighed_kg, total, lines)
