"""`report` commands: classify, churn, forecast and demand: the sales side of the archive."""

from __future__ import annotations

from dataclasses import dataclass
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
    render_remembered,
    usage,
)

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import date

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


@dataclass
class _Ground:
    """What a sales report stands on before any record is read: the store, the commit,
    the day it is judged on, the record folders' tree IDs and the reader's identities."""

    store: Store
    commit: str
    day: date
    trees: dict[str, str]
    who: list[Any]

    def parts(self, kinds: tuple[str, ...]) -> tuple[Any, ...]:
        """The tree IDs of `kinds`' folders and the day: what an answer from them is keyed by."""
        from formulactl.model.kinds import KINDS

        return (*(self.trees.get(KINDS[kind].folder) for kind in kinds), self.day.isoformat())


def _ground(
    store: Path | None, at: str | None, on: str | None, identity: Path | None, sealed: bool
) -> _Ground:
    """The commit at `--at`, the day `--on` (default: the commit's), one `git ls-tree` of the
    record folders; identities loaded only when `sealed` prices may be opened."""
    from datetime import date

    from formulactl.reports.answers import commit_day, folder_trees
    from formulactl.trace.snapshot import resolve_at

    day = checked_date(on, "--on")
    found = open_store(store)
    who = readers(identity) if sealed else []
    commit = resolve_at(found, at)
    judged = date.fromisoformat(day) if day else commit_day(found, commit)
    return _Ground(found, commit, judged, folder_trees(found, commit), who)


def _read(ground: _Ground, kinds: tuple[str, ...] = ()) -> tuple[Snapshot, OrderBook, bool]:
    """The records at the commit (customers, order rows and `kinds`, from the facts cache) and
    their order history, prices opened for a reader of orders; and whether the answer may be
    kept (not when sealed prices were opened)."""
    from formulactl.reports.facts import sales_facts
    from formulactl.reports.orders import order_book

    snapshot, source = sales_facts(
        ground.store, ground.commit, ("customer", *kinds), bool(ground.who), ground.trees
    )
    book = order_book(ground.store, snapshot, ground.who, ground.day, source)
    return snapshot, book, source is not None


def _answer(
    ground: _Ground,
    name: str,
    parts: tuple[Any, ...] | None,
    as_json: bool,
    form: str,
    compute: Callable[[], tuple[Any, bool]],
) -> Any:
    """Print one report, remembered by `parts` (see `render_remembered`)."""
    store = ground.store
    title = f"{name} in store {store.settings.store_id}"
    return render_remembered(store, name, parts, title, ground.commit, as_json, form, compute)


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
    check_format(form)
    if apply and at is not None:
        raise usage("--apply changes the records as they are now: leave out --at")
    ground = _ground(store, at, on, identity, sealed=True)

    def compute() -> tuple[Any, bool]:
        from formulactl.reports.classify import classify as classify_report

        _snapshot, book, keep = _read(ground)
        return classify_report(book, window_months), keep

    # --apply needs the proposals themselves, so it always computes them
    parts = (*ground.parts(("customer", "order")), window_months, bool(ground.who))
    found = _answer(ground, "classify", None if apply else parts, as_json, form, compute)
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
    check_format(form)
    ground = _ground(store, at, on, None, sealed=False)
    kinds = ("feedback", "survey", "interaction")

    def compute() -> tuple[Any, bool]:
        from formulactl.reports.churn import churn as churn_report

        snapshot, book, keep = _read(ground, kinds)
        return churn_report(book, snapshot, factor), keep

    parts = (*ground.parts(("customer", "order", *kinds)), factor)
    _answer(ground, "churn", parts, as_json, form, compute)


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
    check_format(form)
    ground = _ground(store, at, on, None, sealed=False)

    def compute() -> tuple[Any, bool]:
        from formulactl.reports.forecast import forecast as forecast_report

        _snapshot, book, keep = _read(ground)
        return forecast_report(book, months, customer, product), keep

    parts = (*ground.parts(("customer", "order")), months, customer, product)
    _answer(ground, "forecast", parts, as_json, form, compute)


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
    from formulactl.git import gitio

    check_format(form)
    ground = _ground(store, at, on, None, sealed=False)
    who = None if identity is None else readers(identity)  # a bad key file: one line, exit 2

    def compute() -> tuple[Any, bool]:
        from formulactl.reports.demand import demand as demand_report
        from formulactl.reports.forecast import forecast as forecast_report

        snapshot, book, keep = _read(ground, ("formula", "material"))
        predicted = forecast_report(book, months, None, None)
        found = demand_report(
            ground.store, snapshot, predicted, readers(None) if who is None else who
        )
        return found, keep and not found.opened_sealed

    # Keyed by the commit and HEAD: a formula in draft counts by its last approved version,
    # which comes from the history up to HEAD. Kept only when no sealed percentage was opened.
    head = gitio.resolve(ground.store.root, "HEAD")
    parts = (ground.commit, head, ground.day.isoformat(), months)
    _answer(ground, "demand", parts, as_json, form, compute)
