"""`report demand`: the forecast × the approved formula's sealed percentages for a reader of
formulas; one line and exit 2 for anyone else."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import Invoke, Member
from formulactl.store.store import Store
from sales_fixture import import_sales, order


@pytest.fixture
def steady(signed_store: Store, team_keys: dict[str, Member], tmp_path: Path) -> Store:
    """C-00001 buys 500 kg of F-000001 (62.5 % M-00001, 37.5 % M-00002) every month from
    September (the small store's order is November's)."""
    records = [order("C-00001", day, 500, 10) for day in ("2026-09-01", "2026-10-01")]
    import_sales(signed_store, team_keys, tmp_path / "sales", records)
    return signed_store


def test_a_reader_of_formulas_gets_kg_per_material_and_month(
    steady: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    key = str(team_keys["zhang.min"].key)
    args = ("report", "demand", "--on", "2026-12-01", "--months", "2", "--identity", key)
    done = invoke(*args, "--json", cwd=steady.root)
    assert done.code == 0, done.err
    found = json.loads(done.out)
    assert found["months"] == ["2026-12", "2027-01"]
    assert found["formulas"] == [
        {"formula": "F-000001@2", "loss_percent": "0", "product_kg": [500.0, 500.0]}
    ]
    assert found["materials"] == [
        {
            "material": "M-00001",
            "name": "去离子水",
            "kg": {"2026-12": 312.5, "2027-01": 312.5},
            "formulas": ["F-000001@2"],
        },
        {
            "material": "M-00002",
            "name": "钛白粉",
            "kg": {"2026-12": 187.5, "2027-01": 187.5},
            "formulas": ["F-000001@2"],
        },
    ]
    text = invoke(*args, cwd=steady.root).out
    assert "  M-00001   去离子水  312.5    312.5    F-000001@2" in text


def test_without_a_formula_key_one_line_and_exit_2(steady: Store, invoke: Invoke) -> None:
    done = invoke("report", "demand", "--on", "2026-12-01", cwd=steady.root)
    assert done.code == 2
    assert done.out == ""
    assert done.err.startswith(
        "formulactl: records/formulas/F-000001.yaml: you are not a reader of F-000001 (readers:"
    )
    assert len(done.err.splitlines()) == 1
