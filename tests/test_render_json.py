"""`to_json` tells plain data apart by exact type first; the result must be what walking every
node gives: tuples as lists, keys as text, dataclasses by their fields, paths as text."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

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
NODES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.lists(inner, max_size=3).map(tuple)
        | st.dictionaries(KEYS, inner, max_size=4)
        | st.builds(Row, st.text(max_size=3), st.lists(inner, max_size=2).map(tuple))
        | st.builds(Path, st.text("abc/", min_size=1, max_size=6))
    ),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(NODES)
def test_to_json_equals_converting_every_node(value: Any) -> None:
    converted = to_json(value)
    assert converted == walked(value)
    assert json.dumps(converted, indent=2) == json.dumps(walked(value), indent=2)
