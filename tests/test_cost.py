"""Cost roll-up: dated exchange rates, prices per kg, loss paid for, what-if changes."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from formulactl.errors import FormulaError
from formulactl.formulation.costing import (
    batch_cost,
    exchange_rate,
    parse_what_if,
    price_per_kg,
)
from formulactl.formulation.scaling import Line, weighing_sheet

RATES = [
    {"date": "2026-01-02", "from": "USD", "to": "CNY", "rate": 7.0288},
    {"date": "2026-04-01", "from": "USD", "to": "CNY", "rate": 7.0412},
    {"date": "2026-04-01", "from": "CNY", "to": "EUR", "rate": 0.125},
]


def test_the_latest_rate_on_or_before_the_day_applies() -> None:
    assert exchange_rate(RATES, "USD", "CNY", "2026-03-31") == D("7.0288")
    assert exchange_rate(RATES, "USD", "CNY", "2026-04-01") == D("7.0412")
    assert exchange_rate(RATES, "CNY", "CNY", "2020-01-01") == D(1)


def test_a_rate_given_the_other_way_is_inverted() -> None:
    assert exchange_rate(RATES, "EUR", "CNY", "2026-06-30") == D(8)


def test_a_missing_rate_names_the_currencies() -> None:
    with pytest.raises(FormulaError, match="no exchange rate from USD to CNY on or before 2025"):
        exchange_rate(RATES, "USD", "CNY", "2025-12-31")


def test_prices_are_converted_per_kg() -> None:
    usd = {"unit_cost": {"amount": 15.0, "currency": "USD", "per": "kg"}}
    assert price_per_kg("M-1", usd, "CNY", RATES, "2026-05-01") == D("105.6180")
    per_tonne = {"unit_cost": {"amount": 3200, "currency": "CNY", "per": "t"}}
    assert price_per_kg("M-2", per_tonne, "CNY", RATES, "2026-05-01") == D("3.2")
    per_litre = {"density": 0.8, "unit_cost": {"amount": 8, "currency": "CNY", "per": "L"}}
    assert price_per_kg("M-3", per_litre, "CNY", RATES, "2026-05-01") == D(10)


def test_a_missing_cost_names_the_material() -> None:
    with pytest.raises(FormulaError, match="M-00042 has no unit_cost"):
        price_per_kg("M-00042", {}, "CNY", RATES, "2026-05-01")


def test_cost_per_kg_of_product_pays_for_the_loss() -> None:
    # 100 kg of product at 20 % loss: 125 kg weighed, 25 kg of A at 10 and 100 kg of B at 2
    lines = [Line("A", D(20)), Line("B", None, balance=True)]
    sheet = weighing_sheet(lines, D(100), D(100), D(20), "F")
    cost = batch_cost(sheet, {"A": D(10), "B": D(2)}, "CNY")
    assert cost.total == D(450)
    assert cost.per_kg == D("4.5")
    assert [(line.material, line.share) for line in cost.lines] == [
        ("A", D(250) / D(450) * 100),
        ("B", D(200) / D(450) * 100),
    ]


def test_lines_of_the_same_material_are_costed_together() -> None:
    lines = [Line("water", None, balance=True), Line("A", D(50)), Line("water", D(10), fixed=True)]
    sheet = weighing_sheet(lines, D(100), D(100), D(0), "F")
    cost = batch_cost(sheet, {"water": D("0.02"), "A": D(4)}, "CNY")
    assert [(line.material, line.kg) for line in cost.lines] == [("A", D(50)), ("water", D(50))]
    assert cost.total == D("201.00")


def test_what_if_changes_a_price_by_a_percentage() -> None:
    assert parse_what_if(["M-00002=+8%", "M-00017=-5%"]) == {
        "M-00002": D("1.08"),
        "M-00017": D("0.95"),
    }
    with pytest.raises(FormulaError, match="is not MATERIAL=±N%"):
        parse_what_if(["M-00002=8"])
