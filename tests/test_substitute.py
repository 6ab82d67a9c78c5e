"""substitute: the material swapped at a ratio, the balance line absorbing the difference,
and the impact on cost and findings, shown without changing anything."""

from __future__ import annotations

import json
from decimal import Decimal as D
from typing import Any

import pytest

from conftest import Invoke, Member
from formulactl.errors import FormulaError
from formulactl.formulation.substitution import substituted
from formulactl.store.store import Store

FORMULA: dict[str, Any] = {
    "ingredients": [
        {"material": "M-1", "percent": 60.0, "balance": True},
        {"material": "M-2", "percent": 30.0},
        {"material": "M-3", "percent": 10.0},
    ]
}


def percents(data: dict[str, Any]) -> list[tuple[str, float]]:
    return [(line["material"], line["percent"]) for line in data["ingredients"]]


def test_the_balance_line_absorbs_what_the_ratio_adds() -> None:
    after = substituted(FORMULA, "M-3", "M-9", D("1.25"), "F-1@1")
    assert percents(after) == [("M-1", 57.5), ("M-2", 30.0), ("M-9", 12.5)]
    assert percents(FORMULA)[2] == ("M-3", 10.0)  # the original is untouched


def test_a_balance_line_without_percent_just_takes_the_rest() -> None:
    data = {
        "ingredients": [{"material": "M-1", "balance": True}, {"material": "M-3", "percent": 10}]
    }
    after = substituted(data, "M-3", "M-9", D("0.5"), "F-1@1")
    assert after["ingredients"] == [
        {"material": "M-1", "balance": True},
        {"material": "M-9", "percent": 5.0},
    ]


def test_a_ratio_needs_a_balance_line() -> None:
    data = {"ingredients": [{"material": "M-2", "percent": 90}, {"material": "M-3", "percent": 10}]}
    with pytest.raises(FormulaError, match="no balance line to absorb the change of 2 %"):
        substituted(data, "M-3", "M-9", D("1.2"), "F-1@1")
    assert percents(substituted(data, "M-3", "M-9", D(1), "F-1@1"))[1] == ("M-9", 10.0)


def test_a_ratio_that_would_empty_the_balance_line_is_refused() -> None:
    with pytest.raises(FormulaError, match="the balance line would be -15 %"):
        substituted(FORMULA, "M-2", "M-9", D("3.5"), "F-1@1")


def test_the_dry_run_shows_cost_and_the_finding_it_resolves(
    sample_signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    key = team_keys["zhang.min"].key
    done = invoke(
        "substitute",
        "--replace",
        "M-00027",
        "--with",
        "M-00081",
        "--dry-run",
        "--identity",
        key,
        "--json",
        cwd=sample_signed_store.root,
    )
    assert done.code == 0, done.err
    plan = json.loads(done.out)
    by_formula = {item["formula"]: item for item in plan["formulas"]}
    assert sorted(by_formula) == [
        "F-000002@3",
        "F-000006@1",
        "F-000009@1",
        "F-000010@2",
        "F-000013@1",
    ]
    apeo = by_formula["F-000002@3"]
    assert apeo["resolved_findings"][0].startswith("9016-45-9")
    assert apeo["new_findings"] == []
    assert float(apeo["cost_per_kg_after"]) > float(apeo["cost_per_kg_before"])
    only = invoke(
        "substitute",
        "--replace",
        "M-00027",
        "--with",
        "M-00081",
        "--dry-run",
        "--where",
        "customer=C-00001",
        "--identity",
        key,
        "--json",
    )
    assert [item["formula"] for item in json.loads(only.out)["formulas"]] == ["F-000002@3"]
    assert invoke("show", "F-000002", "--json").out.count("M-00027") == 2  # nothing written


def test_formulas_the_user_cannot_read_are_listed_not_skipped(
    sample_signed_store: Store, invoke: Invoke
) -> None:
    done = invoke(
        "substitute",
        "--replace",
        "M-00027",
        "--with",
        "M-00081",
        "--dry-run",
        cwd=sample_signed_store.root,
    )
    assert done.code == 0, done.err
    assert "not a reader of: F-000002, F-000006, F-000009, F-000010, F-000013" in done.out


def test_without_dry_run_each_formula_becomes_a_draft_of_its_next_version(
    sample_signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    key = team_keys["zhang.min"].key
    done = invoke(
        "substitute",
        "--replace",
        "M-00027",
        "--with",
        "M-00081",
        "--where",
        "customer=C-00001",
        "--reason",
        "APEO-free defoamer for C-00001",
        "--identity",
        key,
        cwd=sample_signed_store.root,
    )
    assert done.code == 0, done.err
    assert done.err.count("committed ") == 1  # revised and changed in one commit
    shown = json.loads(invoke("show", "F-000002", "--decrypt", "--identity", key, "--json").out)
    assert (shown["version"], shown["status"]) == (4, "draft")
    materials = [line["material"] for line in shown["ingredients"]]
    assert "M-00027" not in materials and materials.count("M-00081") == 2
    assert invoke("validate").code == 0
    history = invoke("validate", "--history")
    assert history.code == 0, history.out


def test_a_formula_in_review_stops_the_whole_substitution(
    sample_signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    from formulactl.git import gitio

    key = team_keys["zhang.min"].key
    head = gitio.head(sample_signed_store.root)
    done = invoke(
        "substitute",
        "--replace",
        "M-00027",
        "--with",
        "M-00081",
        "--reason",
        "x",
        "--identity",
        key,
        cwd=sample_signed_store.root,
    )
    assert done.code == 2
    assert "F-000010 is in review" in done.err
    assert gitio.head(sample_signed_store.root) == head
