"""The records of a kind at one commit as flat tables: one main table, and one child table
per list of objects (formula → ingredients, order → lines, batch → lots), keyed by the record
ID and the item's position. The layout is read from the kind's schema, so a field or list
added to a schema appears in every export and in SQL without a line changed here.

Naming, the same in every format and in SQL: a kind's main table is its folder name
(`customers`, `formulas`, `orders`); a child table is `KIND_FIELD` (`formula_ingredients`,
`order_lines`) with the key columns `KIND_id` and `position` (1-based) first. A nested
object's fields are flattened with `_` (`standard_batch_quantity`); a list of plain values is
one list column; a mapping (a process step's parameters) is one JSON text column.

A sealed value stays the word "sealed": the `fcx2:` token is ciphertext that nobody can open
outside its record (the key envelope is not exported), is a hundred characters a spreadsheet
user can do nothing with, and would carry ciphertext into files that travel to ERPs and
auditors. A column that holds any sealed value (or any value its schema type does not admit)
is text; opened with `--decrypt` it keeps the schema's type.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from formulactl.errors import FormulaError
from formulactl.model.kinds import KINDS, kind_named
from formulactl.model.sealed import ENVELOPE, is_sealed
from formulactl.store.query import Condition, refuse_sealed
from formulactl.store.schema import CONFLICTS, FieldPath, KindSchema, is_date
from formulactl.store.store import Record, Store
from formulactl.trace.snapshot import load_snapshot
from formulactl.trace.tables import Table

SEALED = "sealed"
# Column types, named as DuckDB names them, so a table loads into SQL as it is. Numbers
# are exact decimals (ten places), so percentages of a formula add up to 100, not 99.99…
TEXT, NUMBER, INTEGER, BOOLEAN, DATE, LIST = (
    "VARCHAR",
    "DECIMAL(38,10)",
    "BIGINT",
    "BOOLEAN",
    "DATE",
    "VARCHAR[]",
)


@dataclass(frozen=True)
class Column:
    name: str
    path: tuple[str, ...]  # where the value sits in the record (or in the list item)
    type: str
    mapping: bool = False  # a free-form mapping, kept as JSON text


@dataclass(frozen=True)
class Layout:
    """How one record kind (or one list inside it) becomes a table."""

    name: str
    keys: tuple[str, ...]  # the key columns that come before the table's own columns
    columns: tuple[Column, ...]
    children: tuple[tuple[tuple[str, ...], Layout], ...]  # (path of the list, its layout)


@dataclass
class DataTable:
    """Rows of plain values (text, numbers, booleans, ISO dates, tuples for lists)."""

    name: str
    columns: tuple[str, ...]
    types: tuple[str, ...]
    rows: list[tuple[Any, ...]] = field(default_factory=list)

    def as_table(self) -> Table:
        return Table(self.name, self.columns, tuple(self.rows))

    def as_dicts(self) -> list[dict[str, Any]]:
        return [
            {
                name: list(value) if isinstance(value, tuple) else value
                for name, value in zip(self.columns, row, strict=True)
            }
            for row in self.rows
        ]


@dataclass
class Dataset:
    """Tables of records read at one commit of one store, with what stayed sealed."""

    store_id: str
    commit: str
    kinds: tuple[str, ...]
    parts: list[DataTable]
    sealed: list[str] = field(default_factory=list)  # IDs this reader could not open
    decrypted: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "store_id": self.store_id,
            "commit": self.commit,
            "kinds": list(self.kinds),
            "decrypted": self.decrypted,
            "tables": {part.name: part.as_dicts() for part in self.parts},
        }

    def tables(self) -> list[Table]:
        return [part.as_table() for part in self.parts]


def layout(schema: KindSchema) -> Layout:
    """The tables of a kind, read from its schema."""
    kind = KINDS[schema.kind]
    return _layout(schema, kind.folder, (), (), skip={ENVELOPE, CONFLICTS}, prefix=kind.name)


def _layout(
    schema: KindSchema,
    name: str,
    keys: tuple[str, ...],
    base: FieldPath,
    skip: set[str],
    prefix: str,
) -> Layout:
    columns: list[Column] = []
    children: list[tuple[tuple[str, ...], Layout]] = []
    _fields(schema, base, (), skip, columns, children, name, keys, prefix)
    return Layout(name, keys, tuple(columns), tuple(children))


def _fields(
    schema: KindSchema,
    base: FieldPath,
    inner: tuple[str, ...],
    skip: set[str],
    columns: list[Column],
    children: list[tuple[tuple[str, ...], Layout]],
    table: str,
    keys: tuple[str, ...],
    prefix: str,
) -> None:
    """Columns for the fields of the object at `base + inner`; nested objects flatten into
    the same row, lists of objects become child tables."""
    node = _plain(schema.subschema(base + inner))
    for name in node.get("properties") or {}:
        if name in skip:
            continue
        path = (*inner, name)
        sub = _plain(schema.subschema(base + path))
        column = "_".join(path)
        kind = sub.get("type")
        if kind == "object" and sub.get("properties"):
            _fields(schema, base, path, set(), columns, children, table, keys, prefix)
        elif kind == "object":
            columns.append(Column(column, path, TEXT, mapping=True))
        elif kind == "array":
            items = _plain(schema.subschema((*base, *path, "*")))
            if items.get("type") == "object" and items.get("properties"):
                if not keys:  # a list in the record: keyed by its ID and position
                    child_keys: tuple[str, ...] = (f"{prefix}_id", "position")
                else:  # a list inside a list item: keyed by both positions
                    child_keys = (*keys[:-1], f"{table}_position", "position")
                named = f"{prefix if not keys else table}_{column}"
                child = _layout(schema, named, child_keys, (*base, *path, "*"), set(), prefix)
                children.append((path, child))
            else:
                columns.append(Column(column, path, LIST))
        else:
            columns.append(Column(column, path, _scalar_type(sub)))


def _plain(node: dict[str, Any] | None) -> dict[str, Any]:
    """A field's own schema: a confidential field accepts its value or a sealed one
    (`anyOf`), and the first branch is the value's."""
    node = node or {}
    if node.get("x-sensitive") and isinstance(node.get("anyOf"), list):
        first = node["anyOf"][0]
        return first if isinstance(first, dict) else {}
    return node


