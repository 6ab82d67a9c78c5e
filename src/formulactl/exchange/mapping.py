"""The mapping file of a spreadsheet import, and turning one cell into one field's value.

A mapping names, per column header, the field it fills (the language of `set`:
`contacts[0].phone`), how its words become the schema's values (重要客户 → key), which date
formats it may hold (`excel` for serial numbers), its unit, and which column identifies a
row (`key`), so that a second import of the same sheet updates drafts instead of adding
records. The mapping is checked against the kind's schema before any row is read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from formulactl.errors import FormulaError
from formulactl.exchange.sheets import read_user_file
from formulactl.formulation.units import MASS_KG, VOLUME_L
from formulactl.model.kinds import KINDS
from formulactl.model.workflow import WORKFLOW_FIELDS
from formulactl.store import yamlio
from formulactl.store.paths import Step, parse_field_path, schema_path
from formulactl.store.schema import KindSchema

MAX_MAPPING_BYTES = 1 << 20
EXCEL_EPOCH = date(1899, 12, 30)  # serial 1 is 1900-01-01 once Excel's 1900 leap day is skipped
EXCEL = "excel"
KEY_FIELDS = ("id", "tax_id")
_SEPARATORS = re.compile(r"[;；、\n]+")
_TRUE = {"true", "yes", "y", "1", "是", "有", "✓"}
_FALSE = {"false", "no", "n", "0", "否", "无", "✗"}


class CellProblem(Exception):
    """A value that does not fit its field; the importer names the cell."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


@dataclass(frozen=True)
class Column:
    header: str
    path: str
    steps: list[Step]
    shape: dict[str, Any]  # the field's schema
    values: dict[str, Any] = field(default_factory=dict)
    dates: tuple[str, ...] = ("%Y-%m-%d",)
    factor: Decimal | None = None  # unit conversion, column unit → field unit
    optional: bool = False


@dataclass(frozen=True)
class Mapping:
    kind: str
    sheet: str | None
    header_row: int
    key: str | None  # the header of the column that identifies a row
    columns: list[Column]
    defaults: dict[str, Any]  # field path → value for fields the sheet does not fill

    def key_column(self) -> Column | None:
        return next((column for column in self.columns if column.header == self.key), None)


def load_mapping(path: Path, kind: str, schema: KindSchema) -> Mapping:
    """A mapping file checked against `kind`'s schema; a problem names its line."""
    raw = read_user_file(path, MAX_MAPPING_BYTES)
    data = yamlio.load_record(raw, path.name, MAX_MAPPING_BYTES)

    def fail(pointer: str, message: str, hint: str) -> FormulaError:
        line, col = yamlio.locate(raw, [pointer]).get(pointer, (0, 0))
        return FormulaError(message, hint, path.name, line, col, rule="mapping")

    named = data.get("kind", kind)
    if named != kind:
        raise fail("/kind", f"this mapping is for {named}, not {kind}", f"import {named} …")
    known = {"kind", "sheet", "header_row", "key", "columns", "defaults"}
    for name in data:
        if name not in known:
            raise fail(f"/{name}", f"unknown setting `{name}`", f"use {', '.join(sorted(known))}")
    header_row = data.get("header_row", 1)
    if not isinstance(header_row, int) or isinstance(header_row, bool) or header_row < 1:
        raise fail("/header_row", "header_row is not a row number", "write e.g. header_row: 1")
    columns_data = data.get("columns")
    if not isinstance(columns_data, dict) or not columns_data:
        raise fail("/columns" if "columns" in data else "", "no columns", "map headers to fields")
    columns = [
        _column(
            str(header),
            spec,
            schema,
            lambda p, m, h, at=str(header): fail(f"/columns/{at}{p}", m, h),
        )
        for header, spec in columns_data.items()
    ]
    key = data.get("key")
    if key is not None:
        chosen = next((column for column in columns if column.header == key), None)
        if chosen is None or chosen.path not in KEY_FIELDS:
            raise fail(
                "/key",
                f"key `{key}` is not a mapped column filling id or tax_id",
                "name the column that holds the record's ID or the tax ID",
            )
    defaults = data.get("defaults") or {}
    if not isinstance(defaults, dict):
        raise fail("/defaults", "defaults is not a mapping", "write field: value lines")
    for name in defaults:
        _field(str(name), schema, lambda m, h, at=str(name): fail(f"/defaults/{at}", m, h))
    sheet = data.get("sheet")
    return Mapping(kind, str(sheet) if sheet else None, header_row, key, columns, defaults)


