"""`report churn`: customers who stopped ordering, judged against their own rhythm.

A customer's usual interval is the median number of days between their consecutive order
days; they are flagged when the gap since the last order exceeds `factor` × that interval.
Each flagged row carries its evidence: order counts of the last four quarters, complaints
not yet closed, survey scores of 2 or less, and the last contact and its owner. Customers
with fewer than three order days have no rhythm to judge and are listed as such."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date
from statistics import median
from typing import Any

from formulactl.errors import FormulaError
from formulactl.reports.orders import OrderBook, OrderLine, parse_day
from formulactl.trace.snapshot import Snapshot
from formulactl.trace.tables import Table, table

MIN_ORDERS = 3
LOW_SCORE = 2  # survey scores run 1 (poor) to 5 (excellent)


@dataclass(frozen=True)
class Churner:
    customer: str
    name: str
    owner: str
    last_order: str
    gap_days: int
    usual_days: float
    ratio: float
    quarters: tuple[tuple[str, int], ...]  # oldest first
    open_complaints: tuple[str, ...]
    low_scores: tuple[str, ...]
    last_contact: str
    last_contact_by: str


@dataclass(frozen=True)
class ChurnReport:
    basis: dict[str, Any]
    factor: float
    churners: tuple[Churner, ...]
    steady: int  # customers with a rhythm and no alarming gap
    too_little: tuple[tuple[str, str, int, str], ...]  # customer, name, order days, last order

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.basis,
            "factor": self.factor,
            "rule": f"gap since last order > {self.factor:g} × median interval between orders",
            "churners": [
                {
                    "customer": c.customer,
                    "name": c.name,
                    "owner": c.owner,
                    "last_order": c.last_order,
                    "gap_days": c.gap_days,
                    "usual_days": c.usual_days,
                    "ratio": round(c.ratio, 1),
                    "quarters": dict(c.quarters),
                    "open_complaints": list(c.open_complaints),
                    "low_scores": list(c.low_scores),
                    "last_contact": c.last_contact or None,
                    "last_contact_by": c.last_contact_by or None,
                }
                for c in self.churners
            ],
            "steady": self.steady,
            "too_little_history": [
                {"customer": c, "name": n, "order_days": k, "last_order": last}
                for c, n, k, last in self.too_little
            ],
        }

    def tables(self) -> list[Table]:
        quarters = [q for q, _ in self.churners[0].quarters] if self.churners else []
        trend = "orders " + " → ".join(q[2:] for q in quarters) if quarters else "orders"
        flagged = table(
            f"Gap since last order > {self.factor:g} × the customer's usual interval",
            (
                "customer",
                "name",
                "owner",
                "last order",
                "gap d",
                "usual d",
                "×",
                trend,
                "open complaints",
                "low scores",
                "last contact",
            ),
            [
                (
                    c.customer,
                    c.name,
                    c.owner,
                    c.last_order,
                    c.gap_days,
                    f"{c.usual_days:g}",
                    f"{c.ratio:.1f}",
                    " → ".join(str(n) for _, n in c.quarters),
                    ", ".join(c.open_complaints),
                    ", ".join(c.low_scores),
                    _contact(c),
                )
                for c in self.churners
            ],
        )
        little = table(
            f"Too little history (fewer than {MIN_ORDERS} order days)",
            ("customer", "name", "order days", "last order"),
            list(self.too_little),
        )
        return [flagged, little]


def _contact(c: Churner) -> str:
    return f"{c.last_contact} {c.last_contact_by}".strip() or "none"


def churn(book: OrderBook, snapshot: Snapshot, factor: float) -> ChurnReport:
    """Every customer with orders judged against their own median interval."""
    if not factor > 1:
        raise FormulaError(f"--factor {factor:g} must be above 1", "e.g. --factor 2", rule="usage")
    if not book.lines:
        raise FormulaError(
            f"no orders in store {book.store_id} at {book.commit[:10]}",
            "churn is judged from order history; record orders first",
            rule="no-orders",
        )
    evidence = _Evidence(book, snapshot)
    churners = []
    little = []
    steady = 0
    for customer, lines in sorted(book.by_customer().items()):
        days = sorted({line.day for line in lines})
        data = book.customers.get(customer, {})
        name = str(data.get("name", ""))
        if len(days) < MIN_ORDERS:
            little.append((customer, name, len(days), days[-1].isoformat()))
            continue
        usual = float(median((b - a).days for a, b in itertools.pairwise(days)))
        gap = (book.day - days[-1]).days
        if usual <= 0 or gap <= factor * usual:
            steady += 1
            continue
        contact, by = evidence.last_contact(customer)
        churners.append(
            Churner(
                customer,
                name,
                str(data.get("owner", "")),
                days[-1].isoformat(),
                gap,
                usual,
                gap / usual,
                _quarters(book.day, lines),
                evidence.open_complaints(customer),
                evidence.low_scores(customer),
                contact,
                by or str(data.get("owner", "")),
            )
        )
    churners.sort(key=lambda c: -c.ratio)
    return ChurnReport(book.basis(), factor, tuple(churners), steady, tuple(little))


def _quarters(day: date, lines: list[OrderLine]) -> tuple[tuple[str, int], ...]:
    """Distinct orders in each of the last four calendar quarters, the current one last."""
    current = day.year * 4 + (day.month - 1) // 3
    wanted = [current - back for back in (3, 2, 1, 0)]
    counts: dict[int, set[str]] = {q: set() for q in wanted}
    for line in lines:
        quarter = line.day.year * 4 + (line.day.month - 1) // 3
        if quarter in counts:
            counts[quarter].add(line.order)
    return tuple((f"{q // 4}Q{q % 4 + 1}", len(counts[q])) for q in wanted)


class _Evidence:
    """Complaints, surveys and contacts per customer, indexed once for the whole report."""

    def __init__(self, book: OrderBook, snapshot: Snapshot) -> None:
        self.complaints: dict[str, list[str]] = {}
        self.scores: dict[str, list[str]] = {}
        self.contacts: dict[str, tuple[str, str]] = {}
        under = book.canonical
        for fid, data in sorted(snapshot.of("feedback").items()):
            if data.get("type") in ("complaint", "claim") and data.get("status") != "closed":
                self.complaints.setdefault(under.get(str(data.get("customer")), ""), []).append(fid)
        for sid, data in sorted(snapshot.of("survey").items()):
            overall = (data.get("scores") or {}).get("overall")
            if isinstance(overall, int | float) and overall <= LOW_SCORE:
                who = under.get(str(data.get("customer")), "")
                self.scores.setdefault(who, []).append(f"{sid} overall {overall}")
        today = book.day.isoformat()
        checked: set[str] = set()  # each distinct date string parsed once
        for iid, data in snapshot.of("interaction").items():
            who = under.get(str(data.get("customer")), "")
            when = str(data.get("date"))
            if when not in checked:
                parse_day(when, f"{iid} date")
                checked.add(when)
            if when <= today and when > self.contacts.get(who, ("", ""))[0]:
                self.contacts[who] = (when, str(data.get("by", "")))

    def open_complaints(self, customer: str) -> tuple[str, ...]:
        return tuple(self.complaints.get(customer, []))

    def low_scores(self, customer: str) -> tuple[str, ...]:
        return tuple(self.scores.get(customer, []))

    def last_contact(self, customer: str) -> tuple[str, str]:
        return self.contacts.get(customer, ("", ""))
