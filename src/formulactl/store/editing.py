"""Making and changing records: `new`, `set`, and the checks before anything is written."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from formulactl.errors import FormulaError
from formulactl.model.kinds import KINDS
from formulactl.store import yamlio
from formulactl.store.paths import (
    Step,
    parse_field_path,
    schema_path,
    set_at,
    split_assignment,
    unset_at,
)
from formulactl.store.schema import KindSchema
from formulactl.store.store import Record, Store


@dataclass(frozen=True)
class Assignment:
    text: str
    steps: list[Step]
    value: Any


def parse_assignment(schema: KindSchema, text: str) -> Assignment:
    """`FIELD=VALUE` with VALUE read as YAML; text fields keep exactly what was typed."""
    split = split_assignment(text)
    if split is None:
        raise FormulaError(
            f"`{text}` is not FIELD=VALUE", "write it like name=上海华彩涂料", rule="usage"
        )
    name, raw = split
    steps = parse_field_path(name)
    field = schema.subschema(schema_path(steps)) or {}
    if field.get("type") == "string" or (
        field.get("type") is None
        and "enum" in field
        and all(isinstance(v, str) for v in field["enum"])
    ):
        value: Any = raw
    else:
        value = yamlio.load_value(raw, f"value of {name}")
    return Assignment(name, steps, value)


def apply(data: dict[str, Any], assignments: list[Assignment], unset: list[str]) -> None:
    for assignment in assignments:
        set_at(data, assignment.steps, assignment.value, assignment.text)
    for name in unset:
        unset_at(data, parse_field_path(name), name)


def new_record(store: Store, kind: str, base: dict[str, Any], today: date) -> Record:
    """A new record with a fresh ID and the workflow fields a new record starts with."""
    data = dict(base)
    record_id = data.get("id")
    if record_id is None:
        record_id = store.new_id(kind, today)
    elif not isinstance(record_id, str) or store.kind_of(record_id) != kind:
        raise FormulaError(
            f"`{record_id}` is not a {kind} ID",
            "leave `id` out to get the next free one",
            rule="bad-id",
        )
    path = store.record_path(record_id)
    if (store.root / path).exists():
        raise FormulaError(
            f"{record_id} already exists", "leave `id` out to get a new one", path, rule="exists"
        )
    data["id"] = record_id
    if KINDS[kind].master:
        data.setdefault("status", "draft")
        data.setdefault("version", 1)
    else:
        data.setdefault("date", today.isoformat())
    if kind == "formula":
        data.setdefault("basis", "mass")
    if kind == "feedback":
        data.setdefault("status", "open")
        days = store.settings.response_due_days.get(str(data.get("severity")))
        if days and "response_due" not in data and isinstance(data.get("date"), str):
            with contextlib.suppress(ValueError):
                due = date.fromisoformat(data["date"]) + timedelta(days=days)
                data["response_due"] = due.isoformat()
    return Record(record_id, kind, path, data)
