"""`report classify`: which customers make the revenue (ABC by Pareto over a window), how
they buy (RFM quintile scores), and the changes to their records that follow: a class that
no longer fits, a "potential" customer that has ordered.

A: the customers making the first 80 % of the window's revenue (the one crossing 80 % is
in); B: the next 15 % (to 95 %); C: the rest, and every customer without orders in the
window. Revenue needs the order reader's key; without it quantities stand in, said so."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from formulactl.errors import FormulaError
from formulactl.reports.orders import OrderBook, OrderLine
from formulactl.trace.tables import Table, table

A_SHARE = 80.0
B_SHARE = 95.0


@dataclass(frozen=True)
class Standing:
    customer: str
    name: str
    current: str  # the class the record holds
    value: float
    share: float  # % of the window's total
    cumulative: float
    abc: str
    last_order: str
    days_since: int | None
    orders: int
    rfm: tuple[int, int, int] | None


@dataclass(frozen=True)
class Proposal:
    customer: str
    name: str
    field: str
    current: str
    proposed: str
    why: str


@dataclass(frozen=True)
class Classification:
    basis: dict[str, Any]
    window_months: int
    start: str
    measure: str  # "revenue CNY" or "quantity"
    standings: tuple[Standing, ...]
    proposals: tuple[Proposal, ...]
    notes: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.basis,
            "window_months": self.window_months,
            "window_start": self.start,
            "measure": self.measure,
            "cut_offs": {"A": A_SHARE, "B": B_SHARE},
            "customers": [
                {
                    "customer": s.customer,
                    "name": s.name,
                    "class": s.current,
                    "value": round(s.value, 2),
                    "share": round(s.share, 1),
                    "cumulative": round(s.cumulative, 1),
                    "abc": s.abc,
                    "last_order": s.last_order or None,
                    "days_since": s.days_since,
                    "orders": s.orders,
                    "rfm": list(s.rfm) if s.rfm else None,
                }
                for s in self.standings
            ],
            "proposals": [
                {
                    "customer": p.customer,
                    "field": p.field,
                    "from": p.current,
                    "to": p.proposed,
                    "why": p.why,
                }
                for p in self.proposals
            ],
            "notes": list(self.notes),
        }

    def tables(self) -> list[Table]:
        abc = table(
            f"ABC by {self.measure} from {self.start} to {self.basis['day']} "
            f"(A: first {A_SHARE:g} %, B: to {B_SHARE:g} %, C: the rest)",
            ("customer", "name", self.measure, "share %", "cum. %", "ABC", "class now"),
            [
                (
                    s.customer,
                    s.name,
                    _amount(s.value),
                    f"{s.share:.1f}",
                    f"{s.cumulative:.1f}",
                    s.abc,
                    s.current,
                )
                for s in self.standings
            ],
        )
        rfm = table(
            "RFM (quintile scores 1-5: recent, frequent, big buyers score 5)",
            ("customer", "last order", "days since", "orders", "R", "F", "M", "RFM"),
            [
                (s.customer, s.last_order, s.days_since, s.orders, *s.rfm, "".join(map(str, s.rfm)))
                for s in self.standings
                if s.rfm is not None
            ],
        )
        proposals = table(
            "Proposals",
            ("customer", "name", "field", "now", "proposed", "why"),
            [(p.customer, p.name, p.field, p.current, p.proposed, p.why) for p in self.proposals],
        )
        notes = table("Notes", ("note",), [(note,) for note in self.notes])
        return [abc, rfm, proposals, *([notes] if self.notes else [])]


def _amount(value: float) -> str:
    return f"{value:,.2f}" if value % 1 else f"{value:,.0f}"


def months_back(day: date, months: int) -> date:
    """The same day `months` earlier (the month's last day when it is shorter)."""
    import calendar

    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def classify(book: OrderBook, window_months: int) -> Classification:
    """ABC, RFM and the proposals at the book's commit and day."""
    if window_months < 1 or window_months > 120:
        raise FormulaError(
            f"--window-months {window_months} is out of range", "give 1 to 120", rule="usage"
        )
    if not book.lines:
        raise FormulaError(
            f"no orders in store {book.store_id} at {book.commit[:10]}",
            "classification needs orders; record them with `formulactl new order`",
            rule="no-orders",
        )
    start = months_back(book.day, window_months)
    measure = f"revenue {book.currency}" if book.has_revenue else "quantity"
    notes = _notes(book, measure)
    history = book.by_customer()
    in_window = {
        customer: [line for line in lines if line.day > start]
        for customer, lines in history.items()
    }
    values = {c: _value(lines, book.has_revenue) for c, lines in in_window.items()}
    listed = [
        customer
        for customer, data in sorted(book.customers.items())
        if book.canonical.get(customer) == customer and data.get("status") != "archived"
    ]
    listed += [c for c in sorted(history) if c not in listed]
    ranked = sorted(listed, key=lambda c: (-values.get(c, 0.0), c))
    total = sum(values.get(c, 0.0) for c in ranked)
    scores = _rfm(book.day, in_window, values)
    standings = []
    before = 0.0
    for customer in ranked:
        value = values.get(customer, 0.0)
        share = 100 * value / total if total else 0.0
        abc = "C" if value <= 0 else "A" if before < A_SHARE else "B" if before < B_SHARE else "C"
        before += share
        last = max((line.day for line in history.get(customer, [])), default=None)
        data = book.customers.get(customer, {})
        standings.append(
            Standing(
                customer,
                str(data.get("name", "")),
                str(data.get("class", "")),
                value,
                share,
                before,
                abc,
                last.isoformat() if last else "",
                (book.day - last).days if last else None,
                len({line.order for line in in_window.get(customer, [])}),
                scores.get(customer),
            )
        )
    proposals = _proposals(book, standings, history, start)
    return Classification(
        book.basis(), window_months, start.isoformat(), measure, tuple(standings), proposals, notes
    )


def _notes(book: OrderBook, measure: str) -> tuple[str, ...]:
    notes = []
    if book.sealed_orders:
        notes.append(
            f"prices of {book.sealed_orders} order(s) are sealed and this user cannot open them: "
            "ranked by quantity as recorded instead of revenue (pass a reader's --identity)"
        )
    notes.extend(book.unpriced)
    if measure == "quantity":
        notes.append("quantities are summed as recorded, whatever their unit")
    return tuple(notes)


def _value(lines: list[OrderLine], revenue: bool) -> float:
    if revenue:
        return sum(line.revenue or 0.0 for line in lines)
    return sum(line.quantity for line in lines)


def _rfm(
    day: date, in_window: dict[str, list[OrderLine]], values: dict[str, float]
) -> dict[str, tuple[int, int, int]]:
    """Quintile scores among the customers that ordered in the window: 5 for the best fifth."""
    buyers = sorted(c for c, lines in in_window.items() if lines)
    recency = {c: (day - max(line.day for line in in_window[c])).days for c in buyers}
    frequency = {c: len({line.order for line in in_window[c]}) for c in buyers}
    # Each population sorted once: a score is then one binary search, not a pass over all.
    recent = sorted(-recency[o] for o in buyers)
    frequent = sorted(frequency.values())
    valued = sorted(values[o] for o in buyers)
    return {
        c: (
            _quintile(-recency[c], recent),
            _quintile(frequency[c], frequent),
            _quintile(values[c], valued),
        )
        for c in buyers
    }


def _quintile(value: float, population: Sequence[float]) -> int:
    """1 + how many fifths of the population (sorted) lie strictly below `value`."""
    below = bisect_left(population, value)
    return 1 + min(4, 5 * below // len(population))


def _proposals(
    book: OrderBook,
    standings: list[Standing],
    history: dict[str, list[OrderLine]],
    start: date,
) -> tuple[Proposal, ...]:
    found = []
    for s in standings:
        data = book.customers.get(s.customer)
        if data is None or data.get("status") == "archived":
            continue
        if s.current and s.current != s.abc:
            why = (
                f"{s.share:.1f} % of {_measure(book)}"
                f" since {start.isoformat()}, cumulative {s.cumulative:.1f} %"
                if s.value > 0
                else f"no orders since {start.isoformat()}"
            )
            found.append(Proposal(s.customer, s.name, "class", s.current, s.abc, why))
        if data.get("type") == "potential" and history.get(s.customer):
            orders = sorted({line.order for line in history[s.customer]})
            found.append(
                Proposal(
                    s.customer,
                    s.name,
                    "type",
                    "potential",
                    "existing",
                    f"has ordered: {', '.join(orders[:3])}" + (" …" if len(orders) > 3 else ""),
                )
            )
    return tuple(found)


def _measure(book: OrderBook) -> str:
    return "revenue" if book.has_revenue else "quantity"
