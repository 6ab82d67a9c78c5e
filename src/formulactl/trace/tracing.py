"""Trace a batch backwards to its formula version and every input lot (through
intermediates, recursively) and forwards to deliveries, customers and complaints."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from formulactl.trace.graph import Delivery, Graph, LotLine, find_cycles, named_batches
from formulactl.trace.inforce import Approval
from formulactl.trace.snapshot import prefetch, unknown
from formulactl.trace.tables import Table, table

if TYPE_CHECKING:
    from formulactl.trace.quality import BatchQuality

ApprovalOf = Callable[[str], Approval | None]
LinesOf = Callable[[str], list[LotLine]]


@dataclass(frozen=True)
class Input:
    """A lot line reached from the traced batch; `via` names the intermediates between."""

    via: tuple[str, ...]
    line: LotLine


@dataclass(frozen=True)
class Made:
    """A batch in the trace, with the formula version it names and that version's approval."""

    batch: str
    formula: str
    approval: Approval | None


@dataclass(frozen=True)
class Trace:
    subject: str
    commit: str
    made: tuple[Made, ...]
    inputs: tuple[Input, ...]
    affected: tuple[str, ...]
    deliveries: tuple[Delivery, ...]
    complaints: tuple[tuple[str, str, str, str], ...]  # id, customer, date, batches
    loops: tuple[tuple[str, ...], ...]
    quality: BatchQuality | None = None
    problems: tuple[str, ...] = ()  # e.g. the batch names a version never approved

    @property
    def customers(self) -> tuple[str, ...]:
        return tuple(sorted({delivery.customer for delivery in self.deliveries}))

    def as_dict(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "commit": self.commit,
            "backwards": {
                "batches": [
                    {
                        "batch": m.batch,
                        "formula": m.formula,
                        "approval": m.approval.as_dict() if m.approval else None,
                    }
                    for m in self.made
                ],
                "lots": [dict(item.line.as_dict(), via=list(item.via)) for item in self.inputs],
            },
            "forwards": {
                "batches": list(self.affected),
                "deliveries": [d.as_dict() for d in self.deliveries],
                "customers": list(self.customers),
                "complaints": [
                    {"feedback": f, "customer": c, "date": d, "batches": b.split(", ")}
                    for f, c, d, b in self.complaints
                ],
            },
            "qc": self.quality.as_dict() if self.quality else None,
            "findings": self.findings,
        }

    @property
    def findings(self) -> list[str]:
        """Loops, versions never approved, typed QC verdicts that the specification denies."""
        found = [loop_message(loop) for loop in self.loops] + list(self.problems)
        return found + list(self.quality.problems if self.quality else ())

    def tables(self) -> list[Table]:
        made = [
            (
                m.batch,
                m.formula,
                m.approval.signature.line() if m.approval else "never approved",
                m.approval.commit[:10] if m.approval else "",
            )
            for m in self.made
        ]
        lots = [
            (
                " > ".join(item.via) or item.line.batch,
                item.line.material or f"batch {item.line.intermediate}",
                item.line.lot,
                item.line.supplier or "",
                item.line.supplier_lot or "",
                item.line.quantity,
                item.line.unit or "",
            )
            for item in self.inputs
        ]
        found = []
        if made:
            found.append(table("Made under", ("batch", "formula", "approval", "commit"), made))
        if lots:
            columns = ("batch", "material", "lot", "supplier", "supplier_lot", "quantity", "unit")
            found.append(table("Input lots", columns, lots))
        found.append(table("Batches affected", ("batch",), [(b,) for b in self.affected]))
        deliveries = [
            (d.batch, d.order, d.customer, d.date, d.quantity, d.unit, d.order_status)
            for d in self.deliveries
        ]
        columns = ("batch", "order", "customer", "date", "quantity", "unit", "order status")
        found.append(table("Deliveries", columns, deliveries))
        found.append(
            table("Complaints", ("feedback", "customer", "date", "batches"), list(self.complaints))
        )
        if self.quality:
            title = f"QC against {self.quality.formula}"
            rows = [(v.name, v.result, v.verdict, v.why) for v in self.quality.verdicts]
            rows += [(name, "", "missing", "required") for name in self.quality.gate.missing]
            found.append(table(title, ("property", "result", "verdict", "why"), rows))
        if self.findings:
            found.append(table("Findings", ("finding",), [(f,) for f in self.findings]))
        return found


def loop_message(loop: tuple[str, ...]) -> str:
    return "intermediates form a loop: " + " → ".join(loop)


def trace_batch(
    graph: Graph, batch_id: str, approval_of: ApprovalOf, lines_of: LinesOf | None = None
) -> Trace:
    """`lines_of` gives a batch's lot lines (opened for a reader); the graph's by default."""
    snapshot = graph.snapshot
    if batch_id not in graph.batches:
        raise unknown("batch", batch_id, graph.batches, snapshot.commit)
    made: list[Made] = []
    inputs: list[Input] = []
    lines = lines_of or graph.inputs
    _backwards(graph, batch_id, (), (approval_of, lines), made, inputs)
    loops = tuple(tuple(loop) for loop in find_cycles(graph, batch_id))
    return _forwards(graph, batch_id, [batch_id], tuple(made), tuple(inputs), loops)


def trace_lot(graph: Graph, lot: str, material: str | None) -> Trace:
    lines = graph.lot(lot, material)
    if not lines:
        raise unknown("lot", lot, graph.by_lot, graph.snapshot.commit)
    inputs = tuple(Input((), line) for line in lines)
    subject = f"lot {lot}" + (f" of {material}" if material else "")
    return _forwards(graph, subject, sorted({line.batch for line in lines}), (), inputs, ())


def _backwards(
    graph: Graph,
    batch_id: str,
    via: tuple[str, ...],
    lookups: tuple[ApprovalOf, LinesOf],
    made: list[Made],
    inputs: list[Input],
) -> None:
    """Depth first; a batch already on the path is a loop (reported once), not a hang."""
    if batch_id in via or any(m.batch == batch_id for m in made):
        return
    approval_of, lines_of = lookups
    formula = str(graph.fact(batch_id)[1])
    made.append(Made(batch_id, formula, approval_of(formula)))
    path = (*via, batch_id)
    for line in lines_of(batch_id):
        inputs.append(Input(path, line))
        if line.intermediate:
            _backwards(graph, line.intermediate, path, lookups, made, inputs)


def _forwards(
    graph: Graph,
    subject: str,
    start: list[str],
    made: tuple[Made, ...],
    inputs: tuple[Input, ...],
    loops: tuple[tuple[str, ...], ...],
) -> Trace:
    affected = graph.forward(set(start))
    deliveries = tuple(d for batch in affected for d in graph.deliveries.get(batch, []))
    feedback = graph.snapshot.of("feedback")
    named = sorted({f for batch in affected for f in graph.complaints.get(batch, [])})
    prefetch(feedback, named)
    complaints = tuple(
        (
            f,
            str(feedback[f].get("customer", "")),
            str(feedback[f].get("date", "")),
            ", ".join(named_batches(feedback[f])),
        )
        for f in named
    )
    return Trace(
        subject, graph.snapshot.commit, made, inputs, tuple(affected), deliveries, complaints, loops
    )
