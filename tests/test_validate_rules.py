"""`validate`: every broken rule is one finding with file:line:col, message and hint."""

from __future__ import annotations

import json

import pytest

from conftest import Invoke
from formulactl.store.store import Store
from records_fixture import replace_in


def test_the_small_store_is_valid(small_store: Store, invoke: Invoke) -> None:
    done = invoke("validate", cwd=small_store.root)
    assert (done.code, done.out) == (0, "")
    assert "0 findings" in done.err


BROKEN = [
    # (file, old text, new text, expected line, rule, words)
    (
        "formulas/F-000001.yaml",
        "customer: C-00001",
        "customer: C-00099",
        "formulas/F-000001.yaml:2:11",
        "reference",
        "customer C-00099 does not exist",
    ),
    (
        "formulas/F-000001.yaml",
        "material: M-00002",
        "material: M-00077",
        "formulas/F-000001.yaml:12:15",
        "reference",
        "material M-00077 does not exist",
    ),
    (
        "formulas/F-000001.yaml",
        "customer: C-00001",
        "customer: F-000001",
        "formulas/F-000001.yaml:2:11",
        "reference",
        "`F-000001` is not a customer ID",
    ),
    (
        "materials/M-00002.yaml",
        "- S-0001",
        "- S-0009",
        "materials/M-00002.yaml:6:5",
        "reference",
        "supplier S-0009 does not exist",
    ),
    (
        "batches/B-20261105-001.yaml",
        "formula: F-000001@2",
        "formula: F-000001",
        "batches/B-20261105-001.yaml:2:10",
        "reference",
        "needs a version",
    ),
    (
        "batches/B-20261105-001.yaml",
        "formula: F-000001@2",
        "formula: F-000001@3",
        "batches/B-20261105-001.yaml:2:10",
        "reference",
        "has no version 3",
    ),
    (
        "formulas/F-000001.yaml",
        "status: approved",
        "status: in_review",
        "batches/B-20261105-001.yaml:2:10",
        "reference",
        "F-000001@2 is in_review, not approved",
    ),
    (
        "feedback/FB-20261110-9b1e.yaml",
        "batch: B-20261105-001",
        "batch: B-20261105-002",
        "feedback/FB-20261110-9b1e.yaml:6:8",
        "reference",
        "batch B-20261105-002 does not exist",
    ),
    (
        "batches/B-20261105-001.yaml",
        "order: O-20261101-3c2a",
        "order: O-20261101-0000",
        "batches/B-20261105-001.yaml:4:8",
        "reference",
        "order O-20261101-0000 does not exist",
    ),
    (
        "formulas/F-000001.yaml",
        "percent: 37.5",
        "percent: 37.0",
        "formulas/F-000001.yaml:7:1",
        "percent-sum",
        "sum to 99.5, not 100",
    ),
    (
        "materials/M-00001.yaml",
        "cas: 7732-18-5",
        "cas: 7732-18-6",
        "materials/M-00001.yaml:4:6",
        "cas-check-digit",
        "fails its check digit (expected 5)",
    ),
    (
        "materials/M-00001.yaml",
        'review_due: "2028-01-31"\n',
        "",
        "materials/M-00001.yaml:5:9",
        "review-due",
        "approved material has no review_due",
    ),
    (
        "customers/C-00001.yaml",
        "tax_id: 91310115MA1H7GXQ3E",
        "tax_id: 91310115MA1H7GXQ3F",
        "customers/C-00001.yaml:4:9",
        "tax-id",
        "fails its check character (expected E)",
    ),
    (
        "customers/C-00001.yaml",
        "id: C-00001",
        "id: C-00003",
        "customers/C-00001.yaml:1:5",
        "id-mismatch",
        "differs from the file name",
    ),
    (
        "formulas/F-000001.yaml",
        "version: 2",
        "version: two",
        "formulas/F-000001.yaml:4:10",
        "schema-type",
        "`version` must be a whole number, found the text 'two'",
    ),
    (
        "formulas/F-000001.yaml",
        "basis: mass",
        "basis: mas",
        "formulas/F-000001.yaml:6:8",
        "schema-enum",
        "did you mean `mass`?",
    ),
    (
        "formulas/F-000001.yaml",
        "basis: mass\n",
        "",
        "formulas/F-000001.yaml:1:1",
        "schema-required",
        "missing required field `basis`",
    ),
    (
        "formulas/F-000001.yaml",
        "basis: mass",
        "basis: mass\nprodcut: x",
        "formulas/F-000001.yaml:7:10",
        "schema-unknown-field",
        "did you mean `product`?",
    ),
    (
        "feedback/FB-20261110-9b1e.yaml",
        'response_due: "2026-11-17"',
        'response_due: "2026-11-31"',
        "feedback/FB-20261110-9b1e.yaml:8:15",
        "schema-format",
        "is not a valid date",
    ),
    (
        "feedback/FB-20261110-9b1e.yaml",
        'response_due: "2026-11-17"',
        'response_due: "2026-11-01"',
        "feedback/FB-20261110-9b1e.yaml:8:15",
        "date-order",
        "response_due 2026-11-01 is before date",
    ),
    (
        "formulas/F-000001.yaml",
        "    phase: A\n  - material: M-00002",
        "    phase: A\n  - material: M-00001",
        "formulas/F-000001.yaml:12:5",
        "duplicate-line",
        "two lines in `ingredients`",
    ),
]


