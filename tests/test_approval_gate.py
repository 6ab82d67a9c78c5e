"""approve runs check on a formula with the approver's key and refuses what breaks a limit
or a customer restriction, naming each finding."""

from __future__ import annotations

from pathlib import Path

from conftest import Invoke, Member, act_as, make_key
from formulactl.store.store import Store


def submitted(store: Store, invoke: Invoke, record_id: str) -> None:
    done = invoke("submit", record_id, cwd=store.root)
    assert done.code == 0, done.err


def test_approve_refuses_a_formula_that_breaks_a_customer_restriction(
    sample_signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    submitted(sample_signed_store, invoke, "F-000013")
    act_as(sample_signed_store, team_keys["wang.fang"])
    done = invoke("approve", "F-000013")
    assert done.code == 2
    assert "2682-20-4" in done.err and "0.00135 %" in done.err
    assert "customer C-00006" in done.err
    assert "approve F-000013: nothing was written." in done.err
    assert invoke("show", "F-000013", "--json").out.count('"status": "in_review"') == 1


def test_an_approver_who_cannot_read_the_formula_cannot_approve_it(
    sample_signed_store: Store, invoke: Invoke, team_keys: dict[str, Member], tmp_path: Path
) -> None:
    submitted(sample_signed_store, invoke, "F-000013")
    act_as(sample_signed_store, team_keys["wang.fang"])
    stranger = make_key(tmp_path / "other", "other")
    done = invoke("approve", "F-000013", "--identity", stranger)
    assert done.code == 2
    assert "you are not a reader of F-000013 (readers: " in done.err


def test_validate_decrypt_adds_the_formula_checks_for_a_reader(
    sample_signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    plain = invoke("validate", cwd=sample_signed_store.root)
    assert plain.code == 0, plain.out
    key = team_keys["zhang.min"].key
    done = invoke("validate", "--decrypt", "--identity", key)
    assert done.code == 1
    found = done.out.splitlines()
    assert [line.split(":")[0] for line in found] == [
        "records/formulas/F-000002.yaml",
        "records/formulas/F-000013.yaml",
        "records/formulas/F-000014.yaml",
    ]
    assert "9016-45-9" in found[0] and "> 0.0015 %, EU rinse-off" in found[2]
