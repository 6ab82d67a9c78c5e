"""YAML that libyaml reads although the YAML 1.2 specification calls it invalid is refused,
with the file, line and column; the valid neighbours of each case still read."""

from __future__ import annotations

from typing import Any

import pytest

from formulactl.store import yamlio
from formulactl.store.yamlio import YamlError

GLUED = "a comment needs a space before `#`"
SHALLOW = "a line of a multi-line value must be indented more than its field"
BLANK = "this blank line has more spaces than the first line of text after it"

INVALID = [
    ('name: "华彩"#c\n', 1, 11, GLUED),
    ("name: 'x'#c\n", 1, 10, GLUED),
    ("notes: |#c\n  text\n", 1, 9, GLUED),
    ("notes: >-#c\n  text\n", 1, 10, GLUED),
    ("notes: |2#c\n  text\n", 1, 10, GLUED),
    ("tags: [a, b]#c\n", 1, 13, GLUED),
    ('tags: ["a"#c\n  ]\n', 1, 11, GLUED),
    ("tags: [a,\nb]\n", 2, 1, SHALLOW),
    ("spec: {min: 1,\nmax: 2}\n", 2, 1, SHALLOW),
    ("owner:\n  tags: [a,\n  b]\n", 3, 3, SHALLOW),
    ("tags:\n- [a,\nb]\n", 3, 1, SHALLOW),
    ("- tags: [a,\n  b]\n", 2, 3, SHALLOW),
    ('name: "华彩\n涂料"\n', 2, 1, SHALLOW),
    ("owner:\n  name: 'a\n  b'\n", 3, 3, SHALLOW),
    ("notes: |\n    \n  text\n", 2, 3, BLANK),
    ("owner:\n  notes: |-\n\n       \n    text\n", 4, 5, BLANK),
    ("- >\n     \n   text\n", 2, 4, BLANK),
]

VALID: list[tuple[str, Any]] = [
    ('name: "华彩" # c\n', {"name": "华彩"}),
    ("name: 'a#b'\n", {"name": "a#b"}),
    ("notes: |- # c\n  text\n", {"notes": "text"}),
    ("tags: [a, b] # c\n", {"tags": ["a", "b"]}),
    ("tags: [a,\n b]\n", {"tags": ["a", "b"]}),
    ("tags: [a, # c\n# a comment line may sit anywhere\n  b]\n", {"tags": ["a", "b"]}),
    ("owner:\n  tags: [a,\n   b]\n", {"owner": {"tags": ["a", "b"]}}),
    ("tags:\n- [a,\n b]\n", {"tags": [["a", "b"]]}),
    ('name: "a\n\n b"\n', {"name": "a\nb"}),
    ("notes: |\n  \n  text\n", {"notes": "\ntext\n"}),
    ("notes: |2\n    \n  text\n", {"notes": "  \ntext\n"}),
    ("owner:\n  notes: |\n      \n  next: 1\n", {"owner": {"notes": "", "next": 1}}),
]


@pytest.mark.parametrize(("text", "line", "col", "message"), INVALID)
def test_yaml_the_specification_forbids_is_refused_with_its_place(
    text: str, line: int, col: int, message: str
) -> None:
    with pytest.raises(YamlError) as raised:
        yamlio.load_value(text, "records/x.yaml")
    finding = raised.value.finding
    assert (finding.path, finding.line, finding.col) == ("records/x.yaml", line, col)
    assert finding.message.startswith(message), finding.message
    assert finding.hint


@pytest.mark.parametrize(("text", "expected"), VALID)
def test_the_valid_neighbours_still_read(text: str, expected: Any) -> None:
    assert yamlio.load_value(text, "records/x.yaml") == expected


def test_a_record_file_with_a_glued_comment_names_the_file() -> None:
    with pytest.raises(YamlError) as raised:
        yamlio.load_record('id: C-00001\nname: "华彩"#c\n'.encode(), "C-00001.yaml", 1 << 20)
    assert str(raised.value).startswith(f"C-00001.yaml:2:11: {GLUED}")
