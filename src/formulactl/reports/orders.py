"""The order history every sales report starts from: one line per order line, counted under
the customer it was merged into, its revenue in the store's currency when the reader can
open the sealed prices, and the day the answer is judged on.

Revenue needs the order reader's key (`unit_price` is sealed); without it every line keeps
its quantity and no revenue, and each report says so instead of guessing."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, NamedTuple, Protocol

from formulactl.archive.identity import canonical_ids
from formulactl.crypto import crypto
from formulactl.errors import FormulaError
from formulactl.formulation.costing import exchange_rate
from formulactl.model.kinds import KINDS, RECORDS_DIR
from formulactl.model.sealed import ENVELOPE, is_sealed
from formulactl.reports.answers import commit_day
from formulactl.store.store import Record, Store
from formulactl.trace.snapshot import Snapshot, unknown


class OrderLine(NamedTuple):
    """One order line (a named tuple: a warm report makes a quarter of a million)."""

    order: str
    customer: str  # the customer it is counted under (merges followed)
    day: date
    product: str  # the formula ID without version, else the product's name
    quantity: float
    unit: str
    revenue: float | None  # in the store's currency; None when the price is sealed or missing


# One order line as the records say it, before merges, windows and prices are judged:
# order ID, customer, date, currency (None: the store's), product, quantity, unit, unit price
# (a number, None, or a sealed value). An order without lines has one row with product None.
Row = tuple[str, str, str, str | None, str | None, float, str, Any]


@dataclass
class OrderBook:
    """Every order line at one commit, with what the reports need to explain themselves."""

    store_id: str
    commit: str
    day: date  # the day gaps and windows are measured to
    currency: str
    customers: Mapping[str, dict[str, Any]]
    canonical: dict[str, str]
    lines: list[OrderLine] = field(default_factory=list)
    sealed_orders: int = 0  # orders whose prices this user could not open
    unpriced: list[str] = field(default_factory=list)  # why some revenue is missing

    @property
    def has_revenue(self) -> bool:
        """Revenue is only compared when every order's price was opened."""
        return self.sealed_orders == 0 and not self.unpriced

    def by_customer(self) -> dict[str, list[OrderLine]]:
        found: dict[str, list[OrderLine]] = defaultdict(list)
        for line in self.lines:
            found[line.customer].append(line)
        return dict(found)

    def basis(self) -> dict[str, Any]:
        return {"store_id": self.store_id, "commit": self.commit, "day": self.day.isoformat()}


def parse_day(text: str, what: str) -> date:
    """A YYYY-MM-DD date from a record; a bad one is one line naming where it was."""
    try:
        return date.fromisoformat(text)
    except (TypeError, ValueError):
        raise FormulaError(
            f"{what}: {text!r} is not a date", "write dates as YYYY-MM-DD", rule="usage"
        ) from None


def order_book(
    store: Store,
    snapshot: Snapshot,
    identities: list[crypto.Identity],
    day: date | None = None,
    source: PricedSource | None = None,
) -> OrderBook:
    """The order lines at the snapshot's commit, prices opened for a reader of orders;
    `source` (the facts cache) stands for the snapshot's orders when given."""
    customers = snapshot.of("customer")
    raw = store.settings.raw
    book = OrderBook(
        store_id=store.settings.store_id,
        commit=snapshot.commit,
        day=day or commit_day(store, snapshot.commit),
        currency=str(raw.get("cost_currency") or "CNY"),
        customers=customers,
        canonical=canonical_ids(customers),
    )
    rates = list(raw.get("exchange_rates") or [])
    if source is not None:
        _add_lines(book, source.priced(book.canonical, book.currency, rates))
        return book
    orders = sorted(snapshot.of("order").items())
    if identities and any(ENVELOPE in data for _, data in orders):
        from formulactl.crypto.opening import open_readable  # only a reader opening prices

        folder = f"{RECORDS_DIR}/{KINDS['order'].folder}"
        records = [Record(oid, "order", f"{folder}/{oid}.yaml", data) for oid, data in orders]
        opened: list[dict[str, Any] | FormulaError] = open_readable(store, records, identities)
    else:
        opened = [data for _, data in orders]
    rows = order_rows(
        (oid, stored if isinstance(data, FormulaError) else data)
        for (oid, stored), data in zip(orders, opened, strict=True)
    )
    _add_lines(book, priced_lines(rows, book.canonical, book.currency, rates))
    return book


