"""The customer archive at work: dedupe, merge, reassign."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from formulactl.cli.common import (
    IdentityOption,
    JsonOption,
    StoreOption,
    check_cache,
    committed,
    identities,
    open_store,
    out,
    print_json,
    refusals,
    writing,
)
from formulactl.cli.tables import AtOption, FormatOption, check_format, render_tables, usage
from formulactl.errors import FormulaError

if TYPE_CHECKING:
    from formulactl.store.store import Store

ReasonOption = Annotated[str, typer.Option("--reason", help="Why, for the audit trail.")]


def register(app: typer.Typer) -> None:
    app.command("dedupe")(dedupe)
    app.command("merge")(merge)
    app.command("reassign")(reassign)


def dedupe(
    kind: Annotated[str, typer.Argument(help="customer (the only kind checked for duplicates)")],
    threshold: Annotated[
        float, typer.Option("--threshold", help="Lowest score (0–100) to list.")
    ] = 85.0,
    at: AtOption = None,
    decrypt: Annotated[
        bool, typer.Option("--decrypt", help="Also match phones and emails (readers only).")
    ] = False,
    identity: IdentityOption = None,
    as_json: JsonOption = False,
    form: FormatOption = "text",
    store: StoreOption = None,
) -> None:
    """Customers that may be one company, with a score and the reasons: same tax ID, same
    name after normalising (full/half width, traditional/simplified, region, company
    suffix), same name in pinyin, similar names; with --decrypt, the same phone or email
    where your key opens the contacts. Merged customers and pairs marked
    `not_duplicate_of` are left out."""
    from formulactl.archive.duplicates import dedupe as find_duplicates
    from formulactl.reports.facts import facts_snapshot
    from formulactl.trace.snapshot import resolve_at

    check_format(form)
    if kind != "customer":
        raise usage(f"dedupe checks customers, not {kind!r}: `formulactl dedupe customer`")
    found = open_store(store)
    commit = resolve_at(found, at)
    customers = facts_snapshot(found, commit, ("customer",)).of("customer")
    opened = _opened(found, customers, identity) if decrypt else None
    report = find_duplicates(found, commit, customers, threshold, opened)
    title = f"dedupe customer in store {report.store_id}: {report.customers} customers"
    render_tables(title, commit, report.as_dict(), report.tables(), as_json, form)


def _opened(
    found: Store, customers: Mapping[str, dict[str, Any]], identity: Path | None
) -> list[dict[str, Any]]:
    """The customers as this reader sees them: opened where the key opens them, sealed
    (names still compared, contacts not) where it does not."""
    from formulactl.crypto.opening import open_readable
    from formulactl.store.store import Record

    records = [
        Record(record_id, "customer", found.record_path(record_id), data)
        for record_id, data in customers.items()
    ]
    opened = open_readable(found, records, identities(identity))
    return [
        record.data if isinstance(plain, FormulaError) else dict(plain, id=record.id)
        for record, plain in zip(records, opened, strict=True)
    ]


def merge(
    record_id: Annotated[str, typer.Argument(metavar="C-A", help="The duplicate customer.")],
    into: Annotated[str, typer.Option("--into", metavar="C-B", help="The customer it is.")],
    reason: ReasonOption,
    as_json: JsonOption = False,
    store: StoreOption = None,
) -> None:
    """Mark C-A a duplicate of C-B (`merged_into`) in a signed commit; both keep their files
    and histories and reports count C-A under C-B. An approved C-A is revised first (its
    own commit) and the merge goes through review like any change of approved data."""
    from formulactl.archive.merging import merge_customer

    found = open_store(store)
    with writing(found, f"merge {record_id}"), refusals(found):
        done = merge_customer(found, record_id, into, reason, date.today(), check_cache(found))
    if as_json:
        print_json(done)
        return
    for commit, what in zip(done.commits, ("revise", "merge")[-len(done.commits) :], strict=True):
        committed(commit, f"{what} {record_id}")
    out(f"{record_id} is merged into {into} ({done.status}, version {done.version})")


def reassign(
    old: Annotated[str, typer.Option("--from", metavar="P", help="The owner now.")],
    new: Annotated[str, typer.Option("--to", metavar="Q", help="The new owner.")],
    reason: ReasonOption,
    where: Annotated[
        list[str] | None,
        typer.Option(
            "--where",
            metavar="FIELD=VALUE",
            help="Only customers matching this; repeat for more.",
            show_default=False,
        ),
    ] = None,
    as_json: JsonOption = False,
    store: StoreOption = None,
) -> None:
    """Move P's customers to Q in one admin-signed commit (only `owner` changes, so
    approved customers keep their approval); archived customers stay as they were."""
    from formulactl.archive.owners import reassign_owner
    from formulactl.store.query import parse_condition

    found = open_store(store)
    schema = found.schema("customer")
    conditions = [parse_condition(text, schema) for text in where or []]
    with writing(found, "reassign"), refusals(found):
        done = reassign_owner(found, old, new, conditions, reason, check_cache(found))
    if as_json:
        print_json(done)
        return
    committed(done.commit, f"reassign {len(done.records)} customer(s)")
    out(f"{new} now owns {', '.join(done.records)}")
    if done.skipped:
        out(f"left as they were (archived): {', '.join(done.skipped)}")
