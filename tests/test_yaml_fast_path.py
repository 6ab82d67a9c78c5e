"""The strict loader's fast path (plain scalars attached in the event loop itself) reads
every file exactly as its general path does: the same data, the same errors at the same
places. `locate` runs the general path (it notes places), so the two are compared here."""

from __future__ import annotations

from pathlib import Path

import pytest

from formulactl.store import yamlio
from formulactl.store.yamlio import YamlError, load_record

ROOT = Path(__file__).resolve().parent.parent
LIMIT = 1 << 20


def general(data: bytes) -> object:
    """The value as the general path builds it (the one that also notes places)."""
    return yamlio._load(data, "x.yaml", LIMIT, {})


def sample_records() -> list[Path]:
    return sorted((ROOT / "records").glob("*/*.yaml"))


def test_every_sample_record_reads_the_same_both_ways() -> None:
    files = sample_records()
    assert len(files) >= 100
    for path in files:
        data = path.read_bytes()
        fast = load_record(data, path.name, LIMIT)
        assert fast == general(data), path.name
        assert list(fast) == list(general(data)), path.name  # field order kept too


MIXED = """\
id: F-000001
"1": one
'null': quoted key
count: 12
ratio: -0.25
big: 1e3
code: 0012
flag: true
off: off
empty:
tilde: ~
date: '2026-01-01'
text: |
  two
  lines
lines:
  - material: M-00001
    percent: 30
  - [a, 1, null]
  - {x: 1, y: [true, "2"]}
  -
  - - nested
    - 2.5
map: {}
list: []
"""


def test_mixed_scalars_lists_and_mappings_read_the_same_both_ways() -> None:
    data = MIXED.encode()
    fast = load_record(data, "x.yaml", LIMIT)
    assert fast == general(data)
    assert fast["1"] == "one" and fast["null"] == "quoted key"
    assert (fast["count"], fast["ratio"], fast["big"]) == (12, -0.25, 1000.0)
    assert (fast["code"], fast["flag"], fast["off"]) == ("0012", True, "off")
    assert fast["empty"] is None and fast["tilde"] is None
    assert fast["text"] == "two\nlines\n"
    assert fast["lines"] == [
        {"material": "M-00001", "percent": 30},
        ["a", 1, None],
        {"x": 1, "y": [True, "2"]},
        None,
        ["nested", 2.5],
    ]
    assert (fast["map"], fast["list"]) == ({}, [])


@pytest.mark.parametrize(
    ("text", "rule", "line", "col"),
    [
        ("a: 1\nb: 2\na: 3\n", "yaml-duplicate-key", 3, 1),
        ("top:\n  x: 1\n  x: 1\n", "yaml-duplicate-key", 3, 3),
        ("- a: 1\n  a: 2\n", "yaml-duplicate-key", 2, 3),
        ("a: 1\n1: x\n", "yaml-key", 2, 1),
        ("null: x\n", "yaml-key", 1, 1),
        ("true: x\n", "yaml-key", 1, 1),
        ("~: x\n", "yaml-key", 1, 1),
        ("1.5: x\n", "yaml-key", 1, 1),
        ("? [a]\n: x\n", "yaml-key", 1, 3),
        ("? {a: 1}\n: x\n", "yaml-key", 1, 3),
        ("a: &one 1\n", "yaml-alias", 1, 4),
        ("a: 1\nb: *one\n", "yaml-alias", 2, 4),
        ("a: !!int 1\n", "yaml-tag", 1, 4),
        ("a: !custom x\n", "yaml-tag", 1, 4),
        ("a: !!map {}\n", "yaml-tag", 1, 4),
    ],
)
def test_errors_are_the_same_both_ways(text: str, rule: str, line: int, col: int) -> None:
    data = text.encode()
    with pytest.raises(YamlError) as fast:
        load_record(data, "x.yaml", LIMIT)
    with pytest.raises(YamlError) as slow:
        general(data)
    assert fast.value.finding == slow.value.finding
    finding = fast.value.finding
    assert (finding.rule, finding.line, finding.col) == (rule, line, col)


def test_text_tags_keep_plain_values_as_text_both_ways() -> None:
    data = b"a: !!str 12\nb: ! true\nc: !!str null\n"
    expected = {"a": "12", "b": "true", "c": "null"}
    assert load_record(data, "x.yaml", LIMIT) == general(data) == expected
