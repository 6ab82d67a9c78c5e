"""`report complaints`: how fast complaints and claims were answered and resolved against
the store's targets, what is overdue, the CAPA actions and effectiveness checks still open,
and complaints that recur for a formula, a batch or a customer; every flagged row says why."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from formulactl.reports.quality_common import Basis, Report, days, percent
from formulactl.rules.rules import CAPA_TYPES
from formulactl.trace.graph import named_batches
from formulactl.trace.tables import table

OPEN = ("open", "investigating")


def complaints_report(basis: Basis) -> Report:
    found = {
        fid: data
        for fid, data in sorted(basis.snapshot.of("feedback").items())
        if data.get("type") in CAPA_TYPES
    }
    today = basis.today.isoformat()
    targets = basis.targets
    rows: list[tuple[Any, ...]] = []
    counts: dict[str, int] = defaultdict(int)
    for fid, data in found.items():
        row, flags = _complaint_row(basis, fid, data, targets, today)
        rows.append(row)
        for flag in flags:
            counts[flag] += 1
    capa_rows = [row for fid, data in found.items() for row in _capa_rows(fid, data, today)]
    checks = [row for fid, data in found.items() for row in _effectiveness_rows(fid, data, today)]
    recurrences = _recurrences(basis, found)
    open_capa = sum(1 for row in capa_rows if row[7] in ("open", "overdue"))
    overdue_capa = sum(1 for row in capa_rows if row[7] == "overdue")
    summary = {
        "complaints": len(found),
        "open": sum(1 for data in found.values() if data.get("status") in OPEN),
        "answers_overdue": counts["overdue"],
        "first_response_on_target": f"{counts['ack-ok']}/{counts['ack-judged']}",
        "first_response_on_target_percent": percent(counts["ack-ok"], counts["ack-judged"]),
        "resolution_on_target": f"{counts['res-ok']}/{counts['res-judged']}",
        "resolution_on_target_percent": percent(counts["res-ok"], counts["res-judged"]),
        "capa_open": open_capa,
        "capa_overdue": overdue_capa,
        "effectiveness_checks_due": len(checks),
        "recurrences": len(recurrences),
    }
    summary_rows = [(name.replace("_", " "), _shown(value)) for name, value in summary.items()]
    return Report(
        "complaints and CAPA",
        basis,
        [
            table("Summary", ("measure", "value"), summary_rows),
            table(
                "Complaints and claims",
                (
                    "feedback",
                    "customer",
                    "severity",
                    "received",
                    "status",
                    "first response h",
                    "target h",
                    "resolved in d",
                    "target d",
                    "why",
                ),
                rows,
            ),
            table(
                "CAPA actions",
                ("feedback", "#", "type", "action", "owner", "due", "done on", "state", "why"),
                capa_rows,
            ),
            table(
                "Effectiveness checks due",
                ("feedback", "due", "by", "state", "why"),
                checks,
            ),
            table("Recurrences", ("by", "value", "complaints", "why"), recurrences),
        ],
        summary,
    )


def _shown(value: Any) -> Any:
    return "n/a" if value is None else value


def _complaint_row(
    basis: Basis, fid: str, data: Mapping[str, Any], targets: Mapping[str, Any], today: str
) -> tuple[tuple[Any, ...], list[str]]:
    """One complaint's times against the targets, with what is late and why."""
    severity = str(data.get("severity", ""))
    received = data.get("date")
    why: list[str] = []
    flags: list[str] = []
    acknowledged = days(data.get("acknowledged_on"), received)
    hours = acknowledged * 24 if acknowledged is not None else None
    target_h = _by_severity(targets, "first_response_hours", severity)
    flags += _judged("ack", hours, target_h, why, "first response {} h > target {} h")
    if hours is None:
        why.append("not acknowledged")
    resolved = days(data.get("resolved_on"), received)
    target_d = _by_severity(targets, "resolution_days", severity)
    flags += _judged("res", resolved, target_d, why, "resolved in {} d > target {} d")
    due = data.get("response_due")
    if data.get("status") in OPEN and isinstance(due, str) and due < today:
        flags.append("overdue")
        why.append(f"answer overdue since {due} ({days(today, due)} d)")
    row = (
        fid,
        basis.customer_of(data),
        severity,
        received,
        data.get("status"),
        hours,
        _num(target_h),
        resolved,
        _num(target_d),
        "; ".join(why),
    )
    return row, flags


