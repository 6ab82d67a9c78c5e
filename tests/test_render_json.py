"""`to_json` tells plain data apart by exact type first; the result must be what walking every
node gives: tuples as lists, keys as text, dataclasses by their fields, paths as text. And
`json_text`, which hands plain data to orjson, must write what Python's json writes."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from formulactl.cli.common import _ascii_escaped, json_text
from formulactl.cli.render import to_json


@dataclasses.dataclass(frozen=True)
class Row:
    name: str
    values: tuple[Any, ...]


def walked(value: Any) -> Any:
    """Every node converted the slow way: what `to_json` must equal."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: walked(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(key): walked(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [walked(item) for item in value]
    if isinstance(value, Path):
        return str(value)
    return value


SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
KEYS = st.text(max_size=5) | st.integers(0, 9)


def nodes(scalars: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.recursive(
        scalars,
        lambda inner: (
            st.lists(inner, max_size=4)
            | st.lists(inner, max_size=3).map(tuple)
            | st.dictionaries(KEYS, inner, max_size=4)
            | st.builds(Row, st.text(max_size=3), st.lists(inner, max_size=2).map(tuple))
            | st.builds(Path, st.text("abc/", min_size=1, max_size=6))
        ),
        max_leaves=30,
    )


NODES = nodes(SCALARS)


@settings(max_examples=300, deadline=None)
@given(NODES)
def test_to_json_equals_converting_every_node(value: Any) -> None:
    converted = to_json(value)
    assert converted == walked(value)
    assert json.dumps(converted, indent=2) == json.dumps(walked(value), indent=2)


WITHOUT_FLOATS = st.none() | st.booleans() | st.integers() | st.text()


@settings(max_examples=300, deadline=None)
@given(nodes(WITHOUT_FLOATS))
def test_json_text_is_the_text_python_json_writes(value: Any) -> None:
    """orjson writes what json.dumps(indent=2) writes, byte for byte (integers beyond 64
    bits and keys that are not text go through json.dumps itself)."""
    assert json_text(value) == json.dumps(to_json(value), ensure_ascii=False, indent=2)


@settings(max_examples=300, deadline=None)
@given(nodes(SCALARS.filter(lambda v: v not in (float("inf"), float("-inf")))))
def test_json_text_holds_the_same_values_escaped_or_not(value: Any) -> None:
    """Floats may be spelled differently (0.00001 for 1e-05), never valued differently; on a
    terminal that cannot show every character, everything beyond ASCII is a \\u escape."""
    expected = json.loads(json.dumps(to_json(value)))
    assert json.loads(json_text(value)) == expected
    escaped = _ascii_escaped(json_text(value))
    assert escaped.isascii() and json.loads(escaped) == expected


def test_numbers_json_cannot_hold_are_null_and_delete_is_escaped_for_an_ascii_terminal() -> None:
    assert json.loads(json_text([float("inf"), float("-inf"), float("nan"), 1.5])) == [
        None,
        None,
        None,
        1.5,
    ]
    text = json_text({"name": "a\x7fb 华 😀"})
    assert _ascii_escaped(text) == json.dumps({"name": "a\x7fb 华 😀"}, indent=2)
