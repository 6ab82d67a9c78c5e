"""The canonical writer: load → write → load gives the same data, and canonical text is stable."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from formulactl.errors import FormulaError
from formulactl.store.yamlio import Shape, dump, load_record

TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30)
TRICKY = st.sampled_from(
    [
        "NO",
        "yes",
        "0012",
        "1:20",
        "2026-01-01",
        "1e3",
        "~",
        "null",
        "",
        " lead",
        "trail ",
        "a: b",
        "a #b",
        "#x",
        "- x",
        "[x]",
        "{x}",
        "*x",
        "&x",
        "!x",
        "%x",
        "@x",
        "`x",
        "'q'",
        '"q"',
        "line1\nline2",
        "line1\nline2\n",
        "\nfirst empty",
        "tab\tinside",
        "end:",
        "多行\n中文\n",
        "x\r\ny",
        "\u2028",
        "\ufeff",
        "\x85",
        "\x00",
        "<<",
        "=",
        ".inf",
        "-",
        "0.5",
        "1_000",
        "+1",
        "0x1f",
        "  indented\nsecond",
        "a\n\n\n",
        "a\n \nb",
    ]
)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**20), max_value=10**20)
    | st.floats(allow_nan=False, allow_infinity=False)
    | TEXT
    | TRICKY
)
KEYS = TEXT | TRICKY
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=4),
    max_leaves=20,
)
RECORDS = st.dictionaries(KEYS, VALUES, min_size=1, max_size=6)


def same(left: Any, right: Any) -> bool:
    """Equal in value and in JSON type (1 and 1.0 and True differ); key order aside."""
    if type(left) is not type(right):
        return False
    if isinstance(left, dict):
        return set(left) == set(right) and all(same(left[k], right[k]) for k in left)
    if isinstance(left, list):
        return len(left) == len(right) and all(map(same, left, right))
    return bool(left == right)


def reload(text: str) -> dict[str, Any]:
    return load_record(text.encode("utf-8"), "x.yaml", 1 << 24)


@settings(max_examples=400, deadline=None)
@given(RECORDS)
def test_write_then_load_gives_back_the_same_data(record: dict[str, Any]) -> None:
    text = dump(record, None)
    loaded = reload(text)
    assert same(loaded, record)


@settings(max_examples=200, deadline=None)
@given(RECORDS)
def test_canonical_text_is_rewritten_byte_for_byte(record: dict[str, Any]) -> None:
    text = dump(record, None)
    assert dump(reload(text), None) == text


def test_key_order_comes_from_the_shape_and_unknown_keys_follow_sorted() -> None:
    line = Shape(order=("material", "percent"))
    shape = Shape(order=("id", "name", "lines"), props={"lines": Shape(items=line)})
    record = {
        "zeta": 1,
        "lines": [{"percent": 5, "material": "M-1"}],
        "name": "x",
        "id": "A",
        "alpha": 2,
    }
    assert dump(record, shape) == (
        "id: A\nname: x\nlines:\n  - material: M-1\n    percent: 5\nalpha: 2\nzeta: 1\n"
    )


def test_ambiguous_text_is_quoted_and_chinese_is_written_as_itself() -> None:
    text = dump({"a": "NO", "b": "0012", "c": "1:20", "d": "2026-01-01", "e": "上海华彩"}, None)
    assert text == 'a: "NO"\nb: "0012"\nc: "1:20"\nd: "2026-01-01"\ne: 上海华彩\n'


def test_multi_line_text_uses_a_literal_block() -> None:
    assert dump({"notes": "first\nsecond\n"}, None) == "notes: |\n  first\n  second\n"
    assert dump({"notes": "first\nsecond"}, None) == "notes: |-\n  first\n  second\n"


def test_nested_lists_and_empty_collections() -> None:
    record = {"a": [[1, 2], []], "b": {}, "c": [{"x": [{"y": 1}]}]}
    text = dump(record, None)
    assert text == "a:\n  - - 1\n    - 2\n  - []\nb: {}\nc:\n  - x:\n      - y: 1\n"
    assert same(reload(text), record)


def test_floats_keep_their_type_in_any_yaml_reader() -> None:
    assert dump({"a": 1e16, "b": 5e-324, "c": 10.0}, None) == "a: 1.0e+16\nb: 5.0e-324\nc: 10.0\n"


def test_non_finite_numbers_cannot_be_written() -> None:
    with pytest.raises(FormulaError):
        dump({"a": float("inf")}, None)
