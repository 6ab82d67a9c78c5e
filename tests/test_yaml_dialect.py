"""The strict YAML dialect: YAML 1.2 core scalars, and every pitfall is an error with a place."""

from __future__ import annotations

import pytest

from formulactl.store.yamlio import YamlError, load_record

LIMIT = 1 << 20


def load(text: str) -> dict[str, object]:
    return load_record(text.encode(), "x.yaml", LIMIT)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("NO", "NO"),
        ("no", "no"),
        ("off", "off"),
        ("On", "On"),
        ("yes", "yes"),
        ("Y", "Y"),
        ("0012", "0012"),
        ("00123", "00123"),
        ("007.5", "007.5"),
        ("1:20", "1:20"),
        ("2026-01-01", "2026-01-01"),
        ("0x1F", "0x1F"),
        ("0o17", "0o17"),
        ("1_000", "1_000"),
        (".inf", ".inf"),
        (".nan", ".nan"),
        ("=", "="),
        ("<<", "<<"),
        ("true", True),
        ("False", False),
        ("null", None),
        ("~", None),
        ("", None),
        ("12", 12),
        ("-3", -3),
        ("0", 0),
        ("1.5", 1.5),
        ("-0.25", -0.25),
        ("1e3", 1000.0),
        ("'12'", "12"),
        ('"true"', "true"),
        ("!!str 12", "12"),
    ],
)
def test_plain_scalars_follow_yaml_1_2_core_and_codes_stay_text(
    text: str, expected: object
) -> None:
    value = load(f"field: {text}\n")["field"]
    assert value == expected
    assert type(value) is type(expected)


def test_chinese_text_is_read_as_itself() -> None:
    assert load("name: 上海华彩涂料有限公司\n") == {"name": "上海华彩涂料有限公司"}


@pytest.mark.parametrize(
    ("text", "line", "col", "words"),
    [
        ("a: 1\nb: 2\na: 3\n", 3, 1, "duplicate field `a`"),
        ("a: &x 1\nb: 2\n", 1, 4, "anchors"),
        ("a: [1]\nb: *x\n", 2, 4, "aliases"),
        ("a: !!python/object:os.system 1\n", 1, 4, "custom tag"),
        ("a: !custom 1\n", 1, 4, "custom tag"),
        ("a: 1\n---\nb: 2\n", 2, 1, "more than one YAML document"),
        ("? [a, b]\n: c\n", 1, 3, "field names must be text"),
        ("1: one\n", 1, 1, "field names must be text"),
        ("%YAML 1.1\n---\na: 1\n", 1, 1, "only YAML 1.2"),
        ("a:\n\tb: 1\n", 2, 1, "tabs"),
        ("a: b: c\n", 1, 5, "mapping values are not allowed"),
    ],
)
def test_pitfalls_are_errors_with_file_line_and_column(
    text: str, line: int, col: int, words: str
) -> None:
    with pytest.raises(YamlError) as caught:
        load(text)
    finding = caught.value.finding
    assert (finding.path, finding.line, finding.col) == ("x.yaml", line, col)
    assert words in finding.message or words in finding.hint


def test_alias_is_refused_where_it_is_used() -> None:
    with pytest.raises(YamlError) as caught:
        load("a: &x [1]\n")
    assert "anchors" in caught.value.finding.message


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("- a\n- b\n", "found a list"),
        ("just text\n", "found the single value"),
        ("", "file is empty"),
        ("# only a comment\n", "file is empty"),
    ],
)
def test_a_record_must_be_a_mapping(text: str, words: str) -> None:
    with pytest.raises(YamlError) as caught:
        load(text)
    assert words in caught.value.finding.message


def test_invalid_utf8_names_the_line_and_column() -> None:
    with pytest.raises(YamlError) as caught:
        load_record(b"a: 1\nb: ab\xffcd\n", "x.yaml", LIMIT)
    finding = caught.value.finding
    assert (finding.line, finding.col) == (2, 6)
    assert "UTF-8" in finding.message


def test_utf16_is_refused_with_advice() -> None:
    with pytest.raises(YamlError) as caught:
        load_record("a: 1\n".encode("utf-16"), "x.yaml", LIMIT)
    assert caught.value.finding.hint == "save it as UTF-8"


def test_oversized_file_is_refused_before_parsing() -> None:
    with pytest.raises(YamlError) as caught:
        load_record(b"a: " + b"x" * 2000 + b"\n", "x.yaml", 1000)
    assert "over the" in caught.value.finding.message


def test_deep_nesting_is_refused() -> None:
    with pytest.raises(YamlError) as caught:
        load("a: " + "[" * 100 + "]" * 100 + "\n")
    assert "nesting deeper" in caught.value.finding.message
