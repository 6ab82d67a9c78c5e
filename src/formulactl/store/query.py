"""Reading many records at once for `list`, with parsed records cached by blob ID."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from formulactl.errors import Finding, FormulaError
from formulactl.git import gitio
from formulactl.model.kinds import KINDS, RECORDS_DIR
from formulactl.store.cache import BlobCache
from formulactl.store.paths import parse_field_path, split_assignment
from formulactl.store.store import Record, Store


@dataclass
class Selection:
    records: list[Record] = field(default_factory=list)
    skipped: list[Finding] = field(default_factory=list)


@dataclass(frozen=True)
class Condition:
    field: str
    value: str

    def holds(self, data: dict[str, Any]) -> bool:
        found = value_at(data, self.field)
        if isinstance(found, list):
            return any(_text(item) == self.value for item in found)
        return _text(found) == self.value


def parse_condition(text: str) -> Condition:
    split = split_assignment(text)
    if split is None:
        raise FormulaError(
            f"`{text}` is not FIELD=VALUE", "write it like status=approved", rule="usage"
        )
    name, value = split
    parse_field_path(name)
    return Condition(name, value)


def value_at(data: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        if not isinstance(data, dict):
            return None
        data = data.get(part)
    return data


def select_records(
    store: Store, kind: str, where: Iterable[Condition], cache: BlobCache
) -> Selection:
    conditions = list(where)
    prefix = f"{RECORDS_DIR}/{KINDS[kind].folder}/"
    selection = Selection()
    for path, blob in sorted(store.listing().items()):
        if not path.startswith(prefix) or not path.endswith(".yaml"):
            continue
        data = cache.get(blob) if blob else None
        if data is None:
            try:
                raw = store.read_bytes(path)
                data = store.parse(path, raw).data
            except FormulaError as error:
                selection.skipped.append(error.finding)
                continue
            cache.put(blob or gitio.blob_id(raw), data)
        if all(condition.holds(data) for condition in conditions):
            record_id = path.rsplit("/", 1)[-1][:-5]
            selection.records.append(Record(record_id, kind, path, data))
    cache.save(prune=False)
    return selection


def _text(value: Any) -> str:
    if value is True or value is False:
        return str(value).lower()
    return "" if value is None else str(value)
