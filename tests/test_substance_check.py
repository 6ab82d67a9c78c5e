"""Substances from compositions, checked against limits and customer restrictions; the
validate rules that keep the substance data sound."""

from __future__ import annotations

from decimal import Decimal as D
from typing import Any

import pytest

from conftest import Invoke, change_settings
from formulactl.formulation.substances import (
    Product,
    check_limits,
    check_restrictions,
    explode,
    parts_of,
)
from formulactl.store.store import Store

FRAGRANCE = {
    "name": "citrus fragrance",
    "inci": "Parfum",
    "composition": [
        {"cas": "5989-27-5", "name": "limonene", "percent_min": 18, "percent_max": 22},
        {"cas": "78-70-6", "name": "linalool", "percent": 6, "allergen": True},
    ],
}
ORANGE_OIL = {
    "name": "orange oil",
    "cas": "8028-48-6",
    "composition": [{"cas": "5989-27-5", "name": "limonene", "percent_min": 94, "percent_max": 96}],
}
MIT = {
    "name": "MIT 9.5 %",
    "cas": "2682-20-4",
    "composition": [
        {"cas": "2682-20-4", "name": "MIT", "percent_min": 9, "percent_max": 10},
        {"cas": "7732-18-5", "name": "water", "percent_min": 90, "percent_max": 91},
    ],
}
MATERIALS: dict[str, dict[str, Any]] = {
    "M-1": FRAGRANCE,
    "M-2": ORANGE_OIL,
    "M-3": MIT,
    "M-4": {"name": "glycerin", "cas": "56-81-5"},
}
SHOWER_GEL = Product(("EU",), "cosmetic.cleansing", "rinse_off")


def test_a_material_without_composition_is_all_its_own_cas() -> None:
    (part,) = parts_of("M-4", MATERIALS["M-4"])
    assert (part.key, part.low, part.high, part.own) == ("56-81-5", D(100), D(100), True)


def test_what_the_listed_substances_leave_is_the_material_itself() -> None:
    parts = parts_of("M-2", ORANGE_OIL)
    assert [(p.key, p.low, p.high) for p in parts] == [
        ("5989-27-5", D(94), D(96)),
        ("8028-48-6", D(4), D(6)),
    ]


def test_a_substance_from_two_materials_is_summed() -> None:
    # limonene: 0.6 % × 18–22 % + 0.2 % × 94–96 % = 0.108 + 0.188 … 0.132 + 0.192
    substances = explode([("M-1", D("0.6")), ("M-2", D("0.2"))], MATERIALS)
    limonene = substances["5989-27-5"]
    assert (limonene.low, limonene.high) == (D("0.296"), D("0.324"))
    assert limonene.arithmetic() == "0.6 % M-1 × 18–22 % + 0.2 % M-2 × 94–96 %"


def test_ranges_count_at_their_maximum_against_a_limit() -> None:
    # MIT 0.02 % × 9–10 %: 0.0018 % at the minimum (under 0.0019), 0.002 % at the maximum (over)
    substances = explode([("M-3", D("0.02"))], MATERIALS)
    limit = {
        "market": "EU",
        "cas": "2682-20-4",
        "substance": "Methylisothiazolinone",
        "product_types": ["cosmetic"],
        "exposure": ["rinse_off"],
        "max_percent": 0.0019,
        "source": "Annex V/57",
    }
    breaches, _declare = check_limits(substances, [("L-00001", limit)], SHOWER_GEL)
    assert [breach.message for breach in breaches] == [
        "2682-20-4 Methylisothiazolinone: 0.002 % (0.02 % M-3 × 9–10 %) > 0.0019 %, "
        "EU rinse-off, Annex V/57 (L-00001)"
    ]


