"""The HTML report's sections: each is titled tables plus an optional chart spec, so any
report whose result offers `tables()` becomes a section in one line (`section_of`).

The sections computed here read only the snapshot at one commit (the archive overview,
customers by class and type, reviews due); complaints, satisfaction, churn and staff KPIs
are the reports of those names, shown with their own tables and headline numbers."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Protocol

from formulactl.archive.identity import canonical_ids
from formulactl.model.kinds import KINDS
from formulactl.reports.churn import ChurnReport
from formulactl.reports.quality_common import Report
from formulactl.trace.snapshot import Snapshot
from formulactl.trace.tables import Table, table

# Reviews this many days ahead are listed with the overdue ones.
REVIEW_WINDOW_DAYS = 30
OPEN = ("open", "investigating")

Figure = int | float


@dataclass(frozen=True)
class Chart:
    """What to draw, not how: `kind` is bar, stacked (bars), line or pie; one value per
    label per series."""

    kind: str
    title: str
    labels: tuple[str, ...]
    series: tuple[tuple[str, tuple[float | None, ...]], ...]  # None: no value there

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
    figures: tuple[tuple[str, Figure], ...] = field(default=())  # headline numbers
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


def complaints(found: Report) -> Section:
    """`report complaints` as it is: its summary's open and overdue counts up top, its
    tables below, and the complaints still open drawn by severity."""
    summary = found.summary
    listed = _table_named(found, "Complaints and claims")
    status, severity = listed.columns.index("status"), listed.columns.index("severity")
    by_severity = Counter(str(row[severity]) for row in listed.rows if row[status] in OPEN)
    severities = tuple(sorted(by_severity))
    chart = (
        Chart(
            "bar",
            "Open complaints by severity",
            severities,
            (("complaints", tuple(float(by_severity[s]) for s in severities)),),
        )
        if by_severity
        else None
    )
    return Section(
        "Open and overdue complaints",
        tuple(found.tables()),
        chart,
        f"From `report complaints` on {found.basis.today.isoformat()}: response and "
        "resolution times against the store's targets, CAPA actions and recurrences.",
        _figures(
            summary,
            {"open": "open", "answers overdue": "answers_overdue", "CAPA overdue": "capa_overdue"},
        ),
    )


def satisfaction(found: Report) -> Section:
    """`report satisfaction` by month: CSAT and NPS per month drawn as the trend."""
    summary = found.summary
    months = _table_named(found, f"By {summary.get('period', 'month')}")
    csat, nps = months.columns.index("CSAT %"), months.columns.index("NPS")
    chart = (
        Chart(
            "line",
            "CSAT % and NPS per month",
            tuple(str(row[0]) for row in months.rows),
            (
                ("CSAT %", tuple(_number(row[csat]) for row in months.rows)),
                ("NPS", tuple(_number(row[nps]) for row in months.rows)),
            ),
        )
        if months.rows
        else None
    )
    return Section(
        "Satisfaction trend",
        tuple(found.tables()),
        chart,
        "From `report satisfaction --period month`: CSAT is the share of surveys scoring 4 or "
        "5 of 5, NPS promoters (9–10) minus detractors (0–6) in points.",
        _figures(summary, {"surveys": "surveys", "CSAT %": "csat_percent", "NPS": "nps"}),
    )


def churn(found: ChurnReport) -> Section:
    """`report churn`: customers whose gap since the last order exceeds their own rhythm,
    drawn as how many usual intervals each gap is."""
    flagged = found.churners
    chart = (
        Chart(
            "bar",
            "Gap since last order, in usual intervals",
            tuple(c.customer for c in flagged),
            (("×", tuple(round(c.ratio, 1) for c in flagged)),),
        )
        if flagged
        else None
    )
    return Section(
        "Churn list",
        tuple(found.tables()),
        chart,
        f"From `report churn` on {found.basis['day']}: flagged when the gap since the last "
        f"order exceeds {found.factor:g} × the customer's median interval between orders.",
        (
            ("at risk", len(flagged)),
            ("steady", found.steady),
            ("too little history", len(found.too_little)),
        ),
    )


def kpi(found: Report) -> Section:
    """`report kpi`: per person from signed history, entries and approvals drawn side by side."""
    entry = _table_named(found, "Entry and approval")
    people = tuple(str(row[0]) for row in entry.rows)
    chart = (
        Chart(
            "bar",
            "Records entered, submitted and approved per person",
            people,
            tuple(
                (name, tuple(float(row[entry.columns.index(name)]) for row in entry.rows))
                for name in ("entered", "submitted", "approved")
            ),
        )
        if people
        else None
    )
    return Section(
        "Staff KPIs",
        tuple(found.tables()),
        chart,
        "From `report kpi`: who signed each new, submit, reject and approve; customer work "
        "from the records at this commit.",
        (("people", len(people)),),
    )


def _table_named(found: HasTables, title: str) -> Table:
    return next(t for t in found.tables() if t.title == title)


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def _figures(
    summary: Mapping[str, Any], shown: Mapping[str, str]
) -> tuple[tuple[str, Figure], ...]:
    """A report summary's headline numbers under the page's names (`shown`: name → key);
    one it cannot give (no surveys: no NPS) is left out."""
    found = ((name, summary.get(key)) for name, key in shown.items())
    return tuple((name, value) for name, value in found if isinstance(value, int | float))
