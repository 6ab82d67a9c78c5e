"""Where-used: a material's formulas, the batches that consumed its lots, their customers
and the open orders that still depend on it; or every batch that consumed one lot."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from formulactl.trace.graph import Graph, LotLine, as_list
from formulactl.trace.snapshot import unknown
from formulactl.trace.tables import Table, table

LOT_COLUMNS = ("batch", "date", "formula", "material", "lot", "supplier", "supplier_lot")


@dataclass(frozen=True)
class WhereUsed:
    subject: str
    commit: str
    formulas: tuple[tuple[str, int | None, str, str], ...]  # id, version, status, customer
    lines: tuple[LotLine, ...]
    customers: tuple[str, ...]
    open_orders: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "commit": self.commit,
            "formulas": [
                {
                    "formula": f,
                    "version": v,
                    "status": s,
                    "in_force": s == "approved",
                    "customer": c,
                }
                for f, v, s, c in self.formulas
            ],
            "lots": [line.as_dict() for line in self.lines],
            "customers": list(self.customers),
            "open_orders": list(self.open_orders),
        }

    def tables(self, graph: Graph) -> list[Table]:
        found = []
        if self.formulas:
            rows = [
                (f"{f}@{v}", s, "yes" if s == "approved" else "", c) for f, v, s, c in self.formulas
            ]
            found.append(table("Formulas", ("formula", "status", "in force", "customer"), rows))
        found.append(
            table("Lots consumed", LOT_COLUMNS, [lot_row(graph, line) for line in self.lines])
        )
        found.append(table("Customers", ("customer",), [(c,) for c in self.customers]))
        found.append(table("Open orders", ("order",), [(o,) for o in self.open_orders]))
        return found


def lot_row(graph: Graph, line: LotLine) -> tuple[Any, ...]:
    batch = graph.batches.get(line.batch, {})
    source = line.material or f"batch {line.intermediate}"
    return (
        line.batch,
        batch.get("date", ""),
        batch.get("formula", ""),
        source,
        line.lot,
        line.supplier or "",
        line.supplier_lot or "",
    )


def where_used_material(graph: Graph, material: str) -> WhereUsed:
    snapshot = graph.snapshot
    if material not in snapshot.of("material"):
        raise unknown("material", material, snapshot.of("material"), snapshot.commit)
    formulas = []
    for formula_id, data in sorted(snapshot.of("formula").items()):
        ingredients = as_list(data.get("ingredients"))
        if any(isinstance(i, dict) and i.get("material") == material for i in ingredients):
            version = data.get("version") if isinstance(data.get("version"), int) else None
            formulas.append(
                (formula_id, version, str(data.get("status", "")), str(data.get("customer", "")))
            )
    lines = tuple(graph.lines(graph.by_material.get(material, [])))
    affected = graph.forward({line.batch for line in lines})
    named = {f for f, *_ in formulas}
    orders = {o for f in named for o in graph.orders_by_formula.get(f, [])}
    return WhereUsed(
        material,
        snapshot.commit,
        tuple(formulas),
        lines,
        customers_of(graph, affected),
        open_orders(graph, affected, orders),
    )


def where_used_lot(graph: Graph, lot: str, material: str | None) -> WhereUsed:
    snapshot = graph.snapshot
    lines = graph.lot(lot, material)
    if not lines:
        raise unknown("lot", lot, graph.by_lot, snapshot.commit)
    affected = graph.forward({line.batch for line in lines})
    subject = f"lot {lot}" + (f" of {material}" if material else "")
    return WhereUsed(
        subject,
        snapshot.commit,
        (),
        tuple(lines),
        customers_of(graph, affected),
        open_orders(graph, affected, set()),
    )


def customers_of(graph: Graph, batches: list[str]) -> tuple[str, ...]:
    """Customers who received any of these batches (by delivery)."""
    return tuple(sorted({d.customer for batch in batches for d in graph.deliveries.get(batch, [])}))


def open_orders(graph: Graph, batches: list[str], more: set[str]) -> tuple[str, ...]:
    """Orders not yet fully delivered that shipped one of these batches, or are in `more`."""
    orders = graph.snapshot.of("order")
    found = {d.order for batch in batches for d in graph.deliveries.get(batch, []) if d.order_open}
    for order_id in more:
        delivery = orders.get(order_id, {}).get("delivery")
        if isinstance(delivery, dict) and delivery.get("status") in ("pending", "partial"):
            found.add(order_id)
    return tuple(sorted(found))
