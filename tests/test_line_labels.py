"""A list line has one stable name (its key fields), whether sealing binds it into a
ciphertext, diff reports a change of it, or merge reports a conflict on it."""

from __future__ import annotations

from typing import Any

from formulactl.audit.diffing import record_diff
from formulactl.crypto.confidential import secrets_in
from formulactl.integration.merging import merge
from formulactl.store.paths import line_label
from formulactl.store.store import Store


def formula(percent: float) -> dict[str, Any]:
    return {"id": "F-000001", "ingredients": [{"material": "M-00001", "percent": percent}]}


def test_a_label_names_the_key_fields_present_in_schema_order() -> None:
    keys = ("material", "phase")
    assert line_label({"phase": "B", "material": "M-00002"}, keys) == "material=M-00002,phase=B"
    assert line_label({"material": "M-00002"}, keys) == "material=M-00002"
    assert line_label({"percent": 3}, keys) is None
    assert line_label("text", keys) is None


def test_sealing_diff_and_merge_name_a_line_without_a_phase_alike(sample_store: Store) -> None:
    schema = sample_store.schema("formula")
    name = "ingredients[material=M-00001].percent"
    assert [secret.name for secret in secrets_in(schema, formula(30.0))] == [name]
    assert [change.field for change in record_diff(schema, formula(30.0), formula(31.0))] == [name]
    merged = merge(schema, formula(30.0), formula(31.0), formula(32.0))
    assert [conflict["field"] for conflict in merged.conflicts] == [name]
