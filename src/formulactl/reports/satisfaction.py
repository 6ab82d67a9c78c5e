"""`report satisfaction`: CSAT (the share of surveys whose overall score is 4 or 5) and NPS
(promoters 9–10 minus detractors 0–6, in points) per period, customer class and owner, the
trend from one period to the next, against `targets.satisfaction_percent`."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from formulactl.errors import FormulaError
from formulactl.reports.quality_common import Basis, Report, percent
from formulactl.trace.tables import Table, table

PERIODS = ("month", "quarter")
SATISFIED = 4  # overall score on the survey's 1–5 scale


def period_of(day: str, period: str) -> str:
    """`2026-06` for a month, `2026-Q2` for a quarter."""
    if period == "month":
        return day[:7]
    return f"{day[:4]}-Q{(int(day[5:7]) - 1) // 3 + 1}"


def satisfaction_report(basis: Basis, period: str = "quarter") -> Report:
    if period not in PERIODS:
        raise FormulaError(
            f"--period {period!r} is not month or quarter", "use month or quarter", rule="usage"
        )
    surveys = [
        (sid, data)
        for sid, data in sorted(basis.snapshot.of("survey").items())
        if isinstance(data.get("date"), str) and isinstance(_overall(data), int)
    ]
    target = basis.targets.get("satisfaction_percent")
    target = float(target) if isinstance(target, (int, float)) else None
    customers = basis.snapshot.of("customer")

    def customer(data: Mapping[str, Any]) -> Mapping[str, Any]:
        return customers.get(basis.customer_of(data), {})

    periods = _grouped(surveys, lambda data: period_of(str(data["date"]), period), target, True)
    classes = _grouped(surveys, lambda data: str(customer(data).get("class", "?")), target)
    owners = _grouped(surveys, lambda data: str(customer(data).get("owner", "?")), target)
    low = [
        (
            sid,
            basis.customer_of(data),
            data.get("date"),
            _overall(data),
            data.get("nps"),
            _low_why(data),
        )
        for sid, data in surveys
        if _low_why(data)
    ]
    overall = _measure([data for _sid, data in surveys])
    summary = {
        "surveys": len(surveys),
        "csat_percent": overall[1],
        "nps": overall[2],
        "target_percent": target,
        "period": period,
    }
    return Report(
        "satisfaction",
        basis,
        [
            _table(f"By {period}", period, periods, with_trend=True),
            _table("By customer class", "class", classes),
            _table("By owner", "owner", owners),
            table(
                "Low scores",
                ("survey", "customer", "date", "overall", "nps", "why"),
                low,
            ),
        ],
        summary,
    )


def _overall(data: Mapping[str, Any]) -> Any:
    scores = data.get("scores")
    return scores.get("overall") if isinstance(scores, dict) else None


def _low_why(data: Mapping[str, Any]) -> str:
    why = []
    if _overall(data) < SATISFIED:
        why.append(f"overall {_overall(data)} < {SATISFIED}")
    nps = data.get("nps")
    if isinstance(nps, int) and nps <= 6:
        why.append(f"detractor (would recommend {nps}/10)")
    return "; ".join(why)


def _measure(group: list[Mapping[str, Any]]) -> tuple[int, float | None, int | None]:
    """(satisfied answers, CSAT percent, NPS)."""
    satisfied = sum(1 for data in group if _overall(data) >= SATISFIED)
    scores = [data["nps"] for data in group if isinstance(data.get("nps"), int)]
    promoters = sum(1 for score in scores if score >= 9)
    detractors = sum(1 for score in scores if score <= 6)
    nps = round(100 * (promoters - detractors) / len(scores)) if scores else None
    return satisfied, percent(satisfied, len(group)), nps


def _grouped(
    surveys: Sequence[tuple[str, Mapping[str, Any]]],
    key: Callable[[Mapping[str, Any]], str],
    target: float | None,
    ordered: bool = False,
) -> list[tuple[Any, ...]]:
    groups: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for _sid, data in surveys:
        groups[key(data)].append(data)
    rows = []
    previous: float | None = None
    for name in sorted(groups):
        satisfied, csat, nps = _measure(groups[name])
        trend = _trend(csat, previous) if ordered else None
        previous = csat
        why = (
            f"CSAT {csat} % below target {target:g} %"
            if target is not None and csat is not None and csat < target
            else ""
        )
        rows.append((name, len(groups[name]), satisfied, csat, nps, trend, why))
    return rows


def _trend(now: float | None, before: float | None) -> str | None:
    if now is None or before is None:
        return None
    change = round(now - before, 1)
    return f"{change:+g} pts"


def _table(title: str, by: str, rows: list[tuple[Any, ...]], with_trend: bool = False) -> Table:
    if with_trend:
        return table(title, (by, "surveys", "satisfied", "CSAT %", "NPS", "trend", "why"), rows)
    return table(
        title,
        (by, "surveys", "satisfied", "CSAT %", "NPS", "why"),
        [row[:5] + row[6:] for row in rows],
    )
