"""A hand-built store for exports and SQL: the small signed store plus a customer with a
contact (phone sealed) and four orders of one or two lines (unit prices sealed), imported
by the admin in one signed commit, so every count and sum in the tests is known by hand.

Orders by customer after the import: C-00001 three (the small store's own and two here),
C-00003 two. Order lines: six, five of them priced (sealed), adding up to 61.5."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import Invoke, Member, act_as
from formulactl.store.store import Store
from trace_fixture import RECORDS as TRACE_RECORDS

PHONE = "+86 571 8888 1234"  # C-00003's one contact (the traceability store's customer)


def order(order_id: str, customer: str, day: str, prices: list[float]) -> str:
    lines = "".join(
        f"  - line: {number}\n    product: 白漆 {number}\n    quantity: 100\n    unit: kg\n"
        f"    unit_price: {price}\n"
        for number, price in enumerate(prices, start=1)
    )
    return (
        f'id: {order_id}\ncustomer: {customer}\ndate: "{day}"\ncurrency: CNY\nlines:\n{lines}'
        "delivery:\n  status: pending\n"
    )


RECORDS: dict[str, str] = {
    "customers/C-00003.yaml": TRACE_RECORDS["customers/C-00003.yaml"],
    "orders/O-20261201-a001.yaml": order("O-20261201-a001", "C-00001", "2026-12-01", [12.5]),
    "orders/O-20261202-a002.yaml": order("O-20261202-a002", "C-00001", "2026-12-02", [10, 9]),
    "orders/O-20261203-a003.yaml": order("O-20261203-a003", "C-00003", "2026-12-03", [20]),
    "orders/O-20261204-a004.yaml": order("O-20261204-a004", "C-00003", "2026-12-04", [10]),
}


def write_data_records(folder: Path) -> Path:
    for name, text in RECORDS.items():
        path = folder / "records" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def data_store(signed_store: Store, team_keys: dict[str, Member], tmp_path: Path) -> Store:
    """The small signed store plus these records, imported by the admin in one signed
    commit; zhang.min (entry) signs from here on."""
    from formulactl.actions.importing import import_records

    act_as(signed_store, team_keys["chen.jing"])
    import_records(signed_store, write_data_records(tmp_path / "data"), "orders for the tests")
    act_as(signed_store, team_keys["zhang.min"])
    return signed_store


def refused_in_one_line(invoke: Invoke, store: Store, args: tuple[str, ...], message: str) -> None:
    """The command exits 2 with one line on stderr starting with `message`, nothing else."""
    done = invoke(*args, cwd=store.root)
    assert (done.code, done.out) == (2, "")
    assert done.err.startswith(f"formulactl: {message}")
    assert done.err.count("\n") == 1
