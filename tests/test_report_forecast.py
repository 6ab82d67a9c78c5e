"""`report forecast`: the methods on tiny series (exact numbers), the choice of method and its
reason, the backtest against naive, and the command on a hand-built store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import Invoke, Member
from formulactl.reports.forecast import Series, choose, croston, predict, run, ses
from formulactl.store.store import Store
from sales_fixture import customer, import_sales, order


def test_simple_exponential_smoothing_by_hand() -> None:
    # level 100 → 130 → 121 → 144.7 → 131.29 → 151.903 with α = 0.3
    assert ses((100, 200, 100, 200, 100, 200), 0.3) == pytest.approx(151.903)


def test_croston_smooths_size_and_interval_apart() -> None:
    # sizes 100 then 200: 100 + 0.1 × 100 = 110; interval: mean 3, then 3 + 0.1 × (2 − 3)
    assert croston((0, 0, 100, 0, 200, 0), 0.1) == pytest.approx(110 / 2.9)
    assert croston((0, 0, 0), 0.1) == 0.0
    assert croston((0, 0, 0, 0, 0, 0, 0, 800), 0.1) == 100.0  # one order in eight months


def test_the_method_follows_length_and_empty_months() -> None:
    assert choose((5, 6)) == ("naive", "only 2 month(s) of history")
    assert choose((0, 0, 100, 0, 200, 0)) == (
        "croston",
        "4 of 6 months without orders (intermittent)",
    )
    assert choose(tuple(range(1, 25)))[0] == "seasonal naive"
    assert choose((1, 2, 3, 0)) == ("exp. smoothing", "4 months, 1 without orders")
    year = tuple(float(v) for v in range(1, 25))
    assert run("seasonal naive", year, 3) == (13.0, 14.0, 15.0)


def test_backtest_against_naive_on_held_out_months() -> None:
    series = Series("C-00003", "F-000001", "kg", 0, (100, 200, 100, 200, 100, 200))
    found = predict(series, 2)
    assert found.method == "exp. smoothing"
    assert found.values == pytest.approx((151.903, 151.903))
    # train 100, 200, 100 → level 121; held 200, 100, 200: errors 79, 21, 79
    assert found.mae == pytest.approx(179 / 3)
    # naive repeats 100: errors 100, 0, 100
    assert found.naive_mae == pytest.approx(200 / 3)


@pytest.fixture
def monthly(signed_store: Store, team_keys: dict[str, Member], tmp_path: Path) -> Store:
    quantities = (100, 200, 100, 200, 100, 200)
    records = [
        customer("C-00003", "甲"),
        *(order("C-00003", f"2026-0{m}-10", q, 10) for m, q in enumerate(quantities, 1)),
    ]
    import_sales(signed_store, team_keys, tmp_path / "sales", records)
    return signed_store


def test_forecast_command_on_a_tiny_store(monthly: Store, invoke: Invoke) -> None:
    args = ("report", "forecast", "--on", "2026-07-15", "--customer", "C-00003")
    done = invoke(*args, "--months", "2", "--json", cwd=monthly.root)
    assert done.code == 0, done.err
    found = json.loads(done.out)
    assert found["history_to"] == "2026-06"
    assert found["series"] == [
        {
            "customer": "C-00003",
            "product": "F-000001",
            "unit": "kg",
            "history_from": "2026-01",
            "history": [100, 200, 100, 200, 100, 200],
            "method": "exp. smoothing",
            "why": "6 months, 0 without orders",
            "forecast": {"2026-07": 151.9, "2026-08": 151.9},
            "backtest_mae": 59.67,
            "naive_mae": 66.67,
        }
    ]
    text = invoke(*args, cwd=monthly.root).out
    assert "  C-00003   F-000001  exp. smoothing  59.7  66.7       better than naive" in text


def test_no_orders_and_bad_months_are_one_line(monthly: Store, invoke: Invoke) -> None:
    done = invoke("report", "forecast", "--customer", "C-00002", cwd=monthly.root)
    assert done.code == 2
    assert done.err.startswith("formulactl: C-00002 has no orders before ")
    done = invoke("report", "forecast", "--months", "0", cwd=monthly.root)
    assert (done.code, done.err) == (2, "formulactl: --months 0 is out of range — give 1 to 24\n")
    done = invoke("report", "forecast", "--customer", "C-77", cwd=monthly.root)
    assert done.code == 2
    assert "no customer `C-77`" in done.err