def _field(text: str, schema: KindSchema, fail: Any) -> tuple[list[Step], dict[str, Any]]:
    """A field path the kind has and an import may fill (never a workflow field)."""
    try:
        steps = parse_field_path(text)
    except FormulaError as error:
        raise fail(error.finding.message, error.finding.hint) from None
    found = schema.subschema(schema_path(steps))
    if found is None:
        raise fail(
            f"{schema.kind} has no field `{text}`",
            "write a field path as for `set`, e.g. contacts[0].phone",
        )
    if steps[0] in WORKFLOW_FIELDS or steps[0] == "version":
        raise fail(f"`{text}` changes only through the workflow commands", "leave it out")
    return steps, found


def _column(header: str, spec: Any, schema: KindSchema, fail: Any) -> Column:
    if isinstance(spec, str):
        spec = {"field": spec}
    if not isinstance(spec, dict) or not isinstance(spec.get("field"), str):
        raise fail("", f"column {header} names no field", "write `field: name` under it")
    steps, found = _field(spec["field"], schema, lambda m, h: fail("/field", m, h))
    values = spec.get("values") or {}
    if not isinstance(values, dict):
        raise fail("/values", "values is not a mapping", "write 重要客户: key lines")
    dates = spec.get("dates", ["%Y-%m-%d"])
    if not isinstance(dates, list) or not all(isinstance(item, str) for item in dates):
        raise fail("/dates", "dates is not a list of formats", 'write ["%Y/%m/%d", excel]')
    return Column(
        header,
        spec["field"],
        steps,
        found,
        {str(word): value for word, value in values.items()},
        tuple(dates),
        _factor(spec.get("unit"), lambda m, h: fail("/unit", m, h)),
        bool(spec.get("optional", False)),
    )


def _factor(unit: Any, fail: Any) -> Decimal | None:
    """`unit: {from: t, to: kg}` → 1000: what a column's numbers are multiplied by."""
    if unit is None:
        return None
    if isinstance(unit, dict) and {"from", "to"} == set(unit):
        for table in (MASS_KG, VOLUME_L):
            if unit["from"] in table and unit["to"] in table:
                return table[unit["from"]] / table[unit["to"]]
    raise fail(
        "unit is not a conversion formulactl knows", "write {from: t, to: kg} (g, kg, t; mL, L)"
    )


def cell_value(column: Column, value: Any) -> Any:
    """The field's value for a cell, or a CellProblem saying what to change."""
    if isinstance(value, str):
        value = value.strip()
    if isinstance(value, str) and value in column.values:
        return column.values[value]
    kind = column.shape.get("type")
    if "enum" in column.shape:
        if value in column.shape["enum"]:
            return value
        words = ", ".join(map(str, column.shape["enum"]))
        raise CellProblem(
            f"{value} is not one of {words}",
            f"add `{value}: …` under values for column {column.header} in the mapping",
        )
    if column.shape.get("format") == "date":
        return _date(column, value)
    if kind in ("number", "integer"):
        return _number(column, value, kind)
    if kind == "boolean":
        return _boolean(value)
    if kind == "array":
        items = value if isinstance(value, list) else _SEPARATORS.split(str(value))
        return [item.strip() for item in map(str, items) if item.strip()]
    return _text(value)


def _text(value: Any) -> str:
    """Text as a person reads it: 13800001111 typed as a number stays 13800001111."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _date(column: Column, value: Any) -> str:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if EXCEL not in column.dates:
            raise CellProblem(
                f"{value:g} is a number, not a date (an Excel serial date?)",
                f"format the cells as dates, or add `{EXCEL}` to dates of {column.header}",
            )
        if not 1 <= value < 2958466:
            raise CellProblem(f"{value:g} is no Excel date", "type the date as YYYY-MM-DD")
        return (EXCEL_EPOCH + timedelta(days=int(value))).isoformat()
    text = str(value)
    for pattern in column.dates:
        if pattern == EXCEL:
            continue
        try:
            return datetime.strptime(text, pattern).date().isoformat()
        except ValueError:
            continue
    shown = ", ".join(column.dates)
    raise CellProblem(
        f"{text} is not a date in {shown}",
        f"retype it, or add its format to dates of {column.header}",
    )


def _number(column: Column, value: Any, kind: str) -> int | float:
    try:
        number = Decimal(str(value).replace(",", "").replace("，", ""))
    except InvalidOperation:
        raise CellProblem(f"{value} is not a number", "write digits only") from None
    if not number.is_finite():
        raise CellProblem(f"{value} is not a number", "write digits only")
    if column.factor is not None:
        number *= column.factor
    if kind == "integer" or number == number.to_integral_value():
        if kind == "integer" and number != number.to_integral_value():
            raise CellProblem(f"{value} is not a whole number", "write a whole number")
        return int(number)
    return float(number)


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().casefold()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise CellProblem(f"{value} is not yes or no", "write 是 or 否 (yes or no)")


def kind_known(kind: str) -> None:
    if kind not in KINDS:
        raise FormulaError(
            f"`{kind}` is not a kind of record",
            f"kinds: {', '.join(sorted(KINDS))}",
            rule="usage",
        )