@pytest.mark.parametrize(
    ("name", "old", "new", "where", "rule", "words"),
    BROKEN,
    ids=[f"{case[4]}:{case[5][:30]}" for case in BROKEN],
)
def test_each_broken_rule_is_one_finding(
    small_store: Store,
    invoke: Invoke,
    name: str,
    old: str,
    new: str,
    where: str,
    rule: str,
    words: str,
) -> None:
    replace_in(small_store, name, old, new)
    done = invoke("validate", "--json", cwd=small_store.root)
    findings = json.loads(done.out)
    assert done.code == 1
    assert [f["rule"] for f in findings] == [rule]
    text = invoke("validate", cwd=small_store.root).out.strip()
    assert text.startswith(f"records/{where}: ")
    assert words in text
    assert " — " in text  # every finding says what to do


def test_a_shared_tax_id_is_reported_on_both_customers(small_store: Store, invoke: Invoke) -> None:
    replace_in(
        small_store,
        "customers/C-00002.yaml",
        "tax_id: SE556677889901",
        "tax_id: 91310115MA1H7GXQ3E",
    )
    done = invoke("validate", cwd=small_store.root)
    assert done.out.splitlines() == [
        "records/customers/C-00001.yaml:4:9: tax ID 91310115MA1H7GXQ3E is also used by C-00002"
        " — one customer per tax ID: merge the records",
        "records/customers/C-00002.yaml:3:9: tax ID 91310115MA1H7GXQ3E is also used by C-00001"
        " — one customer per tax ID: merge the records",
    ]


def test_findings_are_all_collected_in_one_run(small_store: Store, invoke: Invoke) -> None:
    replace_in(small_store, "formulas/F-000001.yaml", "customer: C-00001", "customer: C-00099")
    replace_in(small_store, "materials/M-00001.yaml", "cas: 7732-18-5", "cas: 7732-18-6")
    (small_store.root / "records/customers/C-00003.yaml").write_text("a: &x 1\n")
    done = invoke("validate", "--json", cwd=small_store.root)
    rules = sorted(f["rule"] for f in json.loads(done.out))
    assert rules == ["cas-check-digit", "reference", "yaml-alias"]
    assert done.code == 2  # an unreadable file outranks findings


def test_validate_paths_limits_the_report_but_not_the_references(
    small_store: Store, invoke: Invoke
) -> None:
    replace_in(small_store, "materials/M-00001.yaml", "cas: 7732-18-5", "cas: 7732-18-6")
    done = invoke("validate", "records/formulas", cwd=small_store.root)
    assert (done.code, done.out) == (0, "")
    done = invoke("validate", "records/materials/M-00001.yaml", cwd=small_store.root)
    assert done.code == 1


def test_a_file_name_that_is_not_an_id_is_a_finding(small_store: Store, invoke: Invoke) -> None:
    source = small_store.root / "records/materials/M-00001.yaml"
    source.rename(small_store.root / "records/materials/water.yaml")
    done = invoke("validate", "--json", cwd=small_store.root)
    rules = sorted(f["rule"] for f in json.loads(done.out))
    assert rules == ["id-format", "id-mismatch", "reference", "reference"]


def test_the_team_file_is_checked_too(small_store: Store, invoke: Invoke) -> None:
    (small_store.root / "team.yaml").write_text("people:\n  - id: Li Wei\n")
    done = invoke("validate", cwd=small_store.root)
    assert done.code == 1
    assert done.out.startswith("team.yaml:")


def test_warm_run_gives_the_same_findings(small_store: Store, invoke: Invoke) -> None:
    replace_in(small_store, "formulas/F-000001.yaml", "percent: 37.5", "percent: 37.0")
    first = invoke("validate", cwd=small_store.root)
    second = invoke("validate", cwd=small_store.root)
    assert (first.code, first.out) == (second.code, second.out)
    assert (small_store.cache_dir / "check.marshal").is_file()


def test_a_changed_schema_invalidates_the_cache(small_store: Store, invoke: Invoke) -> None:
    assert invoke("validate", cwd=small_store.root).code == 0
    schema = small_store.root / "schemas/formula.schema.json"
    schema.write_text(schema.read_text().replace('"minimum": 1}', '"minimum": 3}', 1))
    done = invoke("validate", cwd=small_store.root)
    assert done.code == 1
    assert "`version`" in done.out


def test_the_sample_store_in_this_repository_is_valid_and_canonical(invoke: Invoke) -> None:
    from conftest import PROJECT

    done = invoke("validate", cwd=PROJECT)
    assert (done.code, done.out) == (0, "")
    assert invoke("fmt", "--check", cwd=PROJECT).code == 0
