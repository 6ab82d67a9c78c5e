"""Semantic differences between two versions of a record: fields added, removed and changed,
list lines matched by their stable key (an ingredient by its material), not by position."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from formulactl.model.sealed import ENVELOPE, committed, is_sealed
from formulactl.store.paths import line_label
from formulactl.store.schema import KindSchema

HIDDEN = "(sealed)"


@dataclass(frozen=True)
class FieldChange:
    field: str  # the stable name, such as ingredients[material=M-00012,phase=A].percent
    change: str  # added, removed or changed
    before: Any = None
    after: Any = None


def record_diff(
    schema: KindSchema, before: dict[str, Any] | None, after: dict[str, Any] | None
) -> list[FieldChange]:
    """What changed from `before` to `after` (either may be None: created or deleted).

    Sealed values compare by commitment (legacy ones by ciphertext); their plain values show
    only when they were opened before diffing. The key envelope shows as a change of readers."""
    old, new = dict(before or {}), dict(after or {})
    changes = _readers_change(old.pop(ENVELOPE, None), new.pop(ENVELOPE, None))
    changes += list(_diff(schema, (), old, new, ""))
    return changes


def _diff(
    schema: KindSchema, path: tuple[str, ...], old: Any, new: Any, name: str
) -> list[FieldChange]:
    if isinstance(old, dict) and isinstance(new, dict):
        found: list[FieldChange] = []
        for key in [*old, *(key for key in new if key not in old)]:
            child = f"{name}.{key}" if name else key
            if key not in new:
                found.append(FieldChange(child, "removed", _shown(old[key]), None))
            elif key not in old:
                found.append(FieldChange(child, "added", None, _shown(new[key])))
            else:
                found += _diff(schema, (*path, key), old[key], new[key], child)
        return found
    keys = schema.list_keys.get(path)
    if isinstance(old, list) and isinstance(new, list) and keys:
        return _diff_lines(schema, path, keys, old, new, name)
    if type(old) is type(new) and committed(old) == committed(new):
        return []  # a sealed value resealed under another key, its commitment kept, is the same
    return [FieldChange(name, "changed", _shown(old), _shown(new))]


def _diff_lines(
    schema: KindSchema,
    path: tuple[str, ...],
    keys: tuple[str, ...],
    old: list[Any],
    new: list[Any],
    name: str,
) -> list[FieldChange]:
    def label(item: Any, index: int) -> str:
        return line_label(item, keys) or f"#{index}"

    before = {label(item, index): item for index, item in enumerate(old)}
    after = {label(item, index): item for index, item in enumerate(new)}
    found: list[FieldChange] = []
    for line in [*before, *(line for line in after if line not in before)]:
        child = f"{name}[{line}]"
        if line not in after:
            found.append(FieldChange(child, "removed", _shown(before[line]), None))
        elif line not in before:
            found.append(FieldChange(child, "added", None, _shown(after[line])))
        else:
            found += _diff(schema, (*path, "*"), before[line], after[line], child)
    return found


def _readers_change(old: Any, new: Any) -> list[FieldChange]:
    held = set(old.get("recipients", {})) if isinstance(old, dict) else set()
    holds = set(new.get("recipients", {})) if isinstance(new, dict) else set()
    same_key = (
        isinstance(old, dict) and isinstance(new, dict) and (old.get("key_id") == new.get("key_id"))
    )
    if held == holds and (same_key or not (held or holds)):
        return []
    return [FieldChange("readers", "changed", sorted(held), sorted(holds))]


def _shown(value: Any) -> Any:
    """Sealed values are never printed as ciphertext: they are hidden, or were opened."""
    if is_sealed(value):
        return HIDDEN
    if isinstance(value, dict):
        return {key: _shown(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_shown(item) for item in value]
    return value


def leaves(schema: KindSchema, data: dict[str, Any]) -> list[tuple[str, Any]]:
    """Every field of a record by its stable name, down to single values."""
    found: list[tuple[str, Any]] = []
    _leaves(schema, (), {k: v for k, v in data.items() if k != ENVELOPE}, "", found)
    return found


def _leaves(
    schema: KindSchema, path: tuple[str, ...], value: Any, name: str, found: list[tuple[str, Any]]
) -> None:
    if isinstance(value, dict) and value:
        for key, item in value.items():
            _leaves(schema, (*path, key), item, f"{name}.{key}" if name else key, found)
    elif isinstance(value, list) and value and path in schema.list_keys:
        keys = schema.list_keys[path]
        for index, item in enumerate(value):
            label = (
                ",".join(f"{key}={item[key]}" for key in keys if key in item)
                if isinstance(item, dict) and any(key in item for key in keys)
                else f"#{index}"
            )
            _leaves(schema, (*path, "*"), item, f"{name}[{label}]", found)
    else:
        found.append((name, _shown(value)))


def covers(change: str, field: str) -> bool:
    """A change of `change` (a field, a line or a whole list) touched `field`."""
    return field == change or field.startswith((change + ".", change + "["))


def cell_text(value: Any) -> str:
    """A value for one cell of a Markdown table."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text.replace("|", "\\|").replace("\n", " ")