def test_limits_of_other_markets_types_and_exposures_do_not_apply() -> None:
    substances = explode([("M-3", D("0.02"))], MATERIALS)
    base = {"cas": "2682-20-4", "substance": "MIT", "max_percent": 0, "source": "s"}
    others = [
        ("L-1", {**base, "market": "CN"}),
        ("L-2", {**base, "market": "EU", "product_types": ["coating"]}),
        ("L-3", {**base, "market": "EU", "exposure": ["leave_on"]}),
        ("L-4", {**base, "market": "EU", "product_types": ["cosmetic.skin_care"]}),
    ]
    assert check_limits(substances, others, SHOWER_GEL) == ([], [])


def test_a_group_of_limits_caps_the_sum_of_its_substances() -> None:
    materials = {
        "M-9": {
            "name": "defoamer",
            "composition": [
                {"cas": "9016-45-9", "name": "NPEO", "percent": 2},
                {"cas": "9036-19-5", "name": "OPEO", "percent": 2},
            ],
        }
    }
    substances = explode([("M-9", D(3))], materials)  # 0.06 % each, 0.12 % together
    apeo = {"market": "CN", "group": "APEO", "max_percent": 0.1, "source": "GB 18582"}
    limits = [("L-16", {**apeo, "cas": "9016-45-9"}), ("L-17", {**apeo, "cas": "9036-19-5"})]
    breaches, _ = check_limits(substances, limits, Product(("CN",), "coating.wall", ""))
    assert len(breaches) == 1
    assert breaches[0].message.startswith("APEO: 0.12 % (9016-45-9 0.06 %")
    assert "> 0.1 %" in breaches[0].message


def test_a_substance_above_a_label_threshold_must_be_declared() -> None:
    substances = explode([("M-1", D("0.6"))], MATERIALS)
    limit = {
        "market": "EU",
        "cas": "78-70-6",
        "substance": "Linalool",
        "label_threshold_percent": 0.01,
        "label_text": "Linalool",
        "source": "Annex III/84",
    }
    breaches, declare = check_limits(substances, [("L-7", limit)], SHOWER_GEL)
    assert breaches == []
    assert [(item.key, item.substance.high) for item in declare] == [("78-70-6", D("0.036"))]


def test_customer_restrictions_by_cas_material_and_ppm() -> None:
    shares = [("M-3", D("0.02")), ("M-4", D(5))]
    substances = explode(shares, MATERIALS)
    restrictions = [
        {"cas": "2682-20-4", "substance": "MIT", "banned": True, "source": "MIT-free"},
        {"material": "M-4", "max_percent": 4, "source": "glycerin ≤ 4 %"},
        {"cas": "2682-20-4", "max_ppm": 15, "source": "MIT ≤ 15 ppm"},
        {"cas": "7439-92-1", "max_ppm": 90, "source": "Pb ≤ 90 ppm"},  # not in it: kept
    ]
    breaches = check_restrictions("C-00006", restrictions, substances, shares)
    assert [breach.message for breach in breaches] == [
        "2682-20-4 MIT: 0.002 % (0.02 % M-3 × 9–10 %) but banned, customer C-00006: MIT-free",
        "M-4 M-4: 5 % (5 % M-4) > 4 %, customer C-00006: glycerin ≤ 4 %",
        "2682-20-4 MIT: 0.002 % (0.02 % M-3 × 9–10 %) = 20 ppm > 15 ppm, "
        "customer C-00006: MIT ≤ 15 ppm",
    ]


# ---------------------------------------------------------------- validate rules


@pytest.fixture
def plain_sample(sample_store: Store) -> Store:
    """The sample records in plain text, as the project keeps them (no sealing required)."""
    change_settings(sample_store, require=False)
    return sample_store


def validate_with(store: Store, invoke: Invoke, path: str, text: str) -> str:
    (store.root / path).write_text(text, encoding="utf-8")
    done = invoke("validate", path, cwd=store.root)
    assert done.code == 1
    return done.out