def _scalar_type(node: dict[str, Any]) -> str:
    kind = node.get("type")
    if kind == "string":
        return DATE if node.get("format") == "date" else TEXT
    return {"number": NUMBER, "integer": INTEGER, "boolean": BOOLEAN}.get(
        kind if isinstance(kind, str) else "", TEXT
    )


def build(
    store: Store, kinds: Iterable[str], records: dict[str, dict[str, dict[str, Any]]]
) -> list[DataTable]:
    """The tables of each kind from its records (ID → data), rows in ID order."""
    built: list[DataTable] = []
    for kind in kinds:
        built.extend(tables_of(layout(store.schema(kind)), records.get(kind, {})))
    return built


def tables_of(shape: Layout, records: dict[str, dict[str, Any]]) -> list[DataTable]:
    """One kind's records (ID → data) laid out as `shape` says, rows in ID order."""
    found = _empty(shape)
    for record_id in sorted(records):
        _rows(shape, records[record_id], (record_id,), found)
    return [_typed(found[name], shape_of) for name, shape_of in _layouts(shape)]


def _layouts(shape: Layout) -> list[tuple[str, Layout]]:
    found = [(shape.name, shape)]
    for _path, child in shape.children:
        found.extend(_layouts(child))
    return found


def _empty(shape: Layout) -> dict[str, list[tuple[Any, ...]]]:
    return {name: [] for name, _ in _layouts(shape)}


def _rows(
    shape: Layout, data: Any, key: tuple[Any, ...], found: dict[str, list[tuple[Any, ...]]]
) -> None:
    if not isinstance(data, dict):
        return
    own = key if shape.keys else ()  # a record's own ID is one of its fields
    found[shape.name].append((*own, *(_value(data, column) for column in shape.columns)))
    for path, child in shape.children:
        items = _at(data, path)
        if not isinstance(items, list):
            continue
        for position, item in enumerate(items, start=1):
            _rows(child, item, (*key, position), found)


def _at(data: Any, path: tuple[str, ...]) -> Any:
    for step in path:
        if not isinstance(data, dict):
            return None
        data = data.get(step)
    return data


