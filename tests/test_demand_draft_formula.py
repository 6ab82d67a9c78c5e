"""`report demand` for a formula whose next version is being drafted: the material needs
come from the version approved before it, read from history in one walk for all formulas."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import Invoke, Member, step
from formulactl.formulation import source
from formulactl.store.store import Store
from sales_fixture import import_sales, order


@pytest.fixture
def revised(
    signed_store: Store, team_keys: dict[str, Member], tmp_path: Path, invoke: Invoke
) -> Store:
    """C-00001 buys 500 kg of F-000001 a month; then F-000001@2 is revised into a draft @3."""
    records = [order("C-00001", day, 500, 10) for day in ("2026-09-01", "2026-10-01")]
    import_sales(signed_store, team_keys, tmp_path / "sales", records)
    zhang = team_keys["zhang.min"]
    step(signed_store, invoke, "revise", "F-000001", "--reason", "new grade", who=zhang)
    return signed_store


def test_a_formula_in_draft_counts_its_last_approved_version(
    revised: Store,
    invoke: Invoke,
    team_keys: dict[str, Member],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    walks: list[str] = []
    real = source.approved_blobs

    def counted(store: Store) -> dict[str, str]:
        walks.append(store.root.name)
        return real(store)

    monkeypatch.setattr("formulactl.reports.demand.approved_blobs", counted)
    key = str(team_keys["zhang.min"].key)
    args = ("report", "demand", "--on", "2026-12-01", "--months", "2", "--identity", key)
    done = invoke(*args, "--json", cwd=revised.root)
    assert done.code == 0, done.err
    found = json.loads(done.out)
    assert found["formulas"] == [
        {"formula": "F-000001@2", "loss_percent": "0", "product_kg": [500.0, 500.0]}
    ]
    assert [(m["material"], m["kg"]["2026-12"]) for m in found["materials"]] == [
        ("M-00001", 312.5),
        ("M-00002", 187.5),
    ]
    assert walks == ["store"]  # one walk of the formulas' history for the whole report
