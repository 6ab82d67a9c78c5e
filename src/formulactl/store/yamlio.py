"""The strict YAML loader and the canonical writer; the only module that uses PyYAML.

The loader builds plain data straight from libyaml's event stream (no node graph, no
PyYAML constructor), which is both faster than `yaml.CSafeLoader` and the one place where
the dialect is enforced: YAML 1.2 core scalars, no anchors, aliases or custom tags, no
duplicate keys, one document, text keys only.
"""

from __future__ import annotations

import contextlib
import importlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from sys import intern  # field names: see _build
from typing import Any

import yaml
from yaml.events import (
    AliasEvent,
    DocumentEndEvent,
    DocumentStartEvent,
    Event,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from yaml.nodes import ScalarNode

from formulactl.errors import FormulaError, pointer_part
from formulactl.store.yamlstrict import (
    Flaw,
    Source,
    blank_lead_flaw,
    flow_flaw,
    header_flaw,
    quoted_flaw,
)


def _parser_class() -> Any:
    """libyaml's event parser (every PyYAML wheel has it), else the pure-Python one."""
    try:
        return importlib.import_module("yaml._yaml").CParser
    except ImportError:  # pragma: no cover - PyYAML built without libyaml
        return yaml.SafeLoader


_Parser = _parser_class()
MAX_DEPTH = 64
STR_TAG = "tag:yaml.org,2002:str"

_INT = re.compile(r"[-+]?(?:0|[1-9][0-9]*)")
# YAML 1.2 core floats, minus leading zeros: `007.5` stays text like `0012` does.
_FLOAT = re.compile(
    r"[-+]?(?:(?:0|[1-9][0-9]*)(?:\.[0-9]*)?(?:[eE][-+]?[0-9]+)?|\.[0-9]+(?:[eE][-+]?[0-9]+)?)"
)
_NULLS = frozenset(("", "~", "null", "Null", "NULL"))
_TRUE = frozenset(("true", "True", "TRUE"))
_FALSE = frozenset(("false", "False", "FALSE"))
_NUMBER_START = frozenset("-+0123456789.")
_WORDS = _NULLS | _TRUE | _FALSE  # plain text that is not text, besides numbers


class YamlError(FormulaError):
    """The file is not readable as a record in formulactl's YAML dialect."""


def resolve_plain(text: str) -> Any:
    """Type of an unquoted scalar under the YAML 1.2 core schema (dates and codes stay text)."""
    if text[:1] in _NUMBER_START:
        if _INT.fullmatch(text):
            return int(text)
        if _FLOAT.fullmatch(text) and text not in ("-", "+", "."):
            return float(text)
        return text
    if text in _NULLS:
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    return text


def load_record(data: bytes, path: str, max_bytes: int) -> dict[str, Any]:
    """Parse one record file; every way it can be unreadable raises YamlError with a place."""
    value = _load(data, path, max_bytes, None)
    if not isinstance(value, dict):
        found = "a list" if isinstance(value, list) else f"the single value {value!r}"
        raise YamlError(
            f"a record must be a mapping of fields, found {found}",
            "write `field: value` lines at the top level",
            path,
            1,
            1,
            rule="yaml-structure",
        )
    return value


def load_value(text: str, what: str) -> Any:
    """Parse a value given on the command line with the same dialect as files."""
    return _load(text.encode("utf-8", "surrogateescape"), what, 1 << 20, None)


def locate(data: bytes, pointers: Iterable[str]) -> dict[str, tuple[int, int]]:
    """1-based line and column of each JSON pointer (or of its nearest existing parent)."""
    marks: dict[str, tuple[int, int]] = {"": (1, 1)}
    with contextlib.suppress(YamlError):  # an unreadable file is reported on its own
        _load(data, "", len(data), marks)
    found: dict[str, tuple[int, int]] = {}
    for pointer in pointers:
        probe = pointer
        while probe not in marks:
            probe = probe.rpartition("/")[0]
        found[pointer] = marks[probe]
    return found


def too_big(size: int, limit: int, path: str) -> YamlError:
    return YamlError(
        f"file is {size / 1e6:.1f} MB, over the {limit / 1e6:.1f} MB limit for a record",
        "check that this is a record file; split it if it really is one",
        path,
        rule="yaml-size",
    )


def _load(data: bytes, path: str, max_bytes: int, marks: dict[str, tuple[int, int]] | None) -> Any:
    if len(data) > max_bytes:
        raise too_big(len(data), max_bytes, path)
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise YamlError("file is UTF-16", "save it as UTF-8", path, 1, 1, rule="yaml-encoding")
    parser = None
    try:
        parser = _Parser(data)
        return _build(parser, path, marks, Source(data))
    except yaml.MarkedYAMLError as exc:
        raise _syntax_error(exc, data, path) from None
    except yaml.reader.ReaderError as exc:
        line, col = _byte_place(data, exc.position)
        raise YamlError(
            f"not valid UTF-8 text ({exc.reason})",
            "save the file as UTF-8",
            path,
            line,
            col,
            rule="yaml-encoding",
        ) from None
    finally:
        if parser is not None:
            parser.dispose()


def _build(parser: Any, path: str, marks: dict[str, tuple[int, int]] | None, source: Source) -> Any:
    get = parser.get_event
    get()  # StreamStart
    event = get()
    if type(event) is StreamEndEvent:
        raise YamlError(
            "file is empty", "a record needs at least its `id`", path, 1, 1, rule="yaml-structure"
        )
    _check_document_start(event, path)
    # Field names are interned: thousands of records share a few dozen names, so a cache of
    # parsed records (marshal) stores each name once and reads it back as one object, which
    # made reading 10,000 sealed formulas from it a third faster.
    # Each entry: [container, pending key or _NO_KEY, pointer of the container, column of
    # the innermost block collection's entries (-1 at the top), start of the flow
    # collection it is in (None in block context)]
    stack: list[list[Any]] = []
    root: Any = None
    while True:
        event = get()
        cls = type(event)
        if cls is ScalarEvent:
            # Most events are plain scalars in block mappings: the checks and the attaching
            # are written out here for them (a call each costs more than the check itself),
            # and everything else goes through the general functions below.
            if event.anchor is not None or event.tag is not None:
                _check_plain_node(event, path)
            value: Any = event.value
            if event.style:
                _check_scalar_style(event, stack, source, path)
            elif event.tag is None and (value[:1] in _NUMBER_START or value in _WORDS):
                value = resolve_plain(value)
            if not stack:
                root = value
                break
            if marks is None:
                top = stack[-1]
                container = top[0]
                if type(container) is list:
                    container.append(value)
                    continue
                key = top[1]
                if key is not _NO_KEY:
                    container[key] = value
                    top[1] = _NO_KEY
                    continue
                if type(value) is str and value not in container:
                    top[1] = intern(value)
                    continue
            _attach(stack, value, event, path, marks)
        elif cls is MappingStartEvent or cls is SequenceStartEvent:
            if event.anchor is not None or event.tag is not None:
                _check_plain_node(event, path)
            if len(stack) >= MAX_DEPTH:
                raise _error(
                    event,
                    path,
                    f"nesting deeper than {MAX_DEPTH} levels",
                    "records are shallow; check the indentation",
                    "yaml-structure",
                )
            new: Any = {} if cls is MappingStartEvent else []
            pointer = _attach(stack, new, event, path, marks) if stack else ""
            column, flow = stack[-1][3:] if stack else (-1, None)
            if event.flow_style:
                stack.append([new, _NO_KEY, pointer, column, flow or event.start_mark])
            else:
                stack.append([new, _NO_KEY, pointer, event.start_mark.column, None])
        elif cls is MappingEndEvent or cls is SequenceEndEvent:
            done = stack.pop()
            root = done[0]
            if done[4] is not None and (not stack or stack[-1][4] is None):
                _raise_flaw(flow_flaw(source, done[4], event.end_mark, done[3]), path)
            if not stack:
                break
        elif cls is AliasEvent:
            raise _error(
                event,
                path,
                "aliases (`*name`) are not allowed",
                "write the value out in full",
                "yaml-alias",
            )
        else:  # pragma: no cover - libyaml only emits the events above inside a document
            raise _error(event, path, "unexpected YAML structure", "", "yaml-structure")
    _check_document_end(get, path)
    return root


class _NoKey:
    pass


_NO_KEY = _NoKey()


def _attach(
    stack: list[list[Any]],
    value: Any,
    event: Event,
    path: str,
    marks: dict[str, tuple[int, int]] | None,
) -> str:
    """Put `value` into the innermost open collection; returns its pointer when tracking marks."""
    top = stack[-1]
    container = top[0]
    pointer = ""
    if type(container) is list:
        if marks is not None:
            pointer = top[2] + pointer_part(len(container))
            marks[pointer] = _place(event)
        container.append(value)
    elif top[1] is _NO_KEY:
        if type(value) is not str:
            shown = "a list or mapping" if isinstance(value, (dict, list)) else repr(value)
            raise _error(
                event,
                path,
                f"field names must be text, found {shown}",
                "quote the field name",
                "yaml-key",
            )
        if value in container:
            raise _error(
                event,
                path,
                f"duplicate field `{value}`",
                "keep one; YAML would silently drop the other",
                "yaml-duplicate-key",
            )
        top[1] = intern(value)
        if marks is not None:
            marks[top[2] + pointer_part(value)] = _place(event)
    else:
        if marks is not None:
            pointer = top[2] + pointer_part(top[1])
            if type(event) is ScalarEvent:  # a scalar's own place; a block's stays at its key
                marks[pointer] = _place(event)
        container[top[1]] = value
        top[1] = _NO_KEY
    return pointer


def _check_scalar_style(event: Any, stack: list[list[Any]], source: Source, path: str) -> None:
    """Quoted and block scalars: the spacing and indentation rules libyaml lets pass."""
    if event.style in "|>":
        _raise_flaw(header_flaw(source, event), path)
    else:
        column, flow = stack[-1][3:] if stack else (-1, None)
        _raise_flaw(quoted_flaw(source, event, column, flow is not None), path)


def _raise_flaw(flaw: Flaw | None, path: str) -> None:
    if flaw is not None:
        line, col = flaw.line + 1, flaw.col + 1
        raise YamlError(flaw.message, flaw.hint, path, line, col, rule="yaml-syntax")


def _check_plain_node(event: Any, path: str) -> None:
    if event.anchor is not None:
        raise _error(
            event,
            path,
            f"anchors (`&{event.anchor}`) are not allowed",
            "write the value out in full",
            "yaml-alias",
        )
    tag = event.tag
    if tag is not None and tag not in (STR_TAG, "!"):
        raise _error(
            event,
            path,
            f"custom tag `{tag}` is not allowed",
            "remove the tag; quote the value if it must stay text",
            "yaml-tag",
        )


def _check_document_start(event: Any, path: str) -> None:
    if type(event) is not DocumentStartEvent:  # pragma: no cover - libyaml guarantees it
        raise _error(event, path, "expected a YAML document", "", "yaml-structure")
    if event.version not in (None, (1, 2)):
        raise _error(
            event, path, "only YAML 1.2 is read", "remove the %YAML directive", "yaml-directive"
        )
    if event.tags:
        raise _error(
            event, path, "%TAG directives are not allowed", "remove them", "yaml-directive"
        )


def _check_document_end(get: Any, path: str) -> None:
    event = get()
    if type(event) is DocumentEndEvent:
        event = get()
    if type(event) is not StreamEndEvent:
        raise _error(
            event,
            path,
            "more than one YAML document in the file",
            "keep one record per file; remove the `---` line",
            "yaml-structure",
        )


def _place(event: Event) -> tuple[int, int]:
    mark: Any = event.start_mark
    return mark.line + 1, mark.column + 1


def _error(event: Event, path: str, message: str, hint: str, rule: str) -> YamlError:
    line, col = _place(event)
    return YamlError(message, hint, path, line, col, rule=rule)


def _syntax_error(exc: yaml.MarkedYAMLError, data: bytes, path: str) -> YamlError:
    mark: Any = exc.problem_mark or exc.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark is not None else (0, 0)
    _raise_flaw(blank_lead_flaw(data, line - 1) if line else None, path)
    problem = exc.problem or exc.context or "not valid YAML"
    hint = "fix the YAML syntax here"
    text_line = data.split(b"\n")[line - 1] if line else b""
    if b"\t" in text_line[: max(col, 1)] or "\\t" in problem:
        hint = "indent with spaces; YAML does not allow tabs for indentation"
    elif "mapping values are not allowed" in problem:
        hint = "quote a value that contains `: `"
    elif "found character that cannot start any token" in problem:
        hint = "quote the value; it starts with a character YAML reserves"
    return YamlError(f"YAML syntax: {problem}", hint, path, line, col, rule="yaml-syntax")


def _byte_place(data: bytes, position: int) -> tuple[int, int]:
    line = data.count(b"\n", 0, position) + 1
    start = data.rfind(b"\n", 0, position) + 1
    return line, position - start + 1


# --------------------------------------------------------------------------- the writer


@dataclass(frozen=True)
class Shape:
    """Key order for a mapping and the shapes of its members, derived from a schema."""

    order: tuple[str, ...] = ()
    props: Mapping[str, Shape] = field(default_factory=dict)
    items: Shape | None = None
    extra: Shape | None = None

    def child(self, key: str) -> Shape | None:
        return self.props.get(key, self.extra)


_YAML11 = yaml.resolver.Resolver()
_UNPRINTABLE = r"\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff"
_PLAIN = re.compile(rf"[^\s\-?:,\[\]{{}}#&*!|>'\"%@`{_UNPRINTABLE}][^{_UNPRINTABLE}]*")
_NEEDS_ESCAPE = re.compile(rf"[{_UNPRINTABLE}\"\\]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r", "\0": "\\0"}


def dump(data: Mapping[str, Any], shape: Shape | None) -> str:
    """The canonical text of a record: schema key order, block style, stable quoting."""
    lines: list[str] = []
    _emit_mapping(data, shape, 0, lines)
    return "\n".join(lines) + "\n"


def _emit_mapping(
    data: Mapping[str, Any], shape: Shape | None, indent: int, lines: list[str]
) -> None:
    pad = " " * indent
    for key in _ordered_keys(data, shape):
        value = data[key]
        head = f"{pad}{_text(key)}:"
        _emit_member(head, value, shape.child(key) if shape else None, indent, lines)


def _emit_sequence(items: list[Any], shape: Shape | None, indent: int, lines: list[str]) -> None:
    for item in items:
        _emit_member(" " * indent + "-", item, shape, indent, lines)


def _emit_member(head: str, value: Any, shape: Shape | None, indent: int, lines: list[str]) -> None:
    """Write `head` (a `key:` or `-`) followed by the value, inline or as a block below."""
    is_item = head.endswith("-")
    if isinstance(value, dict) and value:
        if is_item:
            start = len(lines)
            _emit_mapping(value, shape, indent + 2, lines)
            lines[start] = head + " " + lines[start][indent + 2 :]
        else:
            lines.append(head)
            _emit_mapping(value, shape, indent + 2, lines)
    elif isinstance(value, list) and value:
        item_shape = shape.items if shape else None
        if is_item:
            start = len(lines)
            _emit_sequence(value, item_shape, indent + 2, lines)
            lines[start] = head + " " + lines[start][indent + 2 :]
        else:
            lines.append(head)
            _emit_sequence(value, item_shape, indent + 2, lines)
    elif isinstance(value, str) and _literal_ok(value):
        lines.append(head + (" |" if value.endswith("\n") else " |-"))
        body = " " * (indent + 2)
        lines.extend(body + part if part else "" for part in value.rstrip("\n").split("\n"))
    else:
        lines.append(f"{head} {_scalar(value)}")


def _ordered_keys(data: Mapping[str, Any], shape: Shape | None) -> list[str]:
    known = [key for key in shape.order if key in data] if shape else []
    rest = sorted(key for key in data if not shape or key not in shape.order)
    return known + rest


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _float_text(value)
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, list):
        return "[]"
    return _text(str(value))


