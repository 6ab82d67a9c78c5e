"""Traceability commands: where-used, trace, recall, active, release, reject-batch."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from formulactl.cli.common import (
    IdentityOption,
    JsonOption,
    StoreOption,
    checked_date,
    open_store,
    out,
)
from formulactl.cli.tables import (
    AtOption,
    FormatOption,
    check_format,
    readers,
    render_tables,
    usage,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from formulactl.store.store import Record, Store

LotOption = Annotated[
    str | None,
    typer.Option("--lot", help="A lot number as the batches record it.", show_default=False),
]
MaterialOption = Annotated[
    str | None,
    typer.Option("--material", help="Only the lot of this material.", show_default=False),
]


def register(app: typer.Typer) -> None:
    app.command("where-used")(where_used)
    app.command("trace")(trace)
    app.command("recall")(recall)
    app.command("active")(active)
    app.command("release")(release)
    app.command("reject-batch")(reject_batch)


def where_used(
    material: Annotated[str | None, typer.Argument(metavar="M-…", show_default=False)] = None,
    lot: LotOption = None,
    only: MaterialOption = None,
    at: AtOption = None,
    as_json: JsonOption = False,
    form: FormatOption = "text",
    store: StoreOption = None,
) -> None:
    """Formulas, batches, lots, customers and open orders that use a material or a lot."""
    from formulactl.trace.session import Session
    from formulactl.trace.whereused import where_used_lot, where_used_material

    check_format(form)
    with Session(open_store(store), at) as session:
        if lot is not None:
            found = where_used_lot(session.graph, lot, only)
        elif material is not None:
            found = where_used_material(
                session.graph, material, session.lifecycles, session.approved_content
            )
        else:
            raise usage("give a material ID or --lot LOT")
        render_tables(
            f"where-used {found.subject}",
            found.commit,
            found.as_dict(),
            found.tables(session.graph),
            as_json,
            form,
        )


def trace(
    batch: Annotated[str | None, typer.Argument(metavar="B-…", show_default=False)] = None,
    lot: LotOption = None,
    only: MaterialOption = None,
    at: AtOption = None,
    identity: IdentityOption = None,
    as_json: JsonOption = False,
    form: FormatOption = "text",
    store: StoreOption = None,
) -> None:
    """A batch back to its formula version and input lots, forward to its customers;
    or a raw-material lot (--lot) forward to every customer."""
    from formulactl.trace.session import Session

    check_format(form)
    with Session(open_store(store), at, readers(identity)) as session:
        if lot is not None:
            found = session.trace_lot(lot, only)
        elif batch is not None:
            found = session.trace(batch)
        else:
            raise usage("give a batch ID or --lot LOT")
        render_tables(
            f"trace {found.subject}", found.commit, found.as_dict(), found.tables(), as_json, form
        )
    if found.findings:
        raise typer.Exit(1)


def recall(
    lot: LotOption = None,
    batch: Annotated[
        str | None, typer.Option("--batch", help="A batch to recall.", show_default=False)
    ] = None,
    only: MaterialOption = None,
    at: AtOption = None,
    identity: IdentityOption = None,
    as_json: JsonOption = False,
    form: FormatOption = "text",
    store: StoreOption = None,
) -> None:
    """The recall report: affected batches, customers and contacts, deliveries, open orders."""
    from formulactl.trace.recall import recall as recall_report
    from formulactl.trace.session import Session
    from formulactl.trace.tracing import trace_lot

    started = time.perf_counter()
    check_format(form)
    if (lot is None) == (batch is None):
        raise usage("give exactly one of --lot LOT and --batch B-…")
    found_store = open_store(store)
    with Session(found_store, at) as session:
        found = trace_lot(session.graph, lot, only) if lot else session.trace(str(batch))
        who = readers(identity)
        report = recall_report(
            found_store, session.graph, found, who, time.perf_counter() - started
        )
        title = f"recall {report.subject} in store {report.store_id}"
        tables = report.tables(session.graph)
        render_tables(title, report.commit, report.as_dict(), tables, as_json, form)
    if not as_json and form == "text":
        out(f"made from commit {report.commit} in {report.seconds:.2f} s")


def active(
    formula: Annotated[str, typer.Argument(metavar="F-…")],
    on: Annotated[str, typer.Option("--on", help="The day (YYYY-MM-DD).")],
    at: AtOption = None,
    as_json: JsonOption = False,
    form: FormatOption = "text",
    store: StoreOption = None,
) -> None:
    """The version in force on a day: its latest approval by then, unless archived since."""
    from formulactl.trace.session import Session
    from formulactl.trace.tables import table

    check_format(form)
    day = checked_date(on, "--on") or on
    with Session(open_store(store), at) as session:
        found = session.active(formula, day)
        approval = found.approval
        rows = (
            [
                (
                    f"{formula}@{approval.version}",
                    approval.day,
                    approval.signature.line(),
                    approval.commit[:10],
                )
            ]
            if approval
            else []
        )
        tables = [
            table(f"In force on {day}", ("version", "approved on", "approval", "commit"), rows),
            table("Batches made under it", ("batch",), [(b,) for b in found.batches]),
        ]
        if found.why:
            tables.append(table("Note", ("note",), [(found.why,)]))
        render_tables(
            f"active {formula} on {day}", session.commit, found.as_dict(), tables, as_json, form
        )
    if approval is None:
        raise typer.Exit(1)


def release(
    batch: Annotated[str, typer.Argument(metavar="B-…")],
    identity: IdentityOption = None,
    store: StoreOption = None,
) -> None:
    """Release a batch in quarantine: every required test recorded, none out of spec
    (warnings are listed), the lot quantities within the store's consumption tolerance of
    the scaled formula (checked for a reader of it: --identity, else the signing key), by
    an approver who is not its operator. A signed commit."""
    _dispose(batch, "release", "", store, identity)


def reject_batch(
    batch: Annotated[str, typer.Argument(metavar="B-…")],
    reason: Annotated[str, typer.Option("--reason", help="Why, for the audit trail.")],
    store: StoreOption = None,
) -> None:
    """Reject a batch in quarantine, saying why. A signed commit."""
    _dispose(batch, "reject-batch", reason, store)


def _dispose(
    batch: str, name: str, reason: str, store: Path | None, identity: Path | None = None
) -> None:
    from formulactl.actions.disposition import dispose
    from formulactl.cli.common import check_cache, committed, err, refusals

    found = open_store(store)
    gate = consumption_gate(found, identity) if name == "release" else None
    with refusals(found):
        disposed = dispose(found, batch, name, reason, check_cache(found), gate)
    committed(disposed.done.commit, f"{name} {batch}")
    if disposed.warnings:
        err(f"released with warnings: {disposed.warnings}")
    out(f"{batch} is {disposed.done.record.data.get('disposition')}")


def consumption_gate(store: Store, identity: Path | None) -> Callable[[Record], list[str]]:
    """The consumption check for `release`, with the releaser's key (--identity, else the
    signing key); one who cannot read the formula or the quantities is told it was skipped."""
    from formulactl.cli.common import err
    from formulactl.cli.formulation import signing_identities
    from formulactl.errors import FormulaError
    from formulactl.formulation.consumption import batch_deviations
    from formulactl.formulation.source import Reader

    def gate(record: Record) -> list[str]:
        reader = Reader(store, signing_identities(store, identity))
        try:
            return [deviation.message for deviation in batch_deviations(reader, record)]
        except FormulaError as why:
            if why.finding.rule != "not-a-reader":
                raise
            err(f"consumption of {record.id} not checked: {why.finding.message}")
            return []

    return gate
