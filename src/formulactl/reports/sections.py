"""The HTML report's sections: each is titled tables plus an optional chart spec, so any
report whose result offers `tables()` becomes a section in one line (`section_of`).

The sections computed here read only the snapshot at one commit: the archive overview,
customers by class and type, reviews due, open complaints and the satisfaction trend."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Protocol

from formulactl.archive.identity import canonical_ids
from formulactl.model.kinds import KINDS
from formulactl.trace.snapshot import Snapshot
from formulactl.trace.tables import Table, table

# Reviews this many days ahead are listed with the overdue ones.
REVIEW_WINDOW_DAYS = 30
OPEN_FEEDBACK = ("open", "investigating")


@dataclass(frozen=True)
class Chart:
    """What to draw, not how: `kind` is bar, stacked (bars), line or pie; one value per
    label per series."""

    kind: str
    title: str
    labels: tuple[str, ...]
    series: tuple[tuple[str, tuple[float, ...]], ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "title": self.title,
            "labels": list(self.labels),
            "series": [{"name": name, "values": list(values)} for name, values in self.series],
        }


@dataclass(frozen=True)
class Section:
    title: str
    tables: tuple[Table, ...]
    chart: Chart | None = None
    note: str = ""
    figures: tuple[tuple[str, int], ...] = field(default=())  # headline numbers
    picture: str = ""  # an SVG drawn by the section itself (the trace), shown as it is

    def as_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "note": self.note,
            "figures": dict(self.figures),
            "chart": self.chart.as_dict() if self.chart else None,
            "picture": bool(self.picture),
            "tables": [
                {"title": t.title, "columns": list(t.columns), "rows": [list(r) for r in t.rows]}
                for t in self.tables
            ],
        }


class HasTables(Protocol):
    def tables(self) -> list[Table]: ...


def section_of(
    title: str, result: HasTables, chart: Chart | None = None, note: str = ""
) -> Section:
    """Any report's result as a section of the page: its own tables, unchanged."""
    return Section(title, tuple(result.tables()), chart, note)


def overview(snapshot: Snapshot) -> Section:
    """Records per kind and status: how big the archive is and how much is still in work."""
    rows = []
    totals = []
    for kind in KINDS:
        records = snapshot.of(kind)
        if not records:
            continue
        totals.append((kind, len(records)))
        by_status = Counter(str(data.get("status", "—")) for data in records.values())
        rows += [(kind, status, count) for status, count in sorted(by_status.items())]
    chart = Chart(
        "bar",
        "Records per kind",
        tuple(kind for kind, _ in totals),
        (("records", tuple(float(n) for _, n in totals)),),
    )
    return Section(
        "Archive overview",
        (table("Records per kind and status", ("kind", "status", "records"), rows),),
        chart,
        "Events (batches, orders, feedback, surveys) carry a status only where their kind has one.",
        (("records", sum(n for _, n in totals)),),
    )


def customers(snapshot: Snapshot) -> Section:
    """Customers by class and type; a customer merged into another counts only as the target."""
    found = snapshot.of("customer")
    canonical = canonical_ids(found)
    counted = {cid: data for cid, data in found.items() if canonical[cid] == cid}
    pairs = Counter(
        (str(data.get("class", "—")), str(data.get("type", "—"))) for data in counted.values()
    )
    classes = sorted({c for c, _ in pairs})
    types = sorted({t for _, t in pairs})
    chart = Chart(
        "stacked",
        "Customers by class and type",
        tuple(classes),
        tuple((t, tuple(float(pairs[(c, t)]) for c in classes)) for t in types),
    )
    merged = len(found) - len(counted)
    note = f"{merged} merged customer(s) counted under the customer they were merged into."
    return Section(
        "Customers by class and type",
        (
            table(
                "Customers by class and type",
                ("class", "type", "customers"),
                [(c, t, n) for (c, t), n in sorted(pairs.items())],
            ),
        ),
        chart,
        note if merged else "",
        (("customers", len(counted)),),
    )


