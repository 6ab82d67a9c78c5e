"""Encryption commands: keygen, rekey, access, and the git textconv driver."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from formulactl.cli.common import (
    IdentityOption,
    JsonOption,
    StoreOption,
    committed,
    counted,
    err,
    identities,
    open_store,
    out,
    out_data,
    print_json,
    read_file,
    refusals,
    writing,
)
from formulactl.errors import FormulaError

if TYPE_CHECKING:
    from formulactl.store.store import Record, Store


def register(app: typer.Typer) -> None:
    app.command("keygen")(keygen)
    app.command("rekey")(rekey)
    app.command("upgrade-seals")(upgrade_seals)
    app.command("access")(access)
    app.command("textconv", hidden=True)(textconv)


def keygen(
    force: Annotated[bool, typer.Option("--force", help="Replace an existing identity.")] = False,
) -> None:
    """Make an age identity for decrypting (for people whose SSH key has a passphrase)."""
    from formulactl.crypto.crypto import new_identity

    config = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    path = config / "formulactl" / "identity.txt"
    if path.exists() and not force:
        raise FormulaError(
            f"{path} already exists", "use it, or pass --force to replace it", rule="exists"
        )
    secret, public = new_identity()
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
        stream.write(f"# formulactl age identity; recipient: {public}\n{secret}\n")
    out(public)
    err(
        f"Wrote {path} (readable only by you). Ask an admin to add the recipient above to "
        "your entry in team.yaml under `age:`, then to run `formulactl rekey --all`."
    )


def rekey(
    record_id: Annotated[str | None, typer.Argument(metavar="[ID]", help="One record.")] = None,
    all_records: Annotated[bool, typer.Option("--all", help="Every record in the store.")] = False,
    identity: IdentityOption = None,
    store: StoreOption = None,
) -> None:
    """Wrap data keys for today's readers; a removed reader gets a new key sealed past them."""
    from formulactl.actions.rekey import rekey

    found = open_store(store)
    if bool(record_id) == all_records:
        raise FormulaError(
            "give one ID or --all", "such as `formulactl rekey F-000012`", rule="usage"
        )
    ids = [record_id] if record_id else _all_ids(found)
    from rich.console import Console
    from rich.progress import Progress

    with (
        writing(found, "rekey"),
        Progress(transient=True, console=Console(stderr=True)) as bar,
        refusals(found),
    ):
        task = bar.add_task("rekey", total=len(ids))
        done, commit = rekey(found, ids, identities(identity), lambda _id: bar.advance(task))
    if not done:
        out("Every data key is already wrapped for exactly today's readers.")
        return
    committed(commit, f"rekey {counted(len(done), 'record')}")
    changes: dict[str, list[str]] = {}
    for item in done:
        changes.setdefault(item.change, []).append(item.record)
    for change, records in changes.items():
        shown = ", ".join(records[:5]) + (
            f" and {len(records) - 5} more" if len(records) > 5 else ""
        )
        out(f"{change}: {shown}")
    gone = sorted({name for item in done for name in item.removed})
    if gone:
        err(
            f"Warning: {', '.join(gone)} can no longer read the new data keys, but older "
            "commits still hold what they could read; `formulactl access --history ID` lists it."
        )


def upgrade_seals(
    identity: IdentityOption = None,
    store: StoreOption = None,
) -> None:
    """Give every sealed value of a store made before commitments one (an admin who reads
    every sealed record runs it once; one commit, same data keys and readers)."""
    from formulactl.actions.rekey import upgrade_seals as upgrade

    found = open_store(store)
    ids = _all_ids(found)
    from rich.console import Console
    from rich.progress import Progress

    with Progress(transient=True, console=Console(stderr=True)) as bar, refusals(found):
        task = bar.add_task("upgrade-seals", total=len(ids))
        done, commit = upgrade(found, ids, identities(identity), lambda _id: bar.advance(task))
    if not done:
        out("Every sealed value already carries a commitment.")
        return
    committed(commit, f"upgraded the sealed values of {len(done)} records")


def access(
    target: Annotated[
        str | None, typer.Argument(metavar="[ID|KIND]", help="A record or a kind.")
    ] = None,
    history: Annotated[
        bool, typer.Option("--history", help="Who could ever read each confidential field of ID.")
    ] = False,
    as_json: JsonOption = False,
    store: StoreOption = None,
) -> None:
    """Who can read what today (or ever, with --history); no key is needed."""
    from formulactl.audit.reports import access_history, access_today
    from formulactl.model.kinds import KINDS

    found = open_store(store)
    if history:
        if not target or target in KINDS or target in (k.folder for k in KINDS.values()):
            raise FormulaError("--history takes one record ID", "such as F-000012", rule="usage")
        exposures = access_history(found, found.load(target))
        if as_json:
            print_json(exposures)
            return
        for item in exposures:
            out(f"{item.field:<50} {item.reader:<22} commits {item.first[:10]}…{item.last[:10]}")
        return
    records = _records(found, target)
    rows = access_today(found, records)
    if as_json:
        print_json(rows)
        return
    for row in rows:
        notes = []
        if row.missing:
            notes.append("missing " + ", ".join(row.missing))
        if row.extra:
            notes.append("no longer readers: " + ", ".join(row.extra))
        shown = ", ".join(row.readers) or "(no sealed fields)"
        out(f"{row.record:<16} {shown}" + (f"  [{'; '.join(notes)}]" if notes else ""))


def textconv(path: Annotated[Path, typer.Argument()]) -> None:
    """git diff's text conversion: a record with its secrets opened when you hold a key."""
    from formulactl.crypto.opening import open_record
    from formulactl.model.sealed import ENVELOPE
    from formulactl.store import yamlio
    from formulactl.store.store import Record, Store

    raw = read_file(path)
    try:
        found = Store.find(Path.cwd())
        data = yamlio.load_record(raw, str(path), 1 << 24)
        record_id = str(data.get("id"))
        kind = found.kind_of(record_id)
        record = Record(record_id, kind, found.record_path(record_id), data)
        if ENVELOPE in data:
            plain = open_record(found, record, identities(None)).plain
            record = Record(record.id, record.kind, record.path, plain)
        out_data(found.canonical(record))
    except FormulaError:
        sys.stdout.buffer.write(raw)  # without a key, git shows the sealed text as it is


def _records(store: Store, target: str | None) -> list[Record]:
    from formulactl.model.kinds import KINDS, kind_named
    from formulactl.store.query import records_cache, select_records

    if target and not (target in KINDS or target in (k.folder for k in KINDS.values())):
        return [store.load(target)]
    kinds = [kind_named(target).name] if target else list(KINDS)
    cache = records_cache(store)
    return [record for kind in kinds for record in select_records(store, kind, [], cache).records]


def _all_ids(store: Store) -> list[str]:
    from formulactl.model.kinds import KINDS

    return [record_id for kind in KINDS for record_id in store.ids(kind)]
