"""`list --where` takes the field paths of `set`: indexes, selectors and a name over a list
(any item); an unknown or sealed field is one clear line, never an empty list."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import Invoke
from formulactl.store.store import Store


def listed(invoke: Invoke, store: Store, kind: str, *options: str) -> list[str]:
    done = invoke("list", kind, *options, "--json", cwd=store.root)
    assert done.code == 0, done.err
    return [record["id"] for record in json.loads(done.out)]


@pytest.mark.parametrize(
    "condition",
    ["contacts[0].name=陈国栋", "contacts.name=林晓婷", "contacts[name=陈国栋].title=采购经理"],
)
def test_a_field_path_inside_a_list_matches(
    sample_store: Store, invoke: Invoke, condition: str
) -> None:
    assert "C-00001" in listed(invoke, sample_store, "customer", "--where", condition)


def test_a_name_over_a_list_does_not_match_a_value_no_item_has(
    sample_store: Store, invoke: Invoke
) -> None:
    assert listed(invoke, sample_store, "customer", "--where", "contacts.name=无此人") == []


def test_a_selected_ingredient_matches_by_number_once_decrypted(
    sample_store: Store, invoke: Invoke
) -> None:
    where = "ingredients[material=M-00001].percent=22"
    assert "F-000001" in listed(invoke, sample_store, "formula", "--where", where, "--decrypt")


@pytest.mark.parametrize(
    ("kind", "condition", "message"),
    [
        (
            "customer",
            "colour=red",
            "customer records have no field `colour` — see "
            "schemas/customer.schema.json for the fields",
        ),
        (
            "customer",
            "contacts.shoe_size=42",
            "customer records have no field `contacts.shoe_size` — see "
            "schemas/customer.schema.json for the fields",
        ),
        (
            "formula",
            "ingredients[material=M-00001].percent=22",
            "`ingredients[material=M-00001].percent` is a confidential field, sealed in the "
            "records — add --decrypt to match on its value (with a reader's key)",
        ),
    ],
)
def test_an_unknown_or_sealed_field_is_one_clear_line(
    sample_store: Store, invoke: Invoke, kind: str, condition: str, message: str
) -> None:
    done = invoke("list", kind, "--where", condition, cwd=sample_store.root)
    assert (done.code, done.out, done.err) == (2, "", f"formulactl: {message}\n")


def test_a_sealed_percentage_matches_with_a_readers_key(
    signed_store: Store, invoke: Invoke, tmp_path: Path
) -> None:
    recovery = str(tmp_path / "recovery-identity.txt")
    where = "ingredients[material=M-00001].percent=62.5"
    found = listed(
        invoke, signed_store, "formula", "--where", where, "--decrypt", "--identity", recovery
    )
    assert found == ["F-000001"]