def _judged(
    name: str, value: int | None, target: float | None, why: list[str], late: str
) -> list[str]:
    """Flags counting a time judged against its target (and met); why it missed, if so."""
    if value is None or target is None:
        return []
    if value <= target:
        return [f"{name}-judged", f"{name}-ok"]
    why.append(late.format(value, _num(target)))
    return [f"{name}-judged"]


def _by_severity(targets: Mapping[str, Any], name: str, severity: str) -> float | None:
    found = targets.get(name)
    value = found.get(severity) if isinstance(found, dict) else None
    return float(value) if isinstance(value, (int, float)) else None


def _num(value: float | None) -> Any:
    return int(value) if value is not None and value == int(value) else value


def _capa_rows(fid: str, data: Mapping[str, Any], today: str) -> list[tuple[Any, ...]]:
    items = data.get("capa")
    rows = []
    for index, item in enumerate(items if isinstance(items, list) else [], start=1):
        if not isinstance(item, dict):
            continue
        due, done = item.get("due"), item.get("done_on")
        if isinstance(done, str):
            late = isinstance(due, str) and done > due
            state = "done late" if late else "done"
            why = f"done {days(done, due)} d after its due date" if late else ""
        elif isinstance(due, str) and due < today:
            state, why = "overdue", f"{days(today, due)} d past its due date, not done"
        else:
            state, why = "open", ""
        rows.append(
            (
                fid,
                index,
                item.get("type"),
                item.get("action"),
                item.get("owner"),
                due,
                done,
                state,
                why,
            )
        )
    return rows


def _effectiveness_rows(fid: str, data: Mapping[str, Any], today: str) -> list[tuple[Any, ...]]:
    """Checks planned and not yet judged; and a CAPA all done with no check planned."""
    check = data.get("effectiveness")
    if isinstance(check, dict):
        if "result" in check:
            return []
        due = check.get("due")
        if isinstance(due, str) and due < today:
            return [(fid, due, check.get("by"), "overdue", f"{days(today, due)} d past due")]
        return [(fid, due, check.get("by"), "due", f"due in {days(due, today)} d")]
    items = data.get("capa")
    capa = [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []
    if capa and all("done_on" in item for item in capa) and data.get("status") != "closed":
        return [(fid, None, None, "unplanned", "every CAPA action is done; plan the check")]
    return []


def _recurrences(basis: Basis, found: Mapping[str, Mapping[str, Any]]) -> list[tuple[Any, ...]]:
    """Two or more complaints about one formula, batch or customer, and marked repeats."""
    groups: dict[tuple[str, str], list[str]] = defaultdict(list)
    for fid, data in found.items():
        formula = data.get("formula")
        if isinstance(formula, str):
            groups[("formula", formula.partition("@")[0])].append(fid)
        for batch in named_batches(dict(data)):
            groups[("batch", batch)].append(fid)
        groups[("customer", basis.customer_of(data))].append(fid)
    rows: list[tuple[Any, ...]] = [
        (by, value, ", ".join(fids), f"{len(fids)} complaints about this {by}")
        for (by, value), fids in sorted(groups.items())
        if len(fids) > 1
    ]
    for fid, data in found.items():
        earlier = data.get("recurrence_of")
        if isinstance(earlier, list) and earlier:
            names = ", ".join(str(item) for item in earlier)
            rows.append(("marked", fid, f"{fid}, {names}", f"{fid} repeats {names}"))
    return rows