def _float_text(value: float) -> str:
    if value != value or value in (float("inf"), float("-inf")):
        raise FormulaError(f"{value} is not a number a record can hold", "use a finite number")
    mantissa, e, exponent = repr(value).partition("e")
    if "." not in mantissa:
        mantissa += ".0"  # `1.0e+16` reads as a number in YAML 1.1 too, `1e+16` does not
    return mantissa + e + exponent


def _text(value: str) -> str:
    if _plain_ok(value):
        return value
    if _SURROGATE.search(value):
        raise FormulaError(
            f"text {value!r} holds an invalid character", "retype the value as plain UTF-8 text"
        )
    return '"' + _NEEDS_ESCAPE.sub(_escape, value) + '"'


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    return _ESCAPES.get(char) or (
        f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"
    )


def _plain_ok(value: str) -> bool:
    """Plain only when every YAML reader (1.1 and 1.2) would read the same text back."""
    if value != value.strip() or not _PLAIN.fullmatch(value):
        return False
    if ": " in value or " #" in value or value.endswith(":"):
        return False
    if resolve_plain(value) is not value:
        return False
    tag = _YAML11.resolve(ScalarNode, value, (True, False))  # type: ignore[no-untyped-call]
    return bool(tag == STR_TAG)


def _literal_ok(value: str) -> bool:
    if "\n" not in value or value.endswith("\n\n") or _SURROGATE.search(value):
        return False
    if re.search(f"[{_UNPRINTABLE}]", value.replace("\n", "")):
        return False
    lines = value.rstrip("\n").split("\n")
    first = next((line for line in lines if line), "")
    return bool(first) and not first[0].isspace() and all(line == line.rstrip() for line in lines)
