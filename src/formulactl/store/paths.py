"""Field paths inside a record: `contacts[0].phone`, `ingredients[material=M-00012].percent`."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from formulactl.errors import FormulaError, pointer_part

# A step is a mapping key, a list index, or a (field, value) selector of a list item.
Step = str | int | tuple[str, str]
# No record nests this deep (YAML files are refused past yamlio.MAX_DEPTH levels too).
MAX_PATH_STEPS = 32
_STEP = re.compile(
    r"\.?([A-Za-z_][A-Za-z0-9_]*)|\[([0-9]+)\]|\[([A-Za-z_][A-Za-z0-9_]*)=([^\]]+)\]"
)


def parse_field_path(text: str) -> list[Step]:
    steps: list[Step] = []
    position = 0
    while position < len(text):
        found = _STEP.match(text, position)
        if not found or (position == 0 and text.startswith(".")):
            raise FormulaError(
                f"`{text}` is not a field path",
                "write fields like name, contacts[0].phone or "
                "ingredients[material=M-00012].percent",
                rule="bad-field",
            )
        key, index, field, value = found.groups()
        if key is not None:
            steps.append(key)
        elif index is not None:
            steps.append(int(index))
        else:
            steps.append((field, value))
        position = found.end()
        if len(steps) > MAX_PATH_STEPS:
            raise FormulaError(
                f"`{text[:40]}…` is more than {MAX_PATH_STEPS} fields deep",
                "records are shallow; name a field such as contacts[0].phone",
                rule="bad-field",
            )
    if not steps or not isinstance(steps[0], str):
        raise FormulaError(
            f"`{text}` is not a field path", "start with a field name", rule="bad-field"
        )
    return steps


def split_assignment(text: str) -> tuple[str, str] | None:
    """`FIELD=VALUE` → (FIELD, VALUE); the `=` inside `[material=M-1]` does not count."""
    depth = 0
    for position, char in enumerate(text):
        if char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
        elif char == "=" and depth == 0:
            return text[:position], text[position + 1 :]
    return None


def schema_path(steps: list[Step]) -> tuple[str, ...]:
    return tuple(step if isinstance(step, str) else "*" for step in steps)


def set_at(data: dict[str, Any], steps: list[Step], value: Any, text: str) -> None:
    """Set the value at the path, creating missing mappings and list items on the way."""
    node: Any = data
    for position, step in enumerate(steps):
        last = position == len(steps) - 1
        nxt = None if last else steps[position + 1]
        fresh: Any = [] if isinstance(nxt, (int, tuple)) else {}
        if isinstance(step, str):
            if not isinstance(node, dict):
                raise _not_here(text, step)
            if last:
                node[step] = value
            else:
                node = node.setdefault(step, fresh)
        elif isinstance(step, int):
            if not isinstance(node, list) or step > len(node):
                raise _not_here(text, step)
            if step == len(node):
                node.append(value if last else fresh)
            elif last:
                node[step] = value
            node = node[step]
        else:
            if not isinstance(node, list):
                raise _not_here(text, step)
            match = _select(node, step)
            if match is None:
                match = {step[0]: step[1]}
                node.append(match)
            if last:
                raise _not_here(text, step)
            node = match


def unset_at(data: dict[str, Any], steps: list[Step], text: str) -> None:
    node: Any = data
    for step in steps[:-1]:
        node = _step_into(node, step, text)
    last = steps[-1]
    if isinstance(last, tuple):
        node.remove(_step_into(node, last, text))
        return
    _step_into(node, last, text)  # refuses a path the record does not have
    del node[last]


def _step_into(node: Any, step: Step, text: str) -> Any:
    if isinstance(step, str) and isinstance(node, dict) and step in node:
        return node[step]
    if isinstance(step, int) and isinstance(node, list) and step < len(node):
        return node[step]
    if isinstance(step, tuple) and isinstance(node, list):
        found = _select(node, step)
        if found is not None:
            return found
    raise FormulaError(
        f"the record has no `{text}`", "check the field with `show`", rule="bad-field"
    )


def _select(items: list[Any], selector: tuple[str, str]) -> dict[str, Any] | None:
    field, value = selector
    for item in items:
        if isinstance(item, dict) and str(item.get(field)) == value:
            return item
    return None


def _not_here(text: str, step: Step) -> FormulaError:
    return FormulaError(
        f"cannot set `{text}`: `{step}` does not fit the record's shape there",
        "check the field with `show`",
        rule="bad-field",
    )


def walk(data: Any, path: tuple[str, ...], pointer: str = "") -> Iterator[tuple[str, Any]]:
    """Each value at a schema field path (`*` = every list item or mapping value)."""
    if not path:
        yield pointer, data
        return
    head, rest = path[0], path[1:]
    if head == "*":
        if isinstance(data, list):
            for index, item in enumerate(data):
                yield from walk(item, rest, pointer + pointer_part(index))
        elif isinstance(data, dict):
            for key, item in data.items():
                yield from walk(item, rest, pointer + pointer_part(key))
    elif isinstance(data, dict) and head in data:
        yield from walk(data[head], rest, pointer + pointer_part(head))


def line_label(item: Any, keys: tuple[str, ...]) -> str | None:
    """The stable name of a list line from its key fields (`material=M-00012,phase=A`), or
    None for a line without them. Sealing binds it into ciphertexts, diff and merge match
    lines by it, so all three must spell it the same way."""
    if isinstance(item, dict):
        parts = [f"{key}={item[key]}" for key in keys if key in item]  # no generators: hot
        if parts:
            return ",".join(parts)
    return None
