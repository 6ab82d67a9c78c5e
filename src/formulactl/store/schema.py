"""Loading the store's JSON Schemas, validating records, and turning errors into findings.

Validation runs twice only for invalid records: a compiled fastjsonschema check answers
"valid?" quickly, and jsonschema (the reference implementation) explains each error of
the records that fail. Both see the same schema and the same `date` format check.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import TYPE_CHECKING, Any

from formulactl.errors import FormulaError, Problem, pointer_part
from formulactl.model.kinds import KINDS
from formulactl.model.sealed import ENVELOPE, ENVELOPE_SCHEMA, SEALED_PATTERN, is_sealed

if TYPE_CHECKING:
    # Imported where a shape is made: a command that parses no YAML imports no YAML code.
    from formulactl.store.yamlio import Shape

# Keywords whose meaning is the same in draft 2020-12 (jsonschema) and draft-07
# (fastjsonschema); a schema using anything else is refused, so the two never disagree.
KEYWORDS = frozenset(
    {
        "$schema",
        "$defs",
        "$ref",
        "title",
        "description",
        "type",
        "properties",
        "required",
        "additionalProperties",
        "items",
        "enum",
        "const",
        "pattern",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "minLength",
        "maxLength",
        "minItems",
        "maxItems",
        "uniqueItems",
        "format",
        "x-sensitive",
        "x-ref",
        "x-ref-version",
        "x-key",
        "x-hint",
    }
)
FORMATS = frozenset({"date"})
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

CONFLICTS = "merge_conflicts"
CONFLICTS_SCHEMA: dict[str, Any] = {
    "type": "array",
    "description": "Left by the merge driver: fields both branches changed; resolve, then remove",
    "items": {"type": "object"},
}
# A field path inside a record with `*` standing for any list item or mapping key.
FieldPath = tuple[str, ...]


def is_date(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not _DATE.fullmatch(value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class Ref:
    """A field that names another record, such as a formula's `customer`."""

    path: FieldPath
    kind: str
    version: str  # "no", "optional" or "required"


class SensitiveNode:
    """One step of the sensitive paths: what follows it, whether a secret sits here, and the
    stable keys that name the items of a list here."""

    __slots__ = ("children", "keys", "leaf")

    def __init__(self, children: dict[str, SensitiveNode], leaf: bool, keys: tuple[str, ...]):
        self.children = children
        self.leaf = leaf
        self.keys = keys


@dataclass
class KindSchema:
    kind: str
    schema: dict[str, Any]
    refs: list[Ref] = field(default_factory=list)
    sensitive: list[FieldPath] = field(default_factory=list)
    list_keys: dict[FieldPath, tuple[str, ...]] = field(default_factory=dict)
    digest: str = ""  # SHA-256 of the schema file: what a remembered check was checked against

    @cached_property
    def sensitive_tree(self) -> SensitiveNode:
        """The sensitive paths as a tree of steps, for one walk that finds every secret."""
        root = SensitiveNode({}, False, ())
        for path in self.sensitive:
            node = root
            for depth, step in enumerate(path):
                if step not in node.children:
                    node.children[step] = SensitiveNode({}, False, ())
                    if step == "*":  # the stable keys of the list's items, if it is a list
                        node.keys = self.list_keys.get(path[:depth], ())
                node = node.children[step]
            node.leaf = True
        return root

    @cached_property
    def shape(self) -> Shape:
        return _shape(self.schema, self.schema)

    @cached_property
    def _fast(self) -> Callable[[Any], Any]:
        import fastjsonschema

        draft7 = dict(self.schema, **{"$schema": "http://json-schema.org/draft-07/schema#"})
        return fastjsonschema.compile(draft7, formats={"date": is_date})

    @cached_property
    def _full(self) -> Any:
        from jsonschema import Draft202012Validator, FormatChecker

        checker = FormatChecker(formats=())
        checker.checks("date")(is_date)
        return Draft202012Validator(self.schema, format_checker=checker)

    def problems(self, record: Any) -> list[Problem]:
        """Every schema error in `record`, in document order; empty when valid."""
        import fastjsonschema

        try:
            self._fast(record)
            return []
        except fastjsonschema.JsonSchemaValueException:
            pass
        errors = sorted(self._full.iter_errors(record), key=lambda e: list(map(str, e.path)))
        return [problem for error in errors for problem in _explain(error)]

    def subschema(self, path: FieldPath) -> dict[str, Any] | None:
        """The schema of the field at `path` (`*` for list items), or None when unknown."""
        node: dict[str, Any] | None = self.schema
        for part in path:
            node = _resolve(self.schema, node or {})
            if part == "*" and "items" in node:
                node = node["items"]
            elif isinstance(node.get("properties"), dict) and part in node["properties"]:
                node = node["properties"][part]
            elif isinstance(node.get("additionalProperties"), dict):
                node = node["additionalProperties"]
            else:
                return None
        return _resolve(self.schema, node or {})


