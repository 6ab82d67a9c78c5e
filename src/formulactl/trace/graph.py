"""The lot → batch → delivery graph of one snapshot, indexed both ways.

Every lot line stays its own edge, so two lots of one material in one batch stay two
lines in every answer.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from formulactl.model.sealed import is_sealed
from formulactl.trace.snapshot import Snapshot, prefetch

OPEN_DELIVERY = ("pending", "partial")


@dataclass(frozen=True)
class LotLine:
    """One lot line of one batch: a bought material lot or an intermediate batch."""

    batch: str
    material: str | None
    intermediate: str | None
    lot: str
    supplier: str | None
    supplier_lot: str | None
    quantity: Any
    unit: str | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "batch": self.batch,
            "material": self.material,
            "intermediate": self.intermediate,
            "lot": self.lot,
            "supplier": self.supplier,
            "supplier_lot": self.supplier_lot,
            "quantity": self.quantity,
            "unit": self.unit,
        }


@dataclass(frozen=True)
class Delivery:
    order: str
    customer: str
    date: str
    batch: str
    quantity: Any
    unit: str
    order_status: str

    @property
    def order_open(self) -> bool:
        return self.order_status in OPEN_DELIVERY

    def as_dict(self) -> dict[str, Any]:
        return {
            "order": self.order,
            "customer": self.customer,
            "date": self.date,
            "batch": self.batch,
            "quantity": self.quantity,
            "unit": self.unit,
            "order_status": self.order_status,
        }


Place = tuple[str, int]  # (batch, index of the lot line): lines are made only when asked


@dataclass
class Graph:
    snapshot: Snapshot
    by_lot: dict[str, list[Place]] = field(default_factory=lambda: defaultdict(list))
    by_material: dict[str, list[Place]] = field(default_factory=lambda: defaultdict(list))
    consumers: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    deliveries: dict[str, list[Delivery]] = field(default_factory=lambda: defaultdict(list))
    complaints: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    orders_by_formula: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    # the formulas whose current file has a line of the material, and each one's version
    formulas_by_material: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    formula_versions: dict[str, int | None] = field(default_factory=dict)

    @property
    def batches(self) -> Mapping[str, dict[str, Any]]:
        return self.snapshot.of("batch")

    def inputs(self, batch: str) -> list[LotLine]:
        return lot_lines(batch, self.batches.get(batch, {}))

    def lines(self, places: list[Place]) -> list[LotLine]:
        prefetch(self.batches, {batch for batch, _index in places})
        return [lot_line(batch, as_list(self.batches[batch].get("lots"))[i]) for batch, i in places]

    def lot(self, lot: str, material: str | None = None) -> list[LotLine]:
        found = self.lines(self.by_lot.get(lot, []))
        return [line for line in found if material in (None, line.material)]

    def forward(self, start: set[str]) -> list[str]:
        """`start` and every batch made from them through intermediates, each once."""
        seen: list[str] = []
        known: set[str] = set()
        queue = sorted(start)
        while queue:
            batch = queue.pop(0)
            if batch in known:
                continue
            seen.append(batch)
            known.add(batch)
            queue += self.consumers.get(batch, [])
        return seen


def build_graph(snapshot: Snapshot) -> Graph:
    """One pass over every lot line, delivery and complaint; plain tuples, no objects."""
    graph = Graph(snapshot)
    by_lot, by_material, consumers = graph.by_lot, graph.by_material, graph.consumers
    for batch_id, data in snapshot.of("batch").items():
        for index, line in enumerate(as_list(data.get("lots"))):
            if not isinstance(line, dict):
                continue
            place = (batch_id, index)
            by_lot[str(line.get("lot", ""))].append(place)
            material, intermediate = line.get("material"), line.get("batch")
            if isinstance(material, str):
                by_material[material].append(place)
            if isinstance(intermediate, str):
                consumers[intermediate].append(batch_id)
    for places in (*by_lot.values(), *by_material.values()):
        places.sort()
    for order_id, data in sorted(snapshot.of("order").items()):
        _index_order(graph, order_id, data)
    for feedback_id, data in sorted(snapshot.of("feedback").items()):
        for batch in named_batches(data):
            graph.complaints[batch].append(feedback_id)
    for formula_id, data in sorted(snapshot.of("formula").items()):
        version = data.get("version")
        graph.formula_versions[formula_id] = version if isinstance(version, int) else None
        materials = {
            line.get("material")
            for line in as_list(data.get("ingredients"))
            if isinstance(line, dict)
        }
        for material in sorted(m for m in materials if isinstance(m, str)):
            graph.formulas_by_material[material].append(formula_id)
    return graph


def named_batches(feedback: dict[str, Any]) -> list[str]:
    """The batches feedback names, in `batch` or `batches`, each once."""
    named = as_list(feedback.get("batches"))
    single = [feedback["batch"]] if isinstance(feedback.get("batch"), str) else []
    return [b for b in dict.fromkeys([*single, *named]) if isinstance(b, str)]


def lot_lines(batch_id: str, data: dict[str, Any]) -> list[LotLine]:
    return [
        lot_line(batch_id, line) for line in as_list(data.get("lots")) if isinstance(line, dict)
    ]


def lot_line(batch_id: str, line: dict[str, Any]) -> LotLine:
    quantity = line.get("quantity")
    return LotLine(
        batch_id,
        _text(line.get("material")),
        _text(line.get("batch")),
        str(line.get("lot", "")),
        _text(line.get("supplier")),
        _text(line.get("supplier_lot")),
        "sealed" if is_sealed(quantity) else quantity,
        _text(line.get("unit")),
    )


def _index_order(graph: Graph, order_id: str, data: dict[str, Any]) -> None:
    customer = str(data.get("customer", ""))
    delivery = data.get("delivery")
    delivery = delivery if isinstance(delivery, dict) else {}
    status = str(delivery.get("status", "pending"))
    for line in as_list(data.get("lines")):
        if isinstance(line, dict) and isinstance(line.get("formula"), str):
            graph.orders_by_formula[line["formula"].partition("@")[0]].append(order_id)
    for shipped in as_list(data.get("deliveries")):
        if not isinstance(shipped, dict) or not isinstance(shipped.get("batch"), str):
            continue
        graph.deliveries[shipped["batch"]].append(
            Delivery(
                order_id,
                customer,
                str(shipped.get("date", "")),
                shipped["batch"],
                shipped.get("quantity"),
                str(shipped.get("unit", "")),
                status,
            )
        )


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def find_cycles(graph: Graph, start: str) -> list[list[str]]:
    """Loops of intermediates reachable backwards from `start`, each named once."""
    loops: list[list[str]] = []
    done: set[str] = set()

    def visit(batch: str, path: list[str]) -> None:
        if batch in path:
            loop = [*path[path.index(batch) :], batch]
            if sorted(loop[:-1]) not in [sorted(found[:-1]) for found in loops]:
                loops.append(loop)
            return
        if batch in done:
            return
        for line in graph.inputs(batch):
            if line.intermediate:
                visit(line.intermediate, [*path, batch])
        done.add(batch)

    visit(start, [])
    return loops
