"""A record whose sealed values do not open because they were altered or moved is damage,
not a missing key: work built on opened records names it as such and never passes it off
as "not a reader" (nor leaves it out of an export as if sealed for this user)."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import Invoke, Member, git, raw, write_raw
from formulactl.store.store import Store

FORMULA = "formulas/F-000002.yaml"


@pytest.fixture
def damaged_store(sample_signed_store: Store) -> Store:
    """F-000002 with the sealed percentages of its first two lines swapped, committed
    past the hooks (as a hand-made commit would be): exports read the commit."""
    data = raw(sample_signed_store, FORMULA)
    lines = data["ingredients"]
    lines[0]["percent"], lines[1]["percent"] = lines[1]["percent"], lines[0]["percent"]
    write_raw(sample_signed_store, FORMULA, data)
    git(sample_signed_store.root, "commit", "-q", "--no-verify", "-am", "swap two values")
    return sample_signed_store


def test_substitute_names_a_damaged_formula_it_would_change(
    damaged_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    key = team_keys["zhang.min"].key
    done = invoke(
        "substitute", "--replace", "M-00027", "--with", "M-00081",
        "--where", "customer=C-00001", "--dry-run", "--identity", key,
        cwd=damaged_store.root,
    )  # fmt: skip
    assert done.code == 0, done.err
    assert "cannot substitute in F-000002: F-000002: the sealed value of" in done.out
    assert "not a reader" not in done.out + done.err


def test_an_export_with_a_damaged_record_stops_with_its_line(
    damaged_store: Store, invoke: Invoke, team_keys: dict[str, Member], tmp_path: Path
) -> None:
    target = tmp_path / "out.csv"
    key = team_keys["zhang.min"].key
    done = invoke(
        "export", "formula", "--where", "customer=C-00001", "--format", "csv",
        "--output", target, "--decrypt", "--identity", key,
        cwd=damaged_store.root,
    )  # fmt: skip
    assert done.code == 2
    assert "F-000002: the sealed value of" in done.err
    assert "Traceback" not in done.err
    assert not list(tmp_path.glob("out*"))


def test_a_damaged_customer_stops_a_check_of_its_formula(
    sample_signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    """The customer is read only for its restrictions, and left sealed for someone who may
    not read it; a damaged one is named instead of being read as if sealed."""
    store = sample_signed_store
    data = raw(store, "customers/C-00001.yaml")
    contact = data["contacts"][0]
    contact["phone"], contact["email"] = contact["email"], contact["phone"]
    write_raw(store, "customers/C-00001.yaml", data)
    key = team_keys["zhang.min"].key
    done = invoke("check", "F-000002", "--draft", "--identity", key, cwd=store.root)
    assert done.code == 2
    assert "C-00001: the sealed value of contacts[" in done.err
    assert "Traceback" not in done.err