def _value(data: dict[str, Any], column: Column) -> Any:
    value = _at(data, column.path)
    if value is None:
        return None
    if column.mapping:
        return json.dumps(_unsealed(value), ensure_ascii=False)
    if column.type == LIST:
        items = value if isinstance(value, list) else [value]
        return tuple(SEALED if is_sealed(item) else _text(item) for item in items)
    return SEALED if is_sealed(value) else value


def _unsealed(value: Any) -> Any:
    """A mapping as it is, with every sealed value inside it the word "sealed"."""
    if isinstance(value, dict):
        return {key: _unsealed(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_unsealed(item) for item in value]
    return SEALED if is_sealed(value) else value


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _typed(rows: list[tuple[Any, ...]], shape: Layout) -> DataTable:
    """The table with each column's schema type, or text where a value does not fit it
    (a sealed value, a record `validate` would refuse): SQL never meets a mixed column."""
    names = (*shape.keys, *(column.name for column in shape.columns))
    types = [INTEGER if key.endswith("position") else TEXT for key in shape.keys]
    types += [column.type for column in shape.columns]
    for index, wanted in enumerate(types):
        if wanted in (TEXT, LIST):
            continue
        if not all(row[index] is None or _fits(row[index], wanted) for row in rows):
            types[index] = TEXT
            rows = [
                (*row[:index], None if row[index] is None else _text(row[index]), *row[index + 1 :])
                for row in rows
            ]
    for index, wanted in enumerate(types):
        if wanted == TEXT:
            rows = [
                row if row[index] is None or isinstance(row[index], str) else _retext(row, index)
                for row in rows
            ]
    return DataTable(shape.name, names, tuple(types), rows)


def _retext(row: tuple[Any, ...], index: int) -> tuple[Any, ...]:
    return (*row[:index], _text(row[index]), *row[index + 1 :])


def _fits(value: Any, wanted: str) -> bool:
    if wanted == NUMBER:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if wanted == INTEGER:
        return isinstance(value, int) and not isinstance(value, bool)
    if wanted == BOOLEAN:
        return isinstance(value, bool)
    if wanted == DATE:
        return isinstance(value, str) and len(value) == 10 and is_date(value)
    return True


def gather(
    store: Store,
    commit: str,
    kinds: Sequence[str],
    conditions: Sequence[Condition] = (),
    identities: list[Any] | None = None,
) -> Dataset:
    """The tables of `kinds` at `commit` from the parsed-record cache; with `identities`,
    each record is opened first (what this reader cannot open stays sealed and is named),
    and only records meeting every condition are kept."""
    from formulactl.store.query import records_cache

    snapshot = load_snapshot(store, commit, records_cache(store))
    chosen: dict[str, dict[str, dict[str, Any]]] = {}
    sealed: list[str] = []
    for kind in kinds:
        records = snapshot.of(kind)
        if identities is not None:
            records, closed = _opened(store, kind, records, identities)
            sealed.extend(closed)
        else:
            refuse_sealed(conditions)
        chosen[kind] = {
            record_id: data
            for record_id, data in records.items()
            if all(condition.holds(data) for condition in conditions)
        }
    return Dataset(
        store.settings.store_id,
        commit,
        tuple(kinds),
        build(store, kinds, chosen),
        sorted(sealed),
        identities is not None,
    )


def _opened(
    store: Store, kind: str, records: Mapping[str, dict[str, Any]], identities: list[Any]
) -> tuple[dict[str, dict[str, Any]], list[str]]:
    from formulactl.crypto.opening import open_readable

    folder = KINDS[kind].folder
    listed = [
        Record(record_id, kind, f"records/{folder}/{record_id}.yaml", data)
        for record_id, data in records.items()
    ]
    opened: dict[str, dict[str, Any]] = {}
    closed: list[str] = []
    for record, outcome in zip(listed, open_readable(store, listed, identities), strict=True):
        if isinstance(outcome, FormulaError):
            closed.append(record.id)
            opened[record.id] = record.data
        else:
            opened[record.id] = outcome
    return opened, closed


def known_kind(name: str) -> str:
    """A kind named by its name or folder (`formula`, `formulas`)."""
    return kind_named(name).name
