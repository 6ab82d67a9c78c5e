"""A trace drawn as a picture: input lots on the left, the batches made from them, the
customers they were delivered to, and the complaints those customers raised, joined by
arrows. Plain SVG text, so the page needs no script and no library to show it."""

from __future__ import annotations

from html import escape

from formulactl.model.sealed import is_sealed
from formulactl.trace.tracing import Trace

COLUMN_WIDTH = 230
BOX_WIDTH = 190
BOX_HEIGHT = 38
ROW_HEIGHT = 50
TOP = 40
COLUMNS = ("Input lots", "Batches", "Customers", "Complaints")


def _quantity(value: object, unit: str | None) -> str:
    if value is None or is_sealed(value) or value == "sealed":
        return "sealed"
    return f"{value} {unit or ''}".strip()


def trace_nodes(found: Trace) -> tuple[list[list[tuple[str, str]]], list[tuple[str, str]]]:
    """Columns of (node key, label) and the arrows between node keys."""
    lots: dict[str, str] = {}
    batches: dict[str, str] = {}
    customers: dict[str, str] = {}
    complaints: dict[str, str] = {}
    edges: list[tuple[str, str]] = []
    for made in found.made:
        batches[f"b:{made.batch}"] = f"{made.batch} ({made.formula})"
    for item in found.inputs:
        line = item.line
        batches.setdefault(f"b:{line.batch}", line.batch)
        if line.intermediate:
            batches.setdefault(f"b:{line.intermediate}", line.intermediate)
            edges.append((f"b:{line.intermediate}", f"b:{line.batch}"))
            continue
        key = f"l:{line.material}:{line.lot}"
        lots[key] = f"{line.material} {line.lot} · {_quantity(line.quantity, line.unit)}"
        edges.append((key, f"b:{line.batch}"))
    for batch in found.affected:
        batches.setdefault(f"b:{batch}", batch)
    for delivery in found.deliveries:
        customers[f"c:{delivery.customer}"] = delivery.customer
        edges.append((f"b:{delivery.batch}", f"c:{delivery.customer}"))
    for feedback, customer, day, _batches in found.complaints:
        complaints[f"f:{feedback}"] = f"{feedback} {day}"
        customers.setdefault(f"c:{customer}", customer)
        edges.append((f"c:{customer}", f"f:{feedback}"))
    columns = [sorted(group.items()) for group in (lots, batches, customers, complaints)]
    return columns, sorted(set(edges))


def trace_svg(found: Trace) -> str:
    """The picture as one <svg> element, sized to its tallest column."""
    columns, edges = trace_nodes(found)
    places: dict[str, tuple[int, int]] = {}
    parts: list[str] = []
    tallest = max((len(column) for column in columns), default=0)
    height = TOP + max(tallest, 1) * ROW_HEIGHT + 10
    width = COLUMN_WIDTH * len(COLUMNS)
    for index, (title, column) in enumerate(zip(COLUMNS, columns, strict=True)):
        x = 10 + index * COLUMN_WIDTH
        parts.append(f'<text class="head" x="{x}" y="20">{escape(title)}</text>')
        for row, (key, label) in enumerate(column):
            y = TOP + row * ROW_HEIGHT
            places[key] = (x, y)
            parts.append(
                f'<g class="node"><rect x="{x}" y="{y}" width="{BOX_WIDTH}" '
                f'height="{BOX_HEIGHT}" rx="6"/><text x="{x + 8}" y="{y + 24}">'
                f"{escape(label)}</text></g>"
            )
    arrows = []
    for start, end in edges:
        if start not in places or end not in places:
            continue
        (x1, y1), (x2, y2) = places[start], places[end]
        middle = BOX_HEIGHT // 2
        if x1 == x2:  # an intermediate consumed by a batch in the same column
            x1 = x2 = x1 + BOX_WIDTH
            arrows.append(
                f'<path class="edge" d="M{x1},{y1 + middle} C{x1 + 30},{y1 + middle} '
                f'{x2 + 30},{y2 + middle} {x2},{y2 + middle}"/>'
            )
            continue
        arrows.append(
            f'<line class="edge" x1="{x1 + BOX_WIDTH}" y1="{y1 + middle}" '
            f'x2="{x2}" y2="{y2 + middle}"/>'
        )
    return (
        f'<svg class="trace" role="img" aria-label="trace of {escape(found.subject)}" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}">'
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" '
        'markerHeight="6" orient="auto"><path d="M0,0 L10,5 L0,10 z"/></marker></defs>'
        + "".join(arrows)
        + "".join(parts)
        + "</svg>"
    )