def order_rows(orders: Iterable[tuple[str, dict[str, Any]]]) -> list[Row]:
    """Each order's lines as rows, in the order given (the facts cache keeps these)."""
    rows: list[Row] = []
    for order_id, data in orders:
        currency = data.get("currency")
        head = (
            order_id,
            str(data.get("customer")),
            str(data.get("date")),
            currency and str(currency),
        )
        items = [item for item in data.get("lines") or [] if isinstance(item, dict)]
        if not items:
            rows.append((*head, None, 0.0, "", None))
        for item in items:
            formula = item.get("formula")
            product = str(formula).partition("@")[0] if formula else str(item.get("product"))
            quantity = float(item.get("quantity") or 0)
            rows.append((*head, product, quantity, str(item.get("unit")), item.get("unit_price")))
    return rows


# One order line as counted before the day it is judged on: order, customer (merges
# followed), day as an ordinal, product, quantity, unit, revenue, whether its price is
# sealed, and why its revenue is missing (None when it is not). The facts cache keeps these.
Priced = tuple[str, str, int, str, float, str, float | None, bool, str | None]


class PricedSource(Protocol):
    """Where the priced lines of a commit's orders come from (the facts cache)."""

    def priced(self, canonical: dict[str, str], currency: str, rates: list[Any]) -> list[Priced]:
        """The lines of `order_rows`, priced in `currency` and counted under `canonical`."""
        ...


def priced_lines(
    rows: list[Row], canonical: dict[str, str], currency: str, rates: list[Any]
) -> list[Priced]:
    """Each row with lines as a line counted under its customer and priced in `currency`,
    whatever the day it is judged on (a bad date is one line, exit 2)."""
    days: dict[str, tuple[int, str]] = {}
    found: list[Priced] = []
    append = found.append
    for order_id, customer, when, source, product, quantity, unit, price in rows:
        known = days.get(when)
        if known is None:
            parsed = parse_day(when, f"{order_id} date")
            known = days[when] = (parsed.toordinal(), parsed.isoformat())
        if product is None:
            continue  # an order without lines
        revenue: float | None = None
        note = None
        sealed = is_sealed(price)
        if not sealed and isinstance(price, int | float):
            try:
                rate = (
                    1.0
                    if (source or currency) == currency
                    else exchange_rate(rates, source or currency, currency, known[1])
                )
                revenue = quantity * float(price) * float(rate)
            except FormulaError as why:
                note = f"{order_id}: {why.finding.message}"
        who = canonical.get(customer, customer)
        append((order_id, who, known[0], product, quantity, unit, revenue, sealed, note))
    return found


def _add_lines(book: OrderBook, priced: list[Priced]) -> None:
    """The lines made by the book's day, with the orders whose prices stayed sealed and why
    some revenue is missing."""
    limit = book.day.toordinal()
    dates: dict[int, date] = {}
    sealed: set[str] = set()
    append = book.lines.append
    new_line = tuple.__new__
    for order_id, customer, ordinal, product, quantity, unit, revenue, shut, note in priced:
        if ordinal > limit:
            continue  # not yet made on the day the report is judged on
        day = dates.get(ordinal)
        if day is None:
            day = dates[ordinal] = date.fromordinal(ordinal)
        if shut:
            sealed.add(order_id)
        if note is not None:
            book.unpriced.append(note)
        # tuple.__new__ makes the named tuple without its Python-level __new__ (a third of
        # the cost of a quarter of a million lines)
        line = (order_id, customer, day, product, quantity, unit, revenue)
        append(new_line(OrderLine, line))
    book.sealed_orders += len(sealed)


def require_customer(book: OrderBook, customer: str | None) -> None:
    """An unknown `--customer` is one line naming the closest IDs."""
    if customer is not None and customer not in book.customers:
        raise unknown("customer", customer, book.customers, book.commit)


def month_index(day: date) -> int:
    """Months since year 0, so consecutive months differ by one."""
    return day.year * 12 + day.month - 1


def month_name(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"
