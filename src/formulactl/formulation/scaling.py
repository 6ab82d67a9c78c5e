"""The weighing sheet: each line's quantity for one batch.

Proportional lines scale with the weighed total, fixed lines keep their quantity at the
standard batch, every line is rounded to its material's weighing increment, and the balance
line takes exactly what the others leave, so the sheet adds up to the weighed total.
All weights are `Decimal` kg.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from formulactl.errors import FormulaError

HUNDRED = Decimal(100)
GRAM = Decimal("0.001")


class Line(NamedTuple):
    """An ingredient line as scaling needs it."""

    material: str
    percent: Decimal | None  # None only on a balance line that omits it
    phase: str = ""
    fixed: bool = False
    balance: bool = False
    increment_kg: Decimal | None = None  # the material's weighing increment


class Weighed(NamedTuple):
    line: Line
    percent: Decimal  # the line's share of the standard formula
    kg: Decimal


class Sheet(NamedTuple):
    product_kg: Decimal  # what remains after the loss
    loss_percent: Decimal
    weighed_kg: Decimal  # what goes into the vessel
    lines: tuple[Weighed, ...]

    @property
    def total_kg(self) -> Decimal:
        return sum((weighed.kg for weighed in self.lines), Decimal(0))


def weighed_total(product_kg: Decimal, loss_percent: Decimal, where: str) -> Decimal:
    """SIZE / (1 − L/100): what to weigh so that SIZE of product remains after the loss."""
    if product_kg <= 0:
        raise FormulaError(
            f"{where}: batch size {product_kg} kg is not above zero",
            "give the quantity of product to make",
            rule="bad-size",
        )
    if not Decimal(0) <= loss_percent < HUNDRED:
        raise FormulaError(
            f"{where}: loss {loss_percent} % is not between 0 and 100",
            "give the share of the batch lost in making, below 100",
            rule="bad-loss",
        )
    return product_kg / (1 - loss_percent / HUNDRED)


def balance_percent(lines: list[Line], where: str) -> list[Decimal]:
    """Each line's percent, the balance line's (if omitted) as what the others leave of 100."""
    balances = [index for index, line in enumerate(lines) if line.balance]
    if len(balances) > 1:
        raise FormulaError(
            f"{where}: two balance lines ({lines[balances[0]].material} and "
            f"{lines[balances[1]].material})",
            "keep `balance: true` on one line only",
            rule="balance-line",
        )
    others = sum((line.percent or Decimal(0) for line in lines if not line.balance), Decimal(0))
    percents = []
    for line in lines:
        if line.percent is None and not line.balance:
            raise FormulaError(
                f"{where}: the {line.material} line has no percent",
                "give it a percent; only the balance line may omit it",
                rule="ingredient-percent",
            )
        percents.append(line.percent if line.percent is not None else HUNDRED - others)
    return percents


ONE = Decimal(1)


def rounded(kg: Decimal, increment: Decimal | None) -> Decimal:
    """To the nearest weighing increment (1 g where the material names none), half up."""
    step = increment if increment and increment > 0 else GRAM
    return (kg / step).quantize(ONE, rounding=ROUND_HALF_UP) * step


def weighing_sheet(
    lines: list[Line],
    product_kg: Decimal,
    standard_kg: Decimal,
    loss_percent: Decimal,
    where: str,
) -> Sheet:
    """The sheet for `product_kg` of product; fixed lines keep percent × standard batch."""
    weighed, percents, kgs = weighed_kgs(lines, product_kg, standard_kg, loss_percent, where)
    return Sheet(product_kg, loss_percent, weighed, tuple(map(Weighed, lines, percents, kgs)))


def weighed_kgs(
    lines: list[Line],
    product_kg: Decimal,
    standard_kg: Decimal,
    loss_percent: Decimal,
    where: str,
    percents: list[Decimal] | None = None,
    known: tuple[list[Line], list[Decimal]] | None = None,
) -> tuple[Decimal, list[Decimal], list[Decimal]]:
    """The weighed total, each line's percent and kg: the arithmetic of `weighing_sheet`
    without the sheet (a substitution costs ten thousand formulas twice and needs only the
    kgs). `percents`: the lines' `balance_percent`, where the caller worked them out.
    `known`: the lines and kgs of another formula at the same product kg, standard kg and
    loss; a line here that is the very same `Line` there weighs what it weighed there (a
    substitution changes two lines of twenty), but for the balance line. (A line's kg
    depends on nothing else: `percents` are the lines' own but the balance line's.)"""
    weighed = rounded(weighed_total(product_kg, loss_percent, where), None)
    percents = balance_percent(lines, where) if percents is None else percents
    known_lines, known_kgs = known or ([], [])
    kgs: list[Decimal | None] = []
    for index, (line, percent) in enumerate(zip(lines, percents, strict=True)):
        if line.balance:
            kgs.append(None)
        elif index < len(known_lines) and known_lines[index] is line:
            kgs.append(known_kgs[index])
        else:
            base = standard_kg if line.fixed else weighed
            kgs.append(rounded(base * percent / HUNDRED, line.increment_kg))
    if any(line.balance for line in lines):
        rest = weighed - sum((kg for kg in kgs if kg is not None), Decimal(0))
        if rest < 0:
            raise FormulaError(
                f"{where}: at this size the other lines weigh {-rest} kg more than the batch, "
                "so the balance line would be negative",
                "make a larger batch, or lower the fixed lines",
                rule="negative-balance",
            )
        kgs = [rest if kg is None else kg for kg in kgs]
    return weighed, percents, [kg or Decimal(0) for kg in kgs]


def product_density(shares: list[tuple[str, Decimal, Decimal | None]], where: str) -> Decimal:
    """kg/L of the mixture from its materials' densities (volumes add): 1 / Σ(wᵢ / ρᵢ)."""
    volume = Decimal(0)
    for material, percent, density in shares:
        if percent == 0:
            continue
        if density is None:
            raise FormulaError(
                f"{where}: a size by volume needs the density of every material; "
                f"{material} has none",
                f"set `density` (kg/L) on {material}, or give the size in kg",
                rule="no-density",
            )
        volume += percent / HUNDRED / density
    return 1 / volume
