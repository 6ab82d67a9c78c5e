"""A formula version as lines to scale, the materials it uses, and the product it makes."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from formulactl.errors import FormulaError
from formulactl.formulation.scaling import Line, balance_percent, product_density
from formulactl.formulation.source import FormulaVersion, Reader
from formulactl.formulation.units import Quantity, decimal, quantity_of, to_kg

if TYPE_CHECKING:
    # scale and cost need no substances: imported by the functions that do
    from formulactl.formulation.substances import Part, Product


def ingredient_lines(
    version: FormulaVersion,
    materials: Mapping[str, Mapping[str, Any]],
    increment: Callable[[str, Mapping[str, Any]], Decimal | None] | None = None,
    known: tuple[list[Any], list[Line]] | None = None,
) -> list[Line]:
    """The formula's lines; `increment` works out a material's weighing increment (once per
    run, through `reader_increment`); `known`: the items and lines of the formula this one
    was made from, whose lines are taken as they were where the item is the very same
    object (a substitution copies the two lines in twenty it changes, of ten thousand
    formulas). The caller vouches that such a line's material is the same record in
    `materials` as in the formula it was made from."""
    where = version.ref
    increment = increment or _increment
    known_items, known_lines = known or ([], [])
    lines = []
    for index, item in enumerate(version.data.get("ingredients") or []):
        if index < len(known_items) and known_items[index] is item:
            lines.append(known_lines[index])
            continue
        material = str(item.get("material"))
        percent = item.get("percent")
        if percent is not None:
            percent = _percent(percent, where, index)
        lines.append(
            Line(
                material,
                percent,
                str(item.get("phase") or ""),
                item.get("scale") == "fixed",
                item.get("balance") is True,
                increment(material, materials.get(material, {})),
            )
        )
    if not lines:
        raise FormulaError(f"{where} has no ingredients", "add ingredient lines first")
    return lines


def _percent(value: Any, where: str, index: int) -> Decimal:
    """A line's percent; a plain number without building the message `decimal` would give
    (a substitution reads hundreds of thousands of lines)."""
    if type(value) is float or type(value) is int:
        found = Decimal(str(value))
        if found.is_finite():
            return found
    return decimal(value, f"{where} ingredients[{index}].percent")


def _increment(material: str, data: Mapping[str, Any]) -> Decimal | None:
    found = data.get("weighing_increment")
    if found is None:
        return None
    quantity = quantity_of(found, f"{material} weighing_increment")
    return to_kg(quantity, density_of(material, data), f"{material} weighing_increment")


def reader_increment(reader: Reader) -> Callable[[str, Mapping[str, Any]], Decimal | None]:
    """A material's weighing increment, worked out once per material this run."""
    return reader.remembered("increment", _increment)


def reader_parts(reader: Reader) -> Callable[[str, Mapping[str, Any]], list[Part]]:
    """A material's substances, worked out once per material this run."""
    from formulactl.formulation.substances import parts_of

    return reader.remembered("parts", parts_of)


def density_of(material: str, data: Mapping[str, Any]) -> Decimal | None:
    """kg/L, from the material's `density`; None when it names none."""
    value = data.get("density")
    return None if value is None else decimal(value, f"{material} density")


def standard_shares(version: FormulaVersion, lines: list[Line]) -> list[tuple[str, Decimal]]:
    """Each line's material and percent of the formula, the balance line's worked out."""
    percents = balance_percent(lines, version.ref)
    return [(line.material, percent) for line, percent in zip(lines, percents, strict=True)]


def load_materials(
    reader: Reader, version: FormulaVersion, must_open: bool = False
) -> dict[str, dict[str, Any]]:
    """The current materials of every line (sealed where this user cannot open them)."""
    ids = sorted({str(item.get("material")) for item in version.data.get("ingredients") or []})
    return reader.load_all(ids, must_open)


def standard_kg(version: FormulaVersion, materials: Mapping[str, Mapping[str, Any]]) -> Decimal:
    found = version.data.get("standard_batch") or {"quantity": 100, "unit": "kg"}
    quantity = quantity_of(found, f"{version.ref} standard_batch")
    return size_kg(version, materials, quantity, "standard_batch")


def size_kg(
    version: FormulaVersion,
    materials: Mapping[str, Mapping[str, Any]],
    size: Quantity,
    what: str,
) -> Decimal:
    """A batch size in kg; by volume through the mixture's density from its materials."""
    if size.unit not in ("L", "mL"):
        return to_kg(size, None, what)
    lines = ingredient_lines(version, materials)
    shares = [
        (material, percent, density_of(material, materials[material]))
        for material, percent in standard_shares(version, lines)
    ]
    return to_kg(size, product_density(shares, f"{version.ref} {what}"), what)


def loss_of(version: FormulaVersion, override: float | None) -> Decimal:
    value = override if override is not None else version.data.get("loss_percent", 0)
    return decimal(value, "loss_percent")


def product_of(version: FormulaVersion, market: str | None) -> Product:
    from formulactl.formulation.substances import Product

    markets = (market,) if market else tuple(version.data.get("markets") or ())
    return Product(
        markets,
        str(version.data.get("product_type") or ""),
        str(version.data.get("exposure") or ""),
    )


def prices_at(reader: Reader, material_ids: list[str], day: str) -> dict[str, dict[str, Any]]:
    """The materials as they stood at the end of `day`, from history, opened for this reader."""
    from formulactl.audit.history import History
    from formulactl.audit.trail import Trail, version_text

    store = reader.store
    found = {}
    with History(store) as history:
        for material in material_ids:
            trail = Trail(store, history, material)
            raw = version_text(trail, trail.at(day))
            record = store.parse(store.record_path(material), raw)
            found[material] = reader.open(record)
    return found


def prices_in(reader: Reader, material_ids: list[str], commit: str) -> tuple[dict[str, Any], str]:
    """The materials as commit `commit` holds them, opened for this reader, and the day of
    that commit (the day its exchange rates are taken for)."""
    from formulactl.git import gitio

    store = reader.store
    found = {}
    for material in material_ids:
        path = store.record_path(material)
        raw = gitio.file_at(store.root, commit, path)
        if raw is None:
            raise FormulaError(
                f"{material} did not exist at commit {commit[:10]}",
                "pick a later --at",
                path,
                rule="not-yet",
            )
        found[material] = reader.open(store.parse(path, raw))
    day = gitio.run(store.root, ["show", "-s", "--format=%cs", commit]).stdout.decode().strip()
    return found, day
