"""`report` commands: classify, churn, forecast and demand: the sales side of the archive."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from formulactl.cli.common import (
    IdentityOption,
    JsonOption,
    StoreOption,
    checked_date,
    open_store,
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
    from formulactl.reports.orders import OrderBook
    from formulactl.store.store import Store
    from formulactl.trace.snapshot import Snapshot

OnOption = Annotated[
    str | None,
    typer.Option(
        "--on",
        help="Judge gaps and windows as of this day (default: the day of the commit).",
        show_default=False,
    ),
]
MonthsOption = Annotated[int, typer.Option("--months", help="Months to forecast.")]


def register(group: typer.Typer) -> None:
    """Add this family's commands to the `report` group."""
    group.command("classify")(classify)
    group.command("churn")(churn)
    group.command("forecast")(forecast)
    group.command("demand")(demand)


def _read(
    store: Path | None,
    at: str | None,
    on: str | None,
    identity: Path | None,
    sealed: bool,
    kinds: tuple[str, ...] = (),
) -> tuple[Store, Snapshot, OrderBook]:
    """The records at `--at` (customers, order rows and `kinds`, from the facts cache) and their
    order history judged on `--on`, prices opened when `sealed` is asked (and the user is a
    reader of orders)."""
    from datetime import date

    from formulactl.reports.facts import sales_facts
    from formulactl.reports.orders import order_book
    from formulactl.trace.snapshot import resolve_at

    day = checked_date(on, "--on")
    found = open_store(store)
    who = readers(identity) if sealed else []
    commit = resolve_at(found, at)
    snapshot, rows = sales_facts(found, commit, ("customer", *kinds), opening=bool(who))
    book = order_book(found, snapshot, who, date.fromisoformat(day) if day else None, rows)
    return found, snapshot, book


def _show(title: str, book: OrderBook, found: Any, as_json: bool, form: str) -> None:
    """Render one report: its JSON or its tables, each made only when it is shown."""
    data = found.as_dict() if as_json else {}
    tables = [] if as_json else found.tables()
    render_tables(f"{title} in store {book.store_id}", book.commit, data, tables, as_json, form)


def classify(
    window_months: Annotated[
        int, typer.Option("--window-months", help="Months of orders to rank by.")
    ] = 12,
    apply: Annotated[
        bool, typer.Option("--apply", help="Open the proposed changes as drafts for review.")
    ] = False,
    reason: Annotated[
        str | None, typer.Option("--reason", help="Why, for the commit (with --apply).")
    ] = None,
    on: OnOption = None,
    at: AtOption = None,
    identity: IdentityOption = None,
    as_json: JsonOption = False,
    form: FormatOption = "text",
    store: StoreOption = None,
) -> None:
    """ABC by revenue over a window (Pareto), RFM scores, and the class and type changes
    they suggest; `--apply` opens those changes as drafts for review in one signed commit."""
    from formulactl.reports.classify import classify as classify_report

    check_format(form)
    if apply and at is not None:
        raise usage("--apply changes the records as they are now: leave out --at")
    _store, _snapshot, book = _read(store, at, on, identity, sealed=True)
    found = classify_report(book, window_months)
    _show("classify", book, found, as_json, form)
    if apply:
        _apply(store, found, reason)


def _apply(store: Path | None, found: Any, reason: str | None) -> None:
    """The proposals as customer drafts in one commit, under the write lock, all or nothing."""
    from formulactl.cli.common import check_cache, committed, out, refusals, writing
    from formulactl.reports.proposals import apply_proposals

    if not reason or not reason.strip():
        raise usage("--apply needs --reason TEXT for the commits")
    if not found.proposals:
        out("nothing to apply")
        return
    opened = open_store(store)
    with writing(opened, "report classify --apply"), refusals(opened):
        commit, changed, left = apply_proposals(
            opened, found.proposals, reason, check_cache(opened)
        )
    if commit:
        committed(commit, "classify")
    out(f"{len(changed)} customer(s) now drafts for review: {', '.join(changed) or 'none'}")
    if left:
        out(f"left alone: {', '.join(left)}")


def churn(
    factor: Annotated[
        float, typer.Option("--factor", help="Flag a gap above this many usual intervals.")
    ] = 2.0,
    on: OnOption = None,
    at: AtOption = None,
    as_json: JsonOption = False,
    form: FormatOption = "text",
    store: StoreOption = None,
) -> None:
    """Customers whose gap since the last order exceeds their own usual interval, with the
    evidence: trend, open complaints, low scores, last contact and owner."""
    from formulactl.reports.churn import churn as churn_report

    check_format(form)
    _store, snapshot, book = _read(
        store, at, on, None, sealed=False, kinds=("feedback", "survey", "interaction")
    )
    found = churn_report(book, snapshot, factor)
    _show("churn", book, found, as_json, form)


def forecast(
    customer: Annotated[
        str | None, typer.Option("--customer", help="Only this customer.", show_default=False)
    ] = None,
    product: Annotated[
        str | None,
        typer.Option("--product", help="Only this formula (or product).", show_default=False),
    ] = None,
    months: MonthsOption = 3,
    on: OnOption = None,
    at: AtOption = None,
    as_json: JsonOption = False,
    form: FormatOption = "text",
    store: StoreOption = None,
) -> None:
    """Monthly forecast per customer and product from order history, the method picked per
    series and its backtest error on held-out months against the naive method."""
    from formulactl.reports.forecast import forecast as forecast_report

    check_format(form)
    _store, _snapshot, book = _read(store, at, on, None, sealed=False)
    found = forecast_report(book, months, customer, product)
    _show("forecast", book, found, as_json, form)


def demand(
    months: MonthsOption = 3,
    on: OnOption = None,
    at: AtOption = None,
    identity: IdentityOption = None,
    as_json: JsonOption = False,
    form: FormatOption = "text",
    store: StoreOption = None,
) -> None:
    """Raw material needed per month: the forecast × the approved formulas' percentages
    (for readers of those formulas)."""
    from formulactl.reports.demand import demand as demand_report
    from formulactl.reports.forecast import forecast as forecast_report

    check_format(form)
    found_store, snapshot, book = _read(
        store, at, on, None, sealed=False, kinds=("formula", "material")
    )
    predicted = forecast_report(book, months, None, None)
    found = demand_report(found_store, snapshot, predicted, readers(identity))
    _show("demand", book, found, as_json, form)
