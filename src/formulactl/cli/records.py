"""Record commands: init, new, show, list, set, edit."""

from __future__ import annotations

import copy
import os
import shlex
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from formulactl.cli.common import (
    IdentityOption,
    JsonOption,
    StoreOption,
    ask,
    check_cache,
    checked_date,
    committed,
    counted,
    envelope_line,
    err,
    identities,
    open_store,
    out,
    out_data,
    print_json,
    read_file,
    refusals,
    refuse,
    revealer,
    shown_path,
    writing,
)
from formulactl.errors import FormulaError

SetOption = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        metavar="FIELD=VALUE",
        help="A field and its value; repeat for more fields.",
        show_default=False,
    ),
]
IdArgument = Annotated[str, typer.Argument(metavar="ID", help="The record's ID.")]

if TYPE_CHECKING:
    from formulactl.crypto.opening import Opened
    from formulactl.store.store import Record, Store


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.command("new")(new)
    app.command("show")(show)
    app.command("list")(list_records)
    app.command("set")(set_fields)
    app.command("edit")(edit)


def init(
    directory: Annotated[Path, typer.Argument(help="Folder for the new store.")] = Path("."),
    recovery: Annotated[
        str | None,
        typer.Option(
            "--recovery",
            help="The recovery recipient (age1… or an SSH public key) kept offline; "
            "without it, one is made and its identity written beside the store.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Create a store: git repository, settings, team file, schemas, record folders."""
    from formulactl.actions.signing import configure_drivers
    from formulactl.crypto.crypto import new_identity
    from formulactl.store.store import create_store, refuse_existing

    root = directory.resolve()
    refuse_existing(root)
    secret_file = None
    if recovery is None:
        secret, recovery = new_identity()
        secret_file = root.parent / f"{root.name}-recovery-identity.txt"
        if secret_file.exists():
            raise FormulaError(f"{secret_file} already exists", "move it away first", rule="exists")
    store = create_store(root, recovery)
    configure_drivers(store, formulactl_command())
    if secret_file is not None:
        descriptor = os.open(secret_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
            stream.write(f"# recovery identity for store {store.settings.store_id}\n{secret}\n")
    out(f"Created a store in {store.root}")
    out(f"  store ID  {store.settings.store_id}")
    if secret_file is not None:
        out(f"  recovery  {secret_file} — move it offline now: it opens every record")
    out(
        "  next: `formulactl setup-signing --key KEY`, then `formulactl team add` for the "
        "first admin"
    )


def formulactl_command() -> str:
    """How git calls back into this formulactl (the diff driver), whatever PATH holds."""
    return f"{shlex.quote(sys.executable)} -m formulactl"


def new(
    kind: Annotated[
        str,
        typer.Argument(
            help="customer, formula, material, supplier, batch, "
            "interaction, order, feedback or survey"
        ),
    ],
    sets: SetOption = None,
    from_file: Annotated[
        Path | None,
        typer.Option(
            "--from",
            metavar="FILE",
            help="Start from this YAML file (for `new batch --size`: a formula F-…@V).",
            show_default=False,
        ),
    ] = None,
    size: Annotated[
        str | None,
        typer.Option(
            "--size", help="A batch planned from the formula's weighing sheet.", show_default=False
        ),
    ] = None,
    not_duplicate_of: Annotated[
        list[str] | None,
        typer.Option(
            "--not-duplicate-of",
            metavar="C-…",
            help="A new customer: this existing customer is another company (recorded).",
            show_default=False,
        ),
    ] = None,
    identity: IdentityOption = None,
    store: StoreOption = None,
) -> None:
    """Create a record with the next free ID as a signed commit; nothing invalid is written.
    `new batch --from F-…@V --size 500kg` plans the batch from the weighing sheet. A new
    customer is checked for duplicates: likely ones are named, a certain one refuses."""
    from formulactl.actions.records import create
    from formulactl.model.kinds import kind_named
    from formulactl.store import yamlio
    from formulactl.store.editing import apply, new_record, parse_assignment

    found = open_store(store)
    record_kind = kind_named(kind).name
    base: dict[str, Any] = {}
    if size is not None:
        from formulactl.cli.formulation import planned_batch_fields

        base = planned_batch_fields(found, record_kind, from_file, size, identity)
    elif from_file is not None:
        raw = read_file(from_file)
        base = yamlio.load_record(raw, str(from_file), found.settings.max_record_bytes)
    schema = found.schema(record_kind)
    apply(base, [parse_assignment(schema, text) for text in sets or []], [])
    with writing(found, f"new {record_kind}"), refusals(found):
        record = new_record(found, record_kind, base, date.today())
        if record_kind == "customer" or not_duplicate_of:
            _check_duplicates(found, record, not_duplicate_of or [])
        done = create(found, record, check_cache(found))
    committed(done.commit, f"new {record.id}")
    out(record.id)


def _check_duplicates(found: Store, record: Record, not_duplicate_of: list[str]) -> None:
    """Warn of likely duplicates of a new customer; a certain one refuses (FormulaError)
    unless `--not-duplicate-of` names it, which the record keeps in `not_duplicate_of`."""
    from formulactl.archive.duplicates import entry_check
    from formulactl.store.query import records_cache, select_records

    if record.kind != "customer":
        raise FormulaError("--not-duplicate-of is for new customers", "leave it out", rule="usage")
    if not_duplicate_of:
        record.data["not_duplicate_of"] = list(dict.fromkeys(not_duplicate_of))
    selection = select_records(found, "customer", [], records_cache(found))
    customers = {other.id: other.data for other in selection.records}
    for match in entry_check(record.data, customers):
        name = customers[match.other].get("name")
        err(
            f"warning: {record.data.get('name')} may be {match.other} {name} "
            f"(score {match.score:g}: {'; '.join(match.reasons)})"
        )


def show(
    record_ids: Annotated[
        list[str],
        typer.Argument(
            metavar="ID[@VERSION]",
            help="The records' IDs; ID@3 is version 3 exactly as approved.",
        ),
    ],
    at: Annotated[
        str | None,
        typer.Option(
            "--at",
            metavar="DATE",
            help="The record as it stood on this date (YYYY-MM-DD).",
            show_default=False,
        ),
    ] = None,
    decrypt: Annotated[bool, typer.Option("--decrypt", help="Show confidential fields.")] = False,
    raw: Annotated[
        bool, typer.Option("--raw", help="Show the key envelope in full, not one line.")
    ] = False,
    identity: IdentityOption = None,
    as_json: JsonOption = False,
    store: StoreOption = None,
) -> None:
    """Print records (confidential fields sealed unless --decrypt, the key envelope as one
    line naming the readers unless --raw); ID@VERSION prints the exact bytes approved and
    --at the record on a day, with the signature that approved or changed it."""
    from formulactl.audit.trail import record_from_history
    from formulactl.model.settings import split_ref

    found = open_store(store)
    checked_date(at, "--at")
    records: list[Record] = []
    versions: list[int | None] = []
    for record_id in record_ids:
        base, version = split_ref(record_id)
        if version is not None or at is not None:
            record, signature = record_from_history(found, base, version, at)
            said = f"{'approved' if version else 'as changed'} by {signature}"
            err(f"{record_id}: {said}" if len(record_ids) > 1 else said)
        else:
            record = found.load(record_id)
        records.append(record)
        versions.append(version)
    if decrypt:
        records, _damaged = _decrypted(found, records, identity, strict=True)  # or raises
    if as_json:
        print_json(records[0].data if len(records) == 1 else [r.data for r in records])
        return
    for index, (record, version) in enumerate(zip(records, versions, strict=True)):
        if index:
            out_data("---\n")
        if version is not None and not decrypt:
            out_data(
                record.raw
            )  # the exact bytes approved, an auditor's evidence: envelope and all
        else:
            text = found.canonical(record)
            out_data(text if raw else envelope_line(text, record.data))


def _decrypted(
    store: Store, records: list[Record], identity: Path | None, strict: bool
) -> tuple[list[Record], bool]:
    """The records opened with one identity load on every core; without `strict`, those
    that do not open stay sealed and are named on stderr, and the flag says whether any of
    them is damaged (rather than not this user's to read)."""
    from formulactl.crypto.opening import open_many
    from formulactl.store.store import Record

    loaded = identities(identity)
    opened: list[Record] = []
    unopened: list[tuple[Record, FormulaError]] = []
    for record, outcome in zip(records, open_many(store, records, loaded), strict=True):
        if isinstance(outcome, FormulaError):
            if strict:
                raise outcome
            unopened.append((record, outcome))
            opened.append(record)
        else:
            opened.append(Record(record.id, record.kind, record.path, outcome, ""))
    return opened, _shown_sealed(store, unopened)


def _decrypted_json(store: Store, records: list[Record], identity: Path | None) -> tuple[str, bool]:
    """What `print_json` prints for these records opened, each opened and written as JSON
    on every core: for 10,000 formulas writing the JSON took as long as opening them, and
    sending back text costs less than sending back the opened records. Those that do not
    open stay sealed and are named on stderr, as by `_decrypted`."""
    from formulactl.cli.common import json_text
    from formulactl.crypto.opening import Opening, open_each

    def one(record: Record, outcome: Opening) -> tuple[FormulaError | None, str]:
        if isinstance(outcome, FormulaError):
            return outcome, json_text(record.data)
        return None, json_text(outcome)

    done = open_each(store, records, identities(identity), one)
    damaged = _shown_sealed(
        store, [(r, why) for r, (why, _text) in zip(records, done, strict=True) if why is not None]
    )
    if not done:
        return json_text([]), damaged
    # `json_text` of the list: each item's own text, two spaces further in (a
    # JSON text has no line break inside a string)
    items = ",\n".join("  " + text.replace("\n", "\n  ") for _why, text in done)
    return "[\n" + items + "\n]", damaged


def _shown_sealed(store: Store, unopened: list[tuple[Record, FormulaError]]) -> bool:
    """Name on stderr the records shown sealed: those this user may not read in one line,
    and each one that did not open for another reason (a value altered or moved, the key
    envelope lost) in a line of its own, so damage is never taken for a missing key."""
    from formulactl.crypto.opening import damaged

    broken = [(record, why) for record, why in unopened if damaged(why)]
    sealed = [record.id for record, why in unopened if not damaged(why)]
    if sealed:
        err(f"not a reader of {len(sealed)} records, shown sealed: {', '.join(sealed)}")
    for record, why in broken:
        hint = f" — {why.finding.hint}" if why.finding.hint else ""
        err(f"{shown_path(store, record.path)}: {why.finding.message}{hint}; shown sealed")
    return bool(broken)


def list_records(
    kind: Annotated[str, typer.Argument(help="The kind of record to list.")],
    where: Annotated[
        list[str] | None,
        typer.Option(
            "--where",
            metavar="FIELD=VALUE",
            help="FIELD=VALUE, a field path as for set (contacts.name=… matches any contact); "
            "repeat to narrow further.",
            show_default=False,
        ),
    ] = None,
    decrypt: Annotated[
        bool, typer.Option("--decrypt", help="Open confidential fields to show and match them.")
    ] = False,
    identity: IdentityOption = None,
    as_json: JsonOption = False,
    store: StoreOption = None,
) -> None:
    """List records of one kind, optionally only those matching every --where; with
    --decrypt, open them for a reader (all cores, one identity load)."""
    from formulactl.model.kinds import kind_named
    from formulactl.store.query import parse_condition, records_cache, select_records, value_at

    found = open_store(store)
    record_kind = kind_named(kind)
    schema = found.schema(record_kind.name)
    conditions = [parse_condition(text, schema) for text in where or []]
    cache = records_cache(found)
    # A condition on a sealed field opens each record to match it; otherwise the selection
    # is opened afterwards in bulk (all cores), and what this reader cannot open stays sealed.
    matching_sealed = decrypt and any(condition.sealed for condition in conditions)
    reveal = revealer(found, identity) if matching_sealed else None
    selection = select_records(found, record_kind.name, conditions, cache, reveal)
    for finding in selection.skipped:
        err(
            f"skipped {shown_path(found, finding.path)}: {finding.message} — run `formulactl "
            "validate` for details"
        )
    shown = selection.records
    damaged = False  # a record that did not open for another reason than this user's key
    if decrypt and not matching_sealed and as_json:
        text, damaged = _decrypted_json(found, shown, identity)
        out(text)
        _exit_if(damaged)
        return
    if decrypt and not matching_sealed:
        shown, damaged = _decrypted(found, shown, identity, strict=False)
    if as_json:
        print_json([record.data for record in shown])
        _exit_if(damaged)
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(box=None, header_style="bold", pad_edge=False)
    for column in record_kind.columns:
        table.add_column(column, no_wrap=True)
    for record in shown:
        table.add_row(*(_cell(value_at(record.data, column)) for column in record_kind.columns))
    console = Console(width=None if sys.stdout.isatty() else 1000)
    console.print(table)
    console.print(
        counted(len(selection.records), record_kind.name, record_kind.folder), style="dim"
    )
    _exit_if(damaged)


def _exit_if(damaged: bool) -> None:
    """Exit 1 (findings) once the listing is out when a record in it is damaged."""
    if damaged:
        raise typer.Exit(1)


def set_fields(
    record_id: IdArgument,
    assignments: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="FIELD=VALUE...",
            help="Fields to set, like name=华彩 or contacts[0].phone=…",
            show_default=False,
        ),
    ] = None,
    unset: Annotated[
        list[str] | None,
        typer.Option(
            "--unset",
            metavar="FIELD",
            help="Remove this field; repeat for more.",
            show_default=False,
        ),
    ] = None,
    identity: IdentityOption = None,
    store: StoreOption = None,
) -> None:
    """Change fields of a draft record as a signed commit; confidential ones are sealed."""
    from formulactl.actions.records import change
    from formulactl.store.editing import apply, parse_assignment
    from formulactl.store.store import Record

    if not assignments and not unset:
        raise FormulaError("nothing to set", "give FIELD=VALUE or --unset FIELD", rule="usage")
    found = open_store(store)
    with writing(found, f"set {record_id}"):
        before = found.load(record_id)
        opened, why = _try_open(found, before, identity)
        plain = copy.deepcopy(opened.plain if opened else before.data)
        after = Record(before.id, before.kind, before.path, plain)
        schema = found.schema(after.kind)
        assigned = [parse_assignment(schema, text) for text in assignments or []]
        apply(after.data, assigned, unset or [])
        with refusals(found), _explained(why):
            done = change(found, before, after, "set", check_cache(found), opened)
    _saved(done.commit, "set", record_id)


def edit(record_id: IdArgument, identity: IdentityOption = None, store: StoreOption = None) -> None:
    """Open a draft record in $EDITOR, decrypted in a private temporary file; invalid content
    is never saved, and the file is removed however the editing ends."""
    from formulactl.actions.records import change
    from formulactl.cli.editor import editor_command, private_folder, run_editor
    from formulactl.rules.check import check_unsaved
    from formulactl.store.store import Record

    found = open_store(store)
    before = found.load(record_id)
    opened, why = _try_open(found, before, identity)
    plain = Record(before.id, before.kind, before.path, opened.plain if opened else before.data)
    editor = editor_command()
    original = found.canonical(plain)
    with private_folder() as folder:
        draft = folder / f"{record_id}.yaml"
        draft.touch(mode=0o600)
        draft.write_text(original, encoding="utf-8")
        while True:
            text = run_editor(editor, draft)
            if text == original.encode():
                out(f"No changes to {record_id}.")
                return
            cache = check_cache(found)
            findings = check_unsaved(found, before.path, text, cache, plaintext_ok=True)
            if not findings:
                data = found.parse(before.path, text).data
                after = Record(before.id, before.kind, before.path, data)
                with writing(found, f"edit {record_id}"), refusals(found), _explained(why):
                    _unchanged_since(found, before)
                    done = change(found, before, after, "edit", cache, opened)
                _saved(done.commit, "edit", record_id)
                return
            for finding in findings:
                err(finding.as_line().replace(before.path, str(draft), 1))
            if not ask("Reopen the editor to fix this?", default=True):
                refuse(found, [], f"edit {record_id}")


def _saved(commit: str, action: str, record_id: str) -> None:
    """Say "Saved" only after a commit; a change that leaves the file as it was is none."""
    if not commit:
        out(f"No changes to {record_id}.")
        return
    committed(commit, f"{action} {record_id}")
    out(f"Saved {record_id}")


def _unchanged_since(store: Store, before: Record) -> None:
    """The editor held no lock: refuse to save over a change made meanwhile."""
    if store.load(before.id).data != before.data:
        raise FormulaError(
            f"{before.id} was changed by another command while you edited it",
            "nothing was saved; run `formulactl edit` again",
            before.path,
            rule="changed-meanwhile",
        )


def _try_open(
    store: Store,
    record: Record,
    identity: Path | None,
) -> tuple[Opened | None, FormulaError | None]:
    """Open a sealed record if this user holds a reader's key; say why not otherwise."""
    from formulactl.crypto.opening import open_record
    from formulactl.model.sealed import ENVELOPE

    if ENVELOPE not in record.data:
        return None, None
    try:
        return open_record(store, record, identities(identity)), None
    except FormulaError as why:
        return None, why


@contextmanager
def _explained(why: FormulaError | None) -> Iterator[None]:
    """A change that needed the data key fails with the reason the key was not there."""
    try:
        yield
    except FormulaError as error:
        if why is not None and error.finding.rule == "needs-key":
            raise why from None
        raise


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)
