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
from formulactl.trace.snapshot import Snapshot

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


Line = tuple[Any, ...]  # a LotLine as plain values, as the index keeps it
Fact = tuple[Any, Any, Any]  # a batch's date, formula and disposition as recorded ("" if none)
NO_FACT: Fact = ("", "", "")


@dataclass
class Graph:
    """The indexes of one snapshot, each a mapping read only where an answer looks."""

    snapshot: Snapshot
    by_lot: Mapping[str, list[LotLine]]
    by_material: Mapping[str, list[LotLine]]
    facts: Mapping[str, Fact]
    consumers: Mapping[str, list[str]]
    deliveries: Mapping[str, list[Delivery]]
    complaints: Mapping[str, list[str]]
    orders_by_formula: Mapping[str, list[str]]
    # the formulas whose current file has a line of the material, and each one's version
    formulas_by_material: Mapping[str, list[str]]
    formula_versions: Mapping[str, int | None]
    formula_facts: Mapping[str, tuple[str, str]]  # formula → status, customer
    order_facts: Mapping[str, tuple[str, Any, Any]]  # order → customer, delivery status, due

    @property
    def batches(self) -> Mapping[str, dict[str, Any]]:
        return self.snapshot.of("batch")

    def fact(self, batch: str) -> Fact:
        return self.facts.get(batch, NO_FACT)

    def inputs(self, batch: str) -> list[LotLine]:
        return lot_lines(batch, self.batches.get(batch, {}))

    def lot(self, lot: str, material: str | None = None) -> list[LotLine]:
        found = self.by_lot.get(lot, [])
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


@dataclass
class Indexes:
    """What `Graph` reads, as plain values: lot lines as tuples, deliveries as tuples."""

    by_lot: dict[str, list[Line]] = field(default_factory=lambda: defaultdict(list))
    by_material: dict[str, list[Line]] = field(default_factory=lambda: defaultdict(list))
    facts: dict[str, Fact] = field(default_factory=dict)
    consumers: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    deliveries: dict[str, list[Line]] = field(default_factory=lambda: defaultdict(list))
    complaints: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    orders_by_formula: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    formulas_by_material: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    formula_versions: dict[str, int | None] = field(default_factory=dict)
    formula_facts: dict[str, tuple[str, str]] = field(default_factory=dict)
    order_facts: dict[str, tuple[str, Any, Any]] = field(default_factory=dict)


def index_snapshot(snapshot: Snapshot) -> Indexes:
    """One pass over every lot line, delivery and complaint; plain tuples, no objects."""
    found = Indexes()
    by_lot: dict[str, list[tuple[str, int, Line]]] = defaultdict(list)
    by_material: dict[str, list[tuple[str, int, Line]]] = defaultdict(list)
    for batch_id, data in snapshot.of("batch").items():
        found.facts[batch_id] = (
            data.get("date", ""),
            data.get("formula", ""),
            data.get("disposition", ""),
        )
        for index, line in enumerate(as_list(data.get("lots"))):
            if not isinstance(line, dict):
                continue
            place = (batch_id, index, line_values(batch_id, line))
            by_lot[str(line.get("lot", ""))].append(place)
            material, intermediate = line.get("material"), line.get("batch")
            if isinstance(material, str):
                by_material[material].append(place)
            if isinstance(intermediate, str):
                found.consumers[intermediate].append(batch_id)
    for places, into in ((by_lot, found.by_lot), (by_material, found.by_material)):
        for key, lines in places.items():
            into[key] = [values for _batch, _index, values in sorted(lines)]
    for order_id, data in sorted(snapshot.of("order").items()):
        _index_order(found, order_id, data)
    for feedback_id, data in sorted(snapshot.of("feedback").items()):
        for batch in named_batches(data):
            found.complaints[batch].append(feedback_id)
    for formula_id, data in sorted(snapshot.of("formula").items()):
        version = data.get("version")
        found.formula_versions[formula_id] = version if isinstance(version, int) else None
        found.formula_facts[formula_id] = (
            str(data.get("status", "")),
            str(data.get("customer", "")),
        )
        materials = {
            line.get("material")
            for line in as_list(data.get("ingredients"))
            if isinstance(line, dict)
        }
        for material in sorted(m for m in materials if isinstance(m, str)):
            found.formulas_by_material[material].append(formula_id)
    return found


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
    return LotLine(*line_values(batch_id, line))


def line_values(batch_id: str, line: dict[str, Any]) -> Line:
    """A lot line's fields in `LotLine` order; a sealed quantity is shown as "sealed"."""
    quantity = line.get("quantity")
    return (
        batch_id,
        _text(line.get("material")),
        _text(line.get("batch")),
        str(line.get("lot", "")),
        _text(line.get("supplier")),
        _text(line.get("supplier_lot")),
        "sealed" if is_sealed(quantity) else quantity,
        _text(line.get("unit")),
    )


def _index_order(found: Indexes, order_id: str, data: dict[str, Any]) -> None:
    customer = str(data.get("customer", ""))
    delivery = data.get("delivery")
    delivery = delivery if isinstance(delivery, dict) else {}
    status = str(delivery.get("status", "pending"))
    found.order_facts[order_id] = (customer, delivery.get("status", ""), delivery.get("due", ""))
    for line in as_list(data.get("lines")):
        if isinstance(line, dict) and isinstance(line.get("formula"), str):
            found.orders_by_formula[line["formula"].partition("@")[0]].append(order_id)
    for shipped in as_list(data.get("deliveries")):
        if not isinstance(shipped, dict) or not isinstance(shipped.get("batch"), str):
            continue
        found.deliveries[shipped["batch"]].append(
            (
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
