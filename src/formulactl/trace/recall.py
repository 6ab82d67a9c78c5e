"""The recall report: every batch a lot or batch reached, who got how much and when, whom
to call, and which open orders to stop — stated with the commit it rests on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from formulactl.errors import FormulaError
from formulactl.model.sealed import ENVELOPE, is_sealed
from formulactl.store.store import Store
from formulactl.trace.graph import Graph, as_list
from formulactl.trace.snapshot import prefetch
from formulactl.trace.tables import Table, table
from formulactl.trace.tracing import Trace
from formulactl.trace.whereused import open_orders

if TYPE_CHECKING:
    from formulactl.crypto import crypto

SEALED = "sealed"
CONTACT_FIELDS = ("name", "title", "phone", "email", "wechat")


@dataclass(frozen=True)
class Recall:
    subject: str
    store_id: str
    commit: str
    trace: Trace
    contacts: tuple[tuple[str, ...], ...]  # customer, customer name, name, title, phone, email
    open_orders: tuple[tuple[str, str, str, str], ...]  # order, customer, status, due
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        columns = ("customer", "customer_name", *CONTACT_FIELDS)
        return {
            "recall": self.subject,
            "store_id": self.store_id,
            "commit": self.commit,
            "seconds": round(self.seconds, 3),
            "batches": list(self.trace.affected),
            "deliveries": [d.as_dict() for d in self.trace.deliveries],
            "customers": list(self.trace.customers),
            "contacts": [dict(zip(columns, row, strict=True)) for row in self.contacts],
            "open_orders": [
                {"order": o, "customer": c, "status": s, "due": d}
                for o, c, s, d in self.open_orders
            ],
        }

    def tables(self, graph: Graph) -> list[Table]:
        batches = [(b, *graph.fact(b)) for b in self.trace.affected]
        deliveries = [
            (d.customer, d.order, d.batch, d.date, d.quantity, d.unit)
            for d in self.trace.deliveries
        ]
        return [
            table("Batches affected", ("batch", "date", "formula", "disposition"), batches),
            table(
                "Delivered", ("customer", "order", "batch", "date", "quantity", "unit"), deliveries
            ),
            table("Contacts", ("customer", "customer name", *CONTACT_FIELDS), list(self.contacts)),
            table(
                "Open orders to stop",
                ("order", "customer", "status", "due"),
                list(self.open_orders),
            ),
        ]


def recall(
    store: Store,
    graph: Graph,
    found: Trace,
    identities: list[crypto.Identity],
    seconds: float,
) -> Recall:
    customers = graph.snapshot.of("customer")
    prefetch(customers, found.customers)
    contacts = tuple(
        row
        for customer in found.customers
        for row in _contacts(store, customer, customers.get(customer, {}), identities)
    )
    stopped = open_orders(graph, list(found.affected), set())
    stop = tuple(
        (order_id, customer, str(status), str(due))
        for order_id in stopped
        for customer, status, due in [graph.order_facts[order_id]]
    )
    return Recall(
        found.subject,
        store.settings.store_id,
        graph.snapshot.commit,
        found,
        contacts,
        stop,
        seconds,
    )


def _contacts(
    store: Store, customer: str, data: dict[str, Any], identities: list[crypto.Identity]
) -> list[tuple[str, ...]]:
    """Each contact of a customer, its sealed fields opened for a reader, else "sealed"."""
    opened = _opened(store, customer, data, identities)
    name = str(opened.get("name", ""))
    people = as_list(opened.get("contacts"))
    rows = [
        (customer, name, *(_shown(person.get(key)) for key in CONTACT_FIELDS))
        for person in people
        if isinstance(person, dict)
    ]
    return rows or [(customer, name, *("" for _ in CONTACT_FIELDS))]


def _opened(
    store: Store, customer: str, data: dict[str, Any], identities: list[crypto.Identity]
) -> dict[str, Any]:
    return opened(store, "customer", customer, data, identities)


def opened(
    store: Store,
    kind: str,
    record_id: str,
    data: dict[str, Any],
    identities: list[crypto.Identity],
) -> dict[str, Any]:
    """The record with its sealed values opened for a reader; as it is for anyone else."""
    if ENVELOPE not in data or not identities:
        return data
    from formulactl.crypto.sealing import data_key, open_secrets

    try:
        key = data_key(record_id, data, identities)
        return open_secrets(store.settings, store.schema(kind), record_id, data, key)
    except FormulaError:
        return data  # not a reader: the values stay sealed


def _shown(value: Any) -> str:
    if value is None:
        return ""
    return SEALED if is_sealed(value) else str(value)
