"""The ingredient declaration: names merged across materials, most concentrated first."""

from __future__ import annotations

from decimal import Decimal as D
from typing import Any

from formulactl.formulation.declaration import declaration
from formulactl.formulation.substances import Declare, Product, check_limits, explode

MATERIALS: dict[str, dict[str, Any]] = {
    "water": {"name": "去离子水", "inci": "Aqua", "cas": "7732-18-5"},
    "sles": {
        "name": "SLES 70 %",
        "inci": "Sodium Laureth Sulfate",
        "cas": "68891-38-3",
        "composition": [
            {"cas": "68891-38-3", "name": "SLES", "inci": "Sodium Laureth Sulfate", "percent": 70},
            {"cas": "7732-18-5", "name": "水", "inci": "Aqua", "percent": 30},
        ],
    },
    "parfum": {
        "name": "fragrance",
        "inci": "Parfum",
        "composition": [
            {
                "cas": "5989-27-5",
                "inci": "Limonene",
                "name": "d-柠檬烯",
                "percent": 20,
                "allergen": True,
            },
            {
                "cas": "5392-40-5",
                "inci": "Citral",
                "name": "柠檬醛",
                "percent": 1,
                "allergen": True,
            },
        ],
    },
    "mit": {
        "name": "MIT 10 %",
        "cas": "2682-20-4",
        "composition": [
            {"cas": "2682-20-4", "inci": "Methylisothiazolinone", "name": "MIT", "percent": 10},
            {"cas": "7732-18-5", "inci": "Aqua", "name": "水", "percent": 90},
        ],
    },
}
SHARES = [("water", D("79.38")), ("sles", D(20)), ("parfum", D("0.6")), ("mit", D("0.02"))]


def allergens() -> dict[str, Declare]:
    limits = [
        (
            f"L-{cas}",
            {
                "market": "EU",
                "cas": cas,
                "substance": inci,
                "source": "Annex III",
                "label_threshold_percent": 0.01,
                "label_text": inci,
            },
        )
        for cas, inci in (("5989-27-5", "Limonene"), ("5392-40-5", "Citral"))
    ]
    substances = explode(SHARES, MATERIALS)
    _breaches, declare = check_limits(substances, limits, Product(("EU",), "cosmetic", ""))
    return {item.key: item for item in declare}


def test_water_from_every_material_joins_aqua_and_the_order_is_by_concentration() -> None:
    entries = declaration(SHARES, MATERIALS, allergens())
    # Aqua: 79.38 + 20 × 30 % + 0.02 × 90 % = 85.398
    assert [(entry.inci, entry.percent) for entry in entries] == [
        ("Aqua", D("85.398")),
        ("Sodium Laureth Sulfate", D(14)),
        ("Parfum", D("0.48")),  # 0.6 × 79 % rest + 0.6 × 1 % citral
        ("Limonene", D("0.12")),
        ("Methylisothiazolinone", D("0.002")),
    ]
    assert entries[0].materials == ["water", "sles", "mit"]


def test_allergens_above_their_threshold_are_named_and_the_rest_stay_in_parfum() -> None:
    entries = {entry.inci: entry for entry in declaration(SHARES, MATERIALS, allergens())}
    # citral 0.6 % × 1 % = 0.006 %, under the 0.01 % threshold: it stays in Parfum
    assert "Citral" not in entries
    assert entries["Limonene"].note == "allergen above 0.01 % (L-5989-27-5)"
    assert entries["Parfum"].note == "below 1 %: any order"
    assert entries["Aqua"].note == ""
