"""A field-level three-way merge for records, as git's merge driver.

Two branches that changed different fields of one record merge cleanly and the result is
canonical; a change of the same field on both sides is a conflict. A conflict never leaves
broken YAML: the file keeps our side and lists each conflict under `merge_conflicts`, which
`validate` reports until someone resolves it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from formulactl.store.paths import line_label
from formulactl.store.schema import CONFLICTS, KindSchema

_ABSENT = object()


@dataclass
class Merged:
    data: dict[str, Any]
    conflicts: list[dict[str, Any]]


ADDED_TWICE = "(the whole record: both branches made it)"


def merge(
    schema: KindSchema, base: dict[str, Any] | None, ours: dict[str, Any], theirs: dict[str, Any]
) -> Merged:
    """Merge field by field; with no base (both branches added the file, as two clones
    giving out the same next ID do) anything but identical content is one conflict over the
    whole record, never a silent mix or one side dropped."""
    conflicts: list[dict[str, Any]] = []
    if base is None:
        if not _same(ours, theirs):
            conflicts.append({"field": ADDED_TWICE, "ours": ours, "theirs": theirs})
        data = dict(ours)
    else:
        data = _merge(schema, (), base, ours, theirs, "", conflicts)
    if conflicts:
        data[CONFLICTS] = conflicts
    return Merged(data, conflicts)


def _merge(
    schema: KindSchema,
    path: tuple[str, ...],
    base: Any,
    ours: Any,
    theirs: Any,
    name: str,
    conflicts: list[dict[str, Any]],
) -> Any:
    if _same(ours, theirs):
        return ours
    if _same(base, ours):
        return theirs
    if _same(base, theirs):
        return ours
    if all(isinstance(side, dict) for side in (base, ours, theirs)):
        return _merge_mappings(schema, path, base, ours, theirs, name, conflicts)
    keys = schema.list_keys.get(path)
    if keys and all(isinstance(side, list) for side in (base, ours, theirs)):
        return _merge_lines(schema, path, keys, base, ours, theirs, name, conflicts)
    conflicts.append(
        {"field": name or "(the record)", "ours": _side(ours), "theirs": _side(theirs)}
    )
    return ours


def _merge_mappings(
    schema: KindSchema,
    path: tuple[str, ...],
    base: dict[str, Any],
    ours: dict[str, Any],
    theirs: dict[str, Any],
    name: str,
    conflicts: list[dict[str, Any]],
) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for key in [
        *ours,
        *(k for k in theirs if k not in ours),
        *(k for k in base if k not in ours and k not in theirs),
    ]:
        child = f"{name}.{key}" if name else key
        value = _merge(
            schema,
            (*path, key),
            base.get(key, _ABSENT),
            ours.get(key, _ABSENT),
            theirs.get(key, _ABSENT),
            child,
            conflicts,
        )
        if value is not _ABSENT:
            merged[key] = value
    return merged


def _merge_lines(
    schema: KindSchema,
    path: tuple[str, ...],
    keys: tuple[str, ...],
    base: list[Any],
    ours: list[Any],
    theirs: list[Any],
    name: str,
    conflicts: list[dict[str, Any]],
) -> Any:
    def by_key(items: list[Any]) -> dict[str, Any] | None:
        found = {}
        for item in items:
            label = line_label(item, keys)
            if label is None:
                return None
            found[label] = item
        return found if len(found) == len(items) else None

    sides = [by_key(side) for side in (base, ours, theirs)]
    if any(side is None for side in sides):
        conflicts.append({"field": name, "ours": _side(ours), "theirs": _side(theirs)})
        return ours
    old, mine, yours = (side or {} for side in sides)
    lines = []
    for label in [*mine, *(line for line in yours if line not in mine)]:
        value = _merge(
            schema,
            (*path, "*"),
            old.get(label, _ABSENT),
            mine.get(label, _ABSENT),
            yours.get(label, _ABSENT),
            f"{name}[{label}]",
            conflicts,
        )
        if value is not _ABSENT:
            lines.append(value)
    return lines


def _side(value: Any) -> Any:
    return "(removed)" if value is _ABSENT else value


def _same(left: Any, right: Any) -> bool:
    return type(left) is type(right) and left == right
