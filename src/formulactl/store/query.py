"""Reading many records at once for `list`, with parsed records cached by blob ID."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from formulactl.errors import Finding, FormulaError
from formulactl.git import gitio
from formulactl.model.kinds import KINDS, RECORDS_DIR
from formulactl.store.cache import BlobCache, PackedCache, code_version
from formulactl.store.paths import Step, parse_field_path, split_assignment
from formulactl.store.schema import FieldPath, KindSchema
from formulactl.store.store import Record, Store


@dataclass
class Selection:
    records: list[Record] = field(default_factory=list)
    skipped: list[Finding] = field(default_factory=list)
    opened: set[tuple[str, str]] = field(default_factory=set)  # (ID, blob) of those in plain


@dataclass(frozen=True)
class Condition:
    """`FIELD=VALUE` in the field-path language of `set`; a name step over a list looks
    into every item, so `contacts.name=X` holds when any contact is named X."""

    field: str
    steps: tuple[Step, ...]
    value: str
    sealed: bool  # the field is confidential: only its opened value can match

    def holds(self, data: dict[str, Any]) -> bool:
        return any(_equal(found, self.value) for found in values_at(data, self.steps))


def parse_condition(text: str, schema: KindSchema) -> Condition:
    """A condition on a field the kind's schema knows; anything else is refused."""
    split = split_assignment(text)
    if split is None:
        raise FormulaError(
            f"`{text}` is not FIELD=VALUE", "write it like status=approved", rule="usage"
        )
    name, value = split
    steps = parse_field_path(name)
    path = _schema_path(schema, steps)
    if path is None:
        raise FormulaError(
            f"{schema.kind} records have no field `{name}`",
            f"see schemas/{schema.kind}.schema.json for the fields",
            rule="bad-field",
        )
    sealed = any(path[: len(field)] == field for field in schema.sensitive)
    return Condition(name, tuple(steps), value, sealed)


def _schema_path(schema: KindSchema, steps: list[Step]) -> FieldPath | None:
    """The schema path of a field path (`*` for list items), or None for an unknown field."""
    path: FieldPath = ()
    for step in steps:
        if isinstance(step, str) and "items" in (schema.subschema(path) or {}):
            path = (*path, "*")  # a name after a list: that field of every item
        path = (*path, step if isinstance(step, str) else "*")
        if schema.subschema(path) is None:
            return None
    return path


def values_at(data: Any, steps: tuple[Step, ...]) -> list[Any]:
    """Every value a field path reaches (several through a list); a list at the end counts
    item by item."""
    found = [data]
    for step in steps:
        found = [value for node in found for value in _step(node, step)]
    return [item for value in found for item in (value if isinstance(value, list) else [value])]


def _step(node: Any, step: Step) -> list[Any]:
    if isinstance(node, list) and not isinstance(step, int):
        if isinstance(step, tuple):
            return [
                item
                for item in node
                if isinstance(item, dict) and _text(item.get(step[0])) == step[1]
            ]
        return [value for item in node for value in _step(item, step)]
    if isinstance(step, str):
        return [node[step]] if isinstance(node, dict) and step in node else []
    if isinstance(step, int):
        return [node[step]] if isinstance(node, list) and step < len(node) else []
    return []


def value_at(data: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        if not isinstance(data, dict):
            return None
        data = data.get(part)
    return data


def select_records(
    store: Store,
    kind: str,
    where: Iterable[Condition],
    cache: BlobCache,
    reveal: Callable[[Record], dict[str, Any]] | None = None,
    kept: Callable[[str, str], dict[str, Any] | None] | None = None,
) -> Selection:
    """Records of one kind matching every condition; `reveal` opens a sealed record so its
    confidential fields can match (without it, a condition on one is refused). `kept`:
    (record ID, blob ID) → the record as this reader opened it before, if a keyring kept it
    (`crypto.opening.kept_opened`): such a record comes in plain text, named by its ID and
    blob in `Selection.opened`, and its sealed form is never read."""
    conditions = list(where)
    if reveal is None:
        refuse_sealed(conditions)
    prefix = f"{RECORDS_DIR}/{KINDS[kind].folder}/"
    selection = Selection()
    for path, blob in sorted(store.listing(prefix.rstrip("/")).items()):
        if not path.startswith(prefix) or not path.endswith(".yaml"):
            continue
        record_id = path.rsplit("/", 1)[-1][:-5]
        data = None
        if blob and kept is not None:
            data = kept(record_id, blob)
            if data is not None:
                selection.opened.add((record_id, blob))
        if data is None and blob:
            data = cache.get(blob)
        if data is None:
            try:
                raw = store.read_bytes(path)
                data = store.parse(path, raw).data
            except FormulaError as error:
                selection.skipped.append(error.finding)
                continue
            blob = gitio.blob_id(raw)  # of what was read: the file may have changed since
            cache.put(blob, data)
        record = Record(record_id, kind, path, data, blob=blob or "")
        if reveal is not None and (record_id, blob) not in selection.opened:
            try:
                record = Record(record.id, kind, path, reveal(record))
            except FormulaError as error:
                selection.skipped.append(replace(error.finding, path=path))
                continue
        if all(condition.holds(record.data) for condition in conditions):
            selection.records.append(record)
    cache.save(prune=False)
    return selection


def refuse_sealed(conditions: Iterable[Condition]) -> None:
    """A condition on a confidential field needs the opened values to match."""
    sealed = next((c.field for c in conditions if c.sealed), None)
    if sealed is not None:
        raise FormulaError(
            f"`{sealed}` is a confidential field, sealed in the records",
            "add --decrypt to match on its value (with a reader's key)",
            rule="sealed-field",
        )


def _equal(found: Any, wanted: str) -> bool:
    """Text compares as text; a number also by value, so `percent=30` matches 30.0."""
    if _text(found) == wanted:
        return True
    if isinstance(found, (int, float)) and not isinstance(found, bool):
        try:
            return float(wanted) == found
        except ValueError:
            return False
    return False


def _text(value: Any) -> str:
    if value is True or value is False:
        return str(value).lower()
    return "" if value is None else str(value)


def parsed_blobs(store: Store, paths: Mapping[str, str]) -> dict[str, dict[str, Any]]:
    """Blobs (blob → path) read through one `git cat-file --batch` and parsed; what cannot
    be read or parsed is left out (`validate` reports it; an answer skips it)."""
    from formulactl.store import yamlio

    blobs = sorted(paths)
    found = {}
    with gitio.CatFile(store.root) as reader:
        contents = reader.read_many(blobs)
    for blob, raw in zip(blobs, contents, strict=True):
        if raw is None:
            continue
        try:
            found[blob] = yamlio.load_record(raw, paths[blob], store.settings.max_record_bytes)
        except FormulaError:
            continue
    return found


def cached_blobs(
    store: Store, paths: Mapping[str, str], cache: BlobCache
) -> dict[str, dict[str, Any]]:
    """`parsed_blobs`, each taken from the parsed-record cache where it has it (asked once:
    an entry is unmarshalled when asked for), the rest parsed and kept there."""
    found = {blob: cache.get(blob) for blob in paths}
    missing = {blob: path for blob, path in paths.items() if found[blob] is None}
    if missing:
        fresh = parsed_blobs(store, missing)
        for blob, data in fresh.items():
            cache.put(blob, data)
        found.update(fresh)
        cache.save(prune=False)
    return {blob: data for blob, data in found.items() if data is not None}


def records_cache(store: Store) -> BlobCache:
    """The parsed-record cache that `list`, `due`, `access` and the reports share."""
    return PackedCache(store.cache_file("records.marshal"), code_version())