def test_a_composition_over_100_percent_is_a_finding(plain_sample: Store, invoke: Invoke) -> None:
    text = (plain_sample.root / "records/materials/M-00055.yaml").read_text(encoding="utf-8")
    text = text.replace("percent_max: 96.0", "percent_max: 99.0").replace(
        "percent_min: 94.0", "percent_min: 98.5"
    )
    said = validate_with(plain_sample, invoke, "records/materials/M-00055.yaml", text)
    assert "M-00055.yaml" in said and "composition sums to 100.25 %" in said
    assert "correct the percentages" in said


def test_bad_composition_lines_are_findings(plain_sample: Store, invoke: Invoke) -> None:
    path = "records/materials/M-00055.yaml"
    text = (plain_sample.root / path).read_text(encoding="utf-8")
    text = text.replace("cas: 5989-27-5", "cas: 5989-27-6").replace(
        "percent_min: 1.5\n    percent_max: 2.5", "percent_min: 2.5\n    percent_max: 1.5"
    )
    said = validate_with(plain_sample, invoke, path, text)
    assert "CAS number 5989-27-6 fails its check digit" in said
    assert "percent_min 2.5 is above percent_max 1.5" in said


def test_two_balance_lines_are_a_finding(plain_sample: Store, invoke: Invoke) -> None:
    path = "records/formulas/F-000014.yaml"
    text = (plain_sample.root / path).read_text(encoding="utf-8")
    text = text.replace("    percent: 12.0\n", "    percent: 12.0\n    balance: true\n", 1)
    said = validate_with(plain_sample, invoke, path, text)
    assert "two balance lines (lines 1 and 2)" in said


def test_a_balance_line_may_omit_its_percent(plain_sample: Store, invoke: Invoke) -> None:
    path = "records/formulas/F-000014.yaml"
    text = (plain_sample.root / path).read_text(encoding="utf-8")
    (plain_sample.root / path).write_text(text.replace("    percent: 73.03\n", "", 1))
    assert invoke("validate", path, cwd=plain_sample.root).code == 0
    (plain_sample.root / path).write_text(text.replace("    percent: 12.0\n", "", 1))
    said = invoke("validate", path, cwd=plain_sample.root).out
    assert "ingredient line 2 (M-00076) has no percent" in said


def test_a_limit_without_source_or_any_cap_is_a_finding(
    plain_sample: Store, invoke: Invoke
) -> None:
    path = "records/limits/L-00001.yaml"
    text = (plain_sample.root / path).read_text(encoding="utf-8")
    kept = [line for line in text.splitlines() if not line.startswith(("source:", "max_percent:"))]
    said = validate_with(plain_sample, invoke, path, "\n".join(kept) + "\n")
    assert "source" in said
    assert "sets none of max_percent, banned or label_threshold_percent" in said


def test_a_restriction_names_one_thing_and_one_cap(plain_sample: Store, invoke: Invoke) -> None:
    path = "records/customers/C-00001.yaml"
    text = (plain_sample.root / path).read_text(encoding="utf-8")
    text = text.replace("    banned: true\n", "    banned: true\n    max_ppm: 10\n", 1)
    said = validate_with(plain_sample, invoke, path, text)
    assert "exactly one of max_percent, max_ppm or banned" in said


def test_exposures_in_the_settings_extend_the_schema(plain_sample: Store, invoke: Invoke) -> None:
    path = "records/formulas/F-000014.yaml"
    text = (plain_sample.root / path).read_text(encoding="utf-8")
    (plain_sample.root / path).write_text(
        text.replace("exposure: rinse_off", "exposure: professional")
    )
    assert "professional" in invoke("validate", path, cwd=plain_sample.root).out
    settings = plain_sample.root / "formulactl.yaml"
    settings.write_text(
        settings.read_text(encoding="utf-8")
        + "exposures:\n  - code: professional\n    name: 专业人员使用\n",
        encoding="utf-8",
    )
    assert invoke("validate", path, cwd=plain_sample.root).code == 0
