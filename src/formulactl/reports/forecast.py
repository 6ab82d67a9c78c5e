"""`report forecast`: monthly quantities per customer and product from order history, by
standard methods picked per series, each checked on held-out months against the naive one.

A series is one customer's monthly quantity of one product (formula) in one unit, from its
first order month to the last complete month before the report's day; months without
orders count as 0. The method (Hyndman & Athanasopoulos, *Forecasting: Principles and
Practice*, 3rd ed.; Croston 1972):

- fewer than 3 months: **naive**, the last month repeated (nothing else can be fitted);
- half the months or more without orders: **Croston** (α = 0.1): demand size and interval
  between demands smoothed apart (started at the first size and the mean interval),
  forecast = size / interval, for intermittent demand;
- 24 months or more: **seasonal naive**, each month as the same month a year before;
- otherwise: **simple exponential smoothing** (α = 0.3), the smoothed level.

Backtest: the last 3 months are held out, the series before them forecast by the same
method and by the naive one, and both mean absolute errors shown; 6 months are needed."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from formulactl.errors import FormulaError
from formulactl.reports.orders import OrderBook, month_index, month_name, require_customer
from formulactl.trace.tables import Table, table

SES_ALPHA = 0.3
CROSTON_ALPHA = 0.1
SEASON = 12
HOLD_OUT = 3
MAX_MONTHS = 24


@dataclass(frozen=True)
class Series:
    customer: str
    product: str
    unit: str
    first_month: int
    values: tuple[float, ...]  # one per month, oldest first


@dataclass(frozen=True)
class Prediction:
    series: Series
    method: str
    why: str
    values: tuple[float, ...]
    mae: float | None  # backtest error of the method
    naive_mae: float | None  # … and of the naive method on the same months


@dataclass(frozen=True)
class Forecast:
    basis: dict[str, Any]
    months: tuple[str, ...]  # the forecast months
    history_to: str
    predictions: tuple[Prediction, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.basis,
            "history_to": self.history_to,
            "months": list(self.months),
            "series": [
                {
                    "customer": p.series.customer,
                    "product": p.series.product,
                    "unit": p.series.unit,
                    "history_from": month_name(p.series.first_month),
                    "history": list(p.series.values),
                    "method": p.method,
                    "why": p.why,
                    "forecast": dict(
                        zip(self.months, (round(v, 1) for v in p.values), strict=True)
                    ),
                    "backtest_mae": _rounded(p.mae),
                    "naive_mae": _rounded(p.naive_mae),
                }
                for p in self.predictions
            ],
        }

    def tables(self) -> list[Table]:
        ahead = table(
            f"Forecast per month (history to {self.history_to})",
            ("customer", "product", "unit", *self.months, "method", "why"),
            [
                (
                    p.series.customer,
                    p.series.product,
                    p.series.unit,
                    *tuple(f"{v:.0f}" for v in p.values),
                    p.method,
                    p.why,
                )
                for p in self.predictions
            ],
        )
        back = table(
            f"Backtest: last {HOLD_OUT} months held out, mean absolute error",
            ("customer", "product", "method", "MAE", "naive MAE", "verdict"),
            [
                (
                    p.series.customer,
                    p.series.product,
                    p.method,
                    f"{p.mae:.1f}",
                    f"{p.naive_mae:.1f}",
                    _verdict(p.mae, p.naive_mae),
                )
                for p in self.predictions
                if p.mae is not None and p.naive_mae is not None
            ],
        )
        return [ahead, back]


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _verdict(mae: float, naive: float) -> str:
    if mae < naive:
        return "better than naive"
    return "no better than naive" if mae == naive else "worse than naive"


def forecast(book: OrderBook, months: int, customer: str | None, product: str | None) -> Forecast:
    """Every series of the book (or of one customer or product), forecast `months` ahead."""
    if not 1 <= months <= MAX_MONTHS:
        raise FormulaError(
            f"--months {months} is out of range", f"give 1 to {MAX_MONTHS}", rule="usage"
        )
    require_customer(book, customer)
    if customer is not None:
        customer = book.canonical.get(customer, customer)
    last = month_index(book.day) - 1  # the last complete month
    series = build_series(book, last, customer, product)
    if not series:
        raise FormulaError(
            _nothing(book, customer, product), "see `formulactl list order`", rule="no-orders"
        )
    ahead = tuple(month_name(last + step) for step in range(1, months + 1))
    return Forecast(
        book.basis(), ahead, month_name(last), tuple(predict(s, months) for s in series)
    )


def _nothing(book: OrderBook, customer: str | None, product: str | None) -> str:
    where = f"store {book.store_id} at {book.commit[:10]}"
    if customer and product:
        return f"{customer} has no orders of {product} before {book.day} in {where}"
    if customer:
        return f"{customer} has no orders before {book.day} in {where}"
    if product:
        return f"no orders of {product} before {book.day} in {where}"
    return f"no orders before {book.day} in {where}"


def build_series(
    book: OrderBook, last: int, customer: str | None, product: str | None
) -> list[Series]:
    """Monthly totals per (customer, product, unit), zero-filled up to month `last`."""
    totals: dict[tuple[str, str, str], dict[int, float]] = defaultdict(lambda: defaultdict(float))
    months: dict[date, int] = {}  # a few hundred order days for a quarter of a million lines
    for line in book.lines:
        month = months.get(line.day)
        if month is None:
            month = months[line.day] = month_index(line.day)
        if month > last or (customer is not None and line.customer != customer):
            continue
        if product is not None and line.product != product:
            continue
        totals[(line.customer, line.product, line.unit)][month] += line.quantity
    found = []
    for (who, what, unit), by_month in sorted(totals.items()):
        first = min(by_month)
        values = tuple(by_month.get(month, 0.0) for month in range(first, last + 1))
        found.append(Series(who, what, unit, first, values))
    return found


def predict(series: Series, months: int) -> Prediction:
    """The method this series calls for, its forecast, and its backtest against naive."""
    method, why = choose(series.values)
    values = run(method, series.values, months)
    mae = naive_mae = None
    if len(series.values) >= 2 * HOLD_OUT:
        train, held = series.values[:-HOLD_OUT], series.values[-HOLD_OUT:]
        mae = _mae(run(method, train, HOLD_OUT), held)
        naive_mae = _mae(run("naive", train, HOLD_OUT), held)
    return Prediction(series, method, why, values, mae, naive_mae)


def choose(values: tuple[float, ...]) -> tuple[str, str]:
    """The method for a series and the reason, by its length and share of empty months."""
    n = len(values)
    zeros = sum(1 for v in values if v == 0)
    if n < 3:
        return "naive", f"only {n} month(s) of history"
    if 2 * zeros >= n:
        return "croston", f"{zeros} of {n} months without orders (intermittent)"
    if n >= 2 * SEASON:
        return "seasonal naive", f"{n} months: two or more years for the season"
    return "exp. smoothing", f"{n} months, {zeros} without orders"


def run(method: str, values: tuple[float, ...], months: int) -> tuple[float, ...]:
    if method == "croston":
        return (croston(values, CROSTON_ALPHA),) * months
    if method == "seasonal naive":
        return tuple(values[len(values) - SEASON + (step % SEASON)] for step in range(months))
    if method == "exp. smoothing":
        return (ses(values, SES_ALPHA),) * months
    return (values[-1],) * months


def ses(values: tuple[float, ...], alpha: float) -> float:
    """Simple exponential smoothing: level = α·y + (1 − α)·level, started at the first value."""
    level = values[0]
    for value in values[1:]:
        level = alpha * value + (1 - alpha) * level
    return level


def croston(values: tuple[float, ...], alpha: float) -> float:
    """Croston's method: smoothed demand size over smoothed interval between demands, both
    started at the series' own means (so one demand in eight months forecasts an eighth)."""
    demands = [value for value in values if value > 0]
    if not demands:
        return 0.0
    size = demands[0]
    interval = len(values) / len(demands)
    gap = 0
    seen = False
    for value in values:
        gap += 1
        if value > 0:
            if seen:
                size += alpha * (value - size)
                interval += alpha * (gap - interval)
            seen = True
            gap = 0
    return size / interval


def _mae(predicted: tuple[float, ...], actual: tuple[float, ...]) -> float:
    return sum(abs(p - a) for p, a in zip(predicted, actual, strict=True)) / len(actual)