def load_kind_schema(kind: str, text: bytes, path: str) -> KindSchema:
    """The schema for `kind` from the bytes of its file (read by the store, links refused)."""
    try:
        schema = json.loads(text.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise FormulaError(
            f"the schema is not valid JSON: {exc}",
            "restore it from git",
            path,
            rule="schema-invalid",
        ) from None
    found = KindSchema(kind, schema, digest=hashlib.sha256(text).hexdigest())
    _walk(found, schema, schema, (), path, 0)
    if found.sensitive:
        found.schema = _accept_sealed(schema)
        found.schema["properties"][ENVELOPE] = ENVELOPE_SCHEMA
    if kind in KINDS:  # record kinds, not the settings or team file
        found.schema["properties"][CONFLICTS] = CONFLICTS_SCHEMA
    return found


def _accept_sealed(node: Any) -> Any:
    """A confidential field holds its plain value or a sealed one (`fcx2:…`, legacy `fcx1:…`)."""
    if isinstance(node, list):
        return [_accept_sealed(item) for item in node]
    if not isinstance(node, dict):
        return node
    copied = {key: _accept_sealed(value) for key, value in node.items()}
    if not copied.get("x-sensitive"):
        return copied
    plain = {key: value for key, value in copied.items() if key != "x-sensitive"}
    return {"anyOf": [plain, {"type": "string", "pattern": SEALED_PATTERN}], "x-sensitive": True}


def _walk(
    found: KindSchema,
    root: dict[str, Any],
    node: dict[str, Any],
    path: FieldPath,
    where: str,
    depth: int,
) -> None:
    """Check the keywords and collect refs, sensitive fields and list keys."""
    unknown = set(node) - KEYWORDS
    if unknown:
        raise FormulaError(
            f"schema keyword `{sorted(unknown)[0]}` is not supported here",
            "use the keywords listed in formulactl's schema docs",
            where,
            rule="schema-invalid",
        )
    if node.get("format", "date") not in FORMATS:
        raise FormulaError(
            f"format `{node['format']}` is not supported",
            "use `date`",
            where,
            rule="schema-invalid",
        )
    if depth > 32:
        raise FormulaError(
            "schema nests too deep (recursive $ref?)", "", where, rule="schema-invalid"
        )
    node = _resolve(root, node)
    if "x-ref" in node:
        found.refs.append(Ref(path, node["x-ref"], node.get("x-ref-version", "no")))
    if node.get("x-sensitive"):
        found.sensitive.append(path)
    if "x-key" in node:
        found.list_keys[path] = tuple(node["x-key"])
    for name, child in (node.get("properties") or {}).items():
        _walk(found, root, child, (*path, name), where, depth + 1)
    for key in ("items", "additionalProperties"):
        if isinstance(node.get(key), dict):
            _walk(found, root, node[key], (*path, "*"), where, depth + 1)


def _resolve(root: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """Follow a local `$ref` (`#/$defs/name`), keeping the referring node's annotations."""
    ref = node.get("$ref")
    if not isinstance(ref, str):
        return node
    target: Any = root
    for part in ref.removeprefix("#/").split("/"):
        target = target.get(part, {}) if isinstance(target, dict) else {}
    merged = dict(target)
    merged.update((key, value) for key, value in node.items() if key != "$ref")
    return merged


def _shape(root: dict[str, Any], node: dict[str, Any]) -> Shape:
    from formulactl.store.yamlio import Shape

    node = _resolve(root, node)
    props = node.get("properties") or {}
    items = node.get("items")
    extra = node.get("additionalProperties")
    return Shape(
        order=tuple(props),
        props={name: _shape(root, child) for name, child in props.items()},
        items=_shape(root, items) if isinstance(items, dict) else None,
        extra=_shape(root, extra) if isinstance(extra, dict) else None,
    )


def field_name(pointer: str) -> str:
    """`/ingredients/2/percent` → `ingredients[2].percent`, the spelling `set` accepts."""
    text = ""
    for part in pointer.split("/")[1:]:
        part = part.replace("~1", "/").replace("~0", "~")
        text += f"[{part}]" if part.isdigit() else (f".{part}" if text else part)
    return text or "the record"


def _explain(error: Any) -> Iterator[Problem]:
    pointer = "".join(pointer_part(part) for part in error.absolute_path)
    name = field_name(pointer)
    schema, value, keyword = error.schema, error.instance, error.validator
    hint = schema.get("x-hint", "") if isinstance(schema, dict) else ""
    if keyword == "required":
        for missing in (m for m in error.validator_value if m not in value):
            yield Problem(
                pointer,
                "schema-required",
                f"missing required field `{missing}`",
                f"add `{missing}:` to {name}",
            )
    elif keyword == "additionalProperties":
        allowed = list(schema.get("properties", {}))
        for extra in (key for key in value if key not in allowed):
            close = difflib.get_close_matches(extra, allowed, n=1)
            advice = f"did you mean `{close[0]}`?" if close else "allowed: " + ", ".join(allowed)
            yield Problem(
                pointer + pointer_part(extra),
                "schema-unknown-field",
                f"unknown field `{extra}` in {name}",
                advice,
            )
    elif keyword == "enum":
        choices = [str(choice) for choice in error.validator_value]
        close = difflib.get_close_matches(str(value), choices, n=1)
        yield Problem(
            pointer,
            "schema-enum",
            f"`{name}` is {value!r}, not one of the allowed values",
            (f"did you mean `{close[0]}`? " if close else "") + "use one of: " + ", ".join(choices),
        )
    elif keyword == "anyOf" and schema.get("x-sensitive") and is_sealed(value):
        yield Problem(
            pointer,
            "sealed-malformed",
            f"`{name}` holds a damaged sealed value",
            "restore it from history, or set it again",
        )
    elif keyword == "anyOf" and schema.get("x-sensitive"):
        # The field's own rules, not the sealed alternative, say what is wrong.
        for inner in error.context or []:
            if inner.relative_schema_path and inner.relative_schema_path[0] == 0:
                yield from _explain(inner)
    elif keyword == "type":
        yield Problem(
            pointer,
            "schema-type",
            f"`{name}` must be {_type_words(schema['type'])}, found {_describe(value)}",
            hint or _type_hint(schema["type"], value),
        )
    elif keyword == "format":
        yield Problem(
            pointer,
            "schema-format",
            f"`{name}` {value!r} is not a valid {schema['format']}",
            hint or "write dates as YYYY-MM-DD",
        )
    elif keyword == "pattern":
        yield Problem(
            pointer,
            "schema-pattern",
            f"`{name}` {value!r} is not in the expected form",
            hint or f"it must match {schema['pattern']}",
        )
    else:
        yield Problem(pointer, f"schema-{keyword}", f"`{name}`: {error.message}", hint)


def _type_words(expected: str | list[str]) -> str:
    names = [expected] if isinstance(expected, str) else expected
    words = {
        "string": "text",
        "number": "a number",
        "integer": "a whole number",
        "boolean": "true or false",
        "object": "a mapping of fields",
        "array": "a list",
    }
    return " or ".join(words.get(name, name) for name in names)


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text {value!r}"
    if value is None:
        return "nothing (null)"
    return "a list" if isinstance(value, list) else "a mapping"


def _type_hint(expected: str | list[str], value: Any) -> str:
    names = [expected] if isinstance(expected, str) else expected
    if "string" in names:
        return "put the value in quotes to keep it as text"
    if isinstance(value, str) and ("number" in names or "integer" in names):
        return "write the number without quotes, with `.` as the decimal point"
    if "array" in names:
        return "write the items as `- item` lines"
    if "object" in names:
        return "write `field: value` lines indented under it"
    return ""
