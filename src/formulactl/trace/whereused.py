"""Where-used: a material's formulas, the batches that consumed its lots, their customers
and the open orders that still depend on it; or every batch that consumed one lot."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from formulactl.trace.graph import Graph, LotLine, as_list
from formulactl.trace.inforce import Approval
from formulactl.trace.lives import Approvals
from formulactl.trace.snapshot import unknown
from formulactl.trace.tables import Table, table

LOT_COLUMNS = ("batch", "date", "formula", "material", "lot", "supplier", "supplier_lot")


@dataclass(frozen=True)
class FormulaUse:
    """One version of a formula that uses the material."""

    formula: str
    version: int | None
    status: str  # approved (the latest approval), superseded, archived, draft, in_review
    in_force: bool
    current: bool  # the version the formula's file holds now
    customer: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "formula": self.formula,
            "version": self.version,
            "status": self.status,
            "in_force": self.in_force,
            "current": self.current,
            "customer": self.customer,
        }


@dataclass(frozen=True)
class WhereUsed:
    subject: str
    commit: str
    formulas: tuple[FormulaUse, ...]
    lines: tuple[LotLine, ...]
    customers: tuple[str, ...]
    open_orders: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "commit": self.commit,
            "formulas": [use.as_dict() for use in self.formulas],
            "lots": [line.as_dict() for line in self.lines],
            "customers": list(self.customers),
            "open_orders": list(self.open_orders),
        }

    def tables(self, graph: Graph) -> list[Table]:
        found = []
        if self.formulas:
            rows = [
                (
                    f"{use.formula}@{use.version}",
                    use.status,
                    "yes" if use.in_force else "",
                    "yes" if use.current else "",
                    use.customer,
                )
                for use in self.formulas
            ]
            columns = ("formula", "status", "in force", "current", "customer")
            found.append(table("Formulas", columns, rows))
        found.append(
            table("Lots consumed", LOT_COLUMNS, [lot_row(graph, line) for line in self.lines])
        )
        found.append(table("Customers", ("customer",), [(c,) for c in self.customers]))
        found.append(table("Open orders", ("order",), [(o,) for o in self.open_orders]))
        return found


def lot_row(graph: Graph, line: LotLine) -> tuple[Any, ...]:
    day, formula, _disposition = graph.fact(line.batch)
    source = line.material or f"batch {line.intermediate}"
    return (
        line.batch,
        day,
        formula,
        source,
        line.lot,
        line.supplier or "",
        line.supplier_lot or "",
    )


def where_used_material(
    graph: Graph,
    material: str,
    lives: Approvals,
    content: Callable[[Approval], dict[str, Any]],
) -> WhereUsed:
    """Every version of every formula that uses `material`: each approved version (the
    latest one in force unless archived, earlier ones superseded), and the file's open
    version; `content` reads an approved version's text from history."""
    snapshot = graph.snapshot
    if material not in snapshot.of("material"):
        raise unknown("material", material, snapshot.of("material"), snapshot.commit)
    formulas: list[FormulaUse] = []
    using = set(graph.formulas_by_material.get(material, []))
    for formula_id in _candidates(graph, material, lives):
        life = lives.get(formula_id)
        approvals = life.approvals if life else ()
        status, customer = graph.formula_facts[formula_id]
        now = Current(status, graph.formula_versions[formula_id], customer, formula_id in using)
        formulas += formula_uses(formula_id, now, approvals, material, content)
    lines = tuple(graph.by_material.get(material, []))
    affected = graph.forward({line.batch for line in lines})
    named = {use.formula for use in formulas}
    orders = {o for f in named for o in graph.orders_by_formula.get(f, [])}
    return WhereUsed(
        material,
        snapshot.commit,
        tuple(formulas),
        lines,
        customers_of(graph, affected),
        open_orders(graph, affected, orders),
    )


def _candidates(graph: Graph, material: str, lives: Approvals) -> list[str]:
    """Formulas whose file uses the material now, and those with an approved version other
    than the file's (it may have used it): only these are read."""
    found = set(graph.formulas_by_material.get(material, []))
    versions = graph.formula_versions
    for formula_id, approved in lives.versions.items():
        if formula_id in versions and any(version != versions[formula_id] for version in approved):
            found.add(formula_id)
    return sorted(found)


class Current(NamedTuple):
    """What a formula's file holds now, as the index has it."""

    status: str
    version: int | None
    customer: str
    uses: bool  # it has a line of the material asked about


def formula_uses(
    formula_id: str,
    now: Current,
    approvals: Sequence[Approval],
    material: str,
    content: Callable[[Approval], dict[str, Any]],
) -> list[FormulaUse]:
    """The versions of one formula that use `material`, oldest first."""
    status, current = now.status, now.version
    latest = {approval.version: approval for approval in approvals}  # last approval per version
    found = []
    for version, approval in sorted(latest.items()):
        newest = version == max(latest)
        # the file still holds this approved version: no need to read it from history
        if version == current and status in ("approved", "archived"):
            uses, customer = now.uses, now.customer  # the file holds this version
        else:
            body = content(approval)
            uses, customer = _uses(body, material), str(body.get("customer", ""))
        if not uses:
            continue
        shown = ("archived" if status == "archived" else "approved") if newest else "superseded"
        in_force = newest and status != "archived"
        found.append(FormulaUse(formula_id, version, shown, in_force, version == current, customer))
    if current not in latest and now.uses:
        found.append(FormulaUse(formula_id, current, status, False, True, now.customer))
    return found


def _uses(data: Mapping[str, Any], material: str) -> bool:
    ingredients = as_list(data.get("ingredients"))
    return any(isinstance(i, dict) and i.get("material") == material for i in ingredients)


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
    found = {d.order for batch in batches for d in graph.deliveries.get(batch, []) if d.order_open}
    for order_id in more:
        facts = graph.order_facts.get(order_id)
        if facts is not None and facts[1] in ("pending", "partial"):
            found.add(order_id)
    return tuple(sorted(found))
