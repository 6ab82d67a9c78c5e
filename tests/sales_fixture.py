"""Hand-built customers and orders for the sales report tests, imported by an admin into the
signed store (see conftest `signed_store`), so their prices are sealed like real ones."""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import Member, act_as
from formulactl.store.store import Store

CUSTOMER = """\
id: {id}
name: {name}
type: {type}
class: {klass}
owner: {owner}
status: draft
version: 1
"""

ORDER = """\
id: {id}
customer: {customer}
date: "{day}"
currency: CNY
lines:
  - line: 1
    formula: {formula}
    product: {product}
    quantity: {quantity}
    unit: kg
    unit_price: {price}
"""

# One logged visit of C-00003 with a follow-up date, for reports that read interactions.
VISIT = """\
id: I-20260620-c0c3
date: "2026-06-20"
customer: C-00003
by: li.wei
channel: visit
summary: 回访，约下月再谈
next_date: "2026-08-01"
"""


def customer(cid: str, name: str, kind: str = "existing", klass: str = "C") -> tuple[str, str]:
    text = CUSTOMER.format(id=cid, name=name, type=kind, klass=klass, owner="wang.fang")
    return f"customers/{cid}.yaml", text


def order(
    customer: str, day: str, quantity: float, price: float, formula: str = "F-000001"
) -> tuple[str, str]:
    """One order line of a formula; the ID is made from the customer and the day."""
    oid = f"O-{day.replace('-', '')}-{customer[-4:].lower().replace('0', 'a')}"
    text = ORDER.format(
        id=oid,
        customer=customer,
        day=day,
        formula=formula,
        product="水性木器白漆",
        quantity=f"{quantity:g}",
        price=f"{price:g}",
    )
    return f"orders/{oid}.yaml", text


def import_sales(
    store: Store, keys: dict[str, Member], folder: Path, records: list[tuple[str, str]]
) -> None:
    """Import the records in one admin-signed commit; zhang.min signs from here on."""
    from formulactl.actions.importing import import_records

    if folder.exists():
        shutil.rmtree(folder)
    for name, text in records:
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    act_as(store, keys["chen.jing"])
    import_records(store, folder, "sales history")
    act_as(store, keys["zhang.min"])