def reviews_due(snapshot: Snapshot, today: date) -> Section:
    """Approved master records whose review date has passed or comes within the window, and
    records waiting in review; each row says why it is listed."""
    stamp = today.isoformat()
    horizon = (today + timedelta(days=REVIEW_WINDOW_DAYS)).isoformat()
    rows: list[tuple[Any, ...]] = []
    for kind in (kind for kind in KINDS.values() if kind.master):
        for record_id, data in sorted(snapshot.of(kind.name).items()):
            status, due = data.get("status"), data.get("review_due")
            if status == "approved" and isinstance(due, str) and due <= horizon:
                days = (date.fromisoformat(due) - today).days
                why = f"review was due {-days} days ago" if due < stamp else f"due in {days} days"
                rows.append(
                    (due, record_id, kind.name, "review", "yes" if due < stamp else "", why)
                )
            elif status == "in_review":
                rows.append(("", record_id, kind.name, "approve", "", "submitted, waiting"))
    rows.sort(key=lambda row: (row[0] or "9999", row[1]))
    overdue = sum(1 for row in rows if row[4])
    return Section(
        "Reviews due",
        (table("Reviews due", ("due", "record", "kind", "task", "overdue", "why"), rows),),
        None,
        f"Reviews overdue or due within {REVIEW_WINDOW_DAYS} days of {stamp}, and records "
        "waiting for approval.",
        (("due", len(rows)), ("overdue", overdue)),
    )


def complaints(snapshot: Snapshot, today: date) -> Section:
    """Complaints not yet resolved, overdue when their response date has passed."""
    stamp = today.isoformat()
    found = snapshot.of("customer")
    canonical = canonical_ids(found)
    rows = []
    for record_id, data in sorted(snapshot.of("feedback").items()):
        if data.get("type") != "complaint" or data.get("status") not in OPEN_FEEDBACK:
            continue
        due = str(data.get("response_due", ""))
        late = bool(due) and due < stamp
        customer = canonical.get(str(data.get("customer", "")), str(data.get("customer", "")))
        why = f"response was due {due}" if late else (f"answer by {due}" if due else "no date")
        rows.append(
            (
                record_id,
                customer,
                str(found.get(customer, {}).get("name", "")),
                str(data.get("date", "")),
                str(data.get("severity", "")),
                str(data.get("status", "")),
                due,
                "yes" if late else "",
                why,
            )
        )
    overdue = sum(1 for row in rows if row[7])
    by_severity = Counter(row[4] for row in rows)
    severities = tuple(sorted(by_severity))
    chart = (
        Chart(
            "bar",
            "Open complaints by severity",
            severities,
            (("complaints", tuple(float(by_severity[s]) for s in severities)),),
        )
        if rows
        else None
    )
    columns = ("feedback", "customer", "name", "date", "severity", "status", "due", "overdue")
    return Section(
        "Open and overdue complaints",
        (table("Open complaints", (*columns, "why"), rows),),
        chart,
        f"Complaints open or under investigation on {stamp}.",
        (("open", len(rows)), ("overdue", overdue)),
    )


def satisfaction(snapshot: Snapshot) -> Section:
    """Survey scores per month: how many answered, the mean overall score and NPS answer."""
    overall: dict[str, list[int]] = defaultdict(list)
    nps: dict[str, list[int]] = defaultdict(list)
    for data in snapshot.of("survey").values():
        month = str(data.get("date", ""))[:7]
        score = (data.get("scores") or {}).get("overall")
        if isinstance(score, int):
            overall[month].append(score)
        if isinstance(data.get("nps"), int):
            nps[month].append(data["nps"])
    months = sorted(overall)
    rows = [
        (month, len(overall[month]), _mean(overall[month]), _mean(nps.get(month, [])))
        for month in months
    ]
    chart = (
        Chart(
            "line",
            "Mean overall score per month (1–5)",
            tuple(months),
            (("overall", tuple(float(row[2]) for row in rows)),),
        )
        if rows
        else None
    )
    return Section(
        "Satisfaction trend",
        (table("Satisfaction per month", ("month", "surveys", "overall", "nps"), rows),),
        chart,
        "Mean of the surveys' overall score (1 poor – 5 excellent) and likelihood to "
        "recommend (0–10), by survey month.",
        (("surveys", sum(len(v) for v in overall.values())),),
    )


def _mean(values: Sequence[int]) -> str:
    """Two decimals, rounded half up, as text so JSON and page show the same figure."""
    if not values:
        return ""
    mean = Decimal(sum(values)) / Decimal(len(values))
    return str(mean.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
