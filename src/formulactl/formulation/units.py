"""Quantities and their units (kg, g, t by mass; L, mL by volume through a density).

Arithmetic is in `Decimal` so that weights add up exactly to the gram a user sees.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple

from formulactl.errors import FormulaError

MASS_KG = {"g": Decimal("0.001"), "kg": Decimal(1), "t": Decimal(1000)}
VOLUME_L = {"mL": Decimal("0.001"), "L": Decimal(1)}
_SIZE = re.compile(r"\s*(-?[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*([A-Za-z]+)\s*")


class Quantity(NamedTuple):
    amount: Decimal
    unit: str

    def __str__(self) -> str:
        return f"{plain(self.amount)} {self.unit}"


def plain(number: Decimal) -> str:
    """A decimal without exponent or trailing zeros: 500, 0.0015, 12.5."""
    text = format(number.normalize(), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def decimal(value: Any, what: str) -> Decimal:
    """A number from YAML or the command line as an exact decimal (floats via their repr)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        raise FormulaError(f"{what} is not a number", "write a number", rule="not-a-number")
    try:
        found = Decimal(str(value))
    except InvalidOperation:
        raise FormulaError(f"{what} `{value}` is not a number", "write a number") from None
    if not found.is_finite():
        raise FormulaError(f"{what} `{value}` is not a number", "write a number")
    return found


def parse_size(text: str) -> Quantity:
    """`500kg`, `0.5 t`, `200L` → a positive quantity in a known unit."""
    found = _SIZE.fullmatch(text)
    if not found:
        raise FormulaError(
            f"--size {text!r} is not a quantity",
            "write a number and a unit, such as 500kg, 250g, 2t or 200L",
            rule="usage",
        )
    unit = _unit(found.group(2), "--size")
    amount = Decimal(found.group(1))
    if amount <= 0:
        raise FormulaError(
            f"--size {text} is not above zero", "give the batch size to make", rule="usage"
        )
    return Quantity(amount, unit)


def quantity_of(value: Any, what: str) -> Quantity:
    """A `{quantity, unit}` mapping from a record."""
    if not isinstance(value, dict):
        raise FormulaError(f"{what} is missing", "give {quantity, unit}", rule="quantity")
    amount = decimal(value.get("quantity"), f"{what}.quantity")
    if amount <= 0:
        raise FormulaError(f"{what}.quantity is not above zero", "give a positive quantity")
    return Quantity(amount, _unit(value.get("unit"), f"{what}.unit"))


def _unit(name: Any, what: str) -> str:
    for known in (*MASS_KG, *VOLUME_L):
        if isinstance(name, str) and name.lower() == known.lower():
            return known
    raise FormulaError(
        f"{what}: unknown unit {name!r}", "use one of g, kg, t, mL, L", rule="unknown-unit"
    )


def to_kg(quantity: Quantity, density: Decimal | None, what: str) -> Decimal:
    """Mass in kg; a volume needs the density (kg/L) of what is measured."""
    if quantity.unit in MASS_KG:
        return quantity.amount * MASS_KG[quantity.unit]
    if density is None:
        raise FormulaError(
            f"{what}: {quantity} is a volume but no density is known",
            "give the size in kg, or set `density` (kg/L)",
            rule="no-density",
        )
    return quantity.amount * VOLUME_L[quantity.unit] * density
