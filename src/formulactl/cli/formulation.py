"""Formula work commands: scale, cost, check, declare, substitute."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from formulactl.cli.common import (
    IdentityOption,
    JsonOption,
    StoreOption,
    identities,
    open_store,
    out,
    print_json,
)
from formulactl.errors import FormulaError

if TYPE_CHECKING:
    from formulactl.crypto.crypto import Identity
    from formulactl.formulation.source import Basis, FormulaVersion, Reader
    from formulactl.store.store import Store

RefArgument = Annotated[
    str,
    typer.Argument(
        metavar="ID[@VERSION]",
        help="The formula; without @VERSION its latest approved version.",
    ),
]
DraftOption = Annotated[
    bool, typer.Option("--draft", help="Use the current file even if it is not approved.")
]
FormatOption = Annotated[
    str, typer.Option("--format", help="text, markdown or csv.", show_default=False)
]
MarketOption = Annotated[
    str | None,
    typer.Option("--market", help="Check this market only (CN, EU, US…).", show_default=False),
]
SizeOption = Annotated[
    str | None,
    typer.Option("--size", help="Product to make: 500kg, 2t, 200L…", show_default=False),
]


def register(app: typer.Typer) -> None:
    app.command("scale")(scale)
    app.command("cost")(cost)
    from formulactl.cli import compliance

    compliance.register(app)


# ---------------------------------------------------------------- shared


def reader_for(store: Store, identity: Path | None) -> Reader:
    from formulactl.formulation.source import Reader

    return Reader(store, identities(identity))


def signing_identities(store: Store, identity: Path | None) -> list[Identity]:
    """--identity, else also the signing key: the key a person who signs a step reads with
    (an approver or a releaser checks what they sign with the key they sign it with)."""
    from formulactl.git import gitio

    loaded = identities(identity)
    signing = gitio.config_get(store.root, "user.signingkey")
    if identity is None and signing and Path(signing).is_file():
        loaded += identities(Path(signing))
    return loaded


def version_of(store: Store, ref: str, draft: bool, reader: Reader) -> FormulaVersion:
    from formulactl.formulation.source import formula_version

    return formula_version(store, ref, draft, reader)


def report_header(version: FormulaVersion, basis: Basis, extra: list[str]) -> list[str]:
    title = str(version.data.get("product") or "")
    if version.approved_by:
        approval = f"approved by {version.approved_by} at {version.approved_at}"
    else:
        approval = f"{version.status}, not approved"
    return [
        f"{version.ref} {title}".rstrip(),
        approval,
        *extra,
        f"store {basis.store_id} at commit {basis.commit[:12]}",
    ]


def render_report(
    fmt: str, header: list[str], columns: list[str], rows: list[list[str]], footer: list[str]
) -> None:
    """One report as text, markdown or csv (csv puts the header lines as # comments)."""
    if fmt == "csv":
        import csv
        import io

        buffer = io.StringIO()
        for line in header + footer:
            buffer.write(f"# {line}\n")
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(rows)
        out(buffer.getvalue().rstrip("\n"))
    elif fmt == "markdown":
        out(f"**{header[0]}**\n")
        for line in header[1:]:
            out(f"- {line}")
        out("\n| " + " | ".join(columns) + " |")
        out("|" + "|".join("---" for _c in columns) + "|")
        for row in rows:
            out("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |")
        for line in footer:
            out(f"\n{line}")
    else:
        for line in header:
            out(line)
        widths = [max([len(c), *(len(r[i]) for r in rows)]) for i, c in enumerate(columns)]
        out("")
        if rows:
            out("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip())
        for row in rows:
            out("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
        for line in footer:
            out(line)


def report_format(fmt: str | None) -> str:
    chosen = fmt or "text"
    if chosen not in ("text", "markdown", "csv"):
        raise FormulaError(
            f"--format {chosen} is not known", "use text, markdown or csv", rule="usage"
        )
    return chosen


def _material_name(materials: dict[str, dict[str, Any]], material: str) -> str:
    return str(materials.get(material, {}).get("name") or "")


def planned_batch_fields(
    store: Store, kind: str, formula: Path | None, size: str, identity: Path | None
) -> dict[str, Any]:
    """`new batch --from F-…@V --size Q`: the batch's fields from the weighing sheet."""
    from datetime import date

    from formulactl.formulation.batches import planned_batch

    if kind != "batch" or formula is None:
        raise FormulaError(
            "--size plans a batch from a formula",
            "run `formulactl new batch --from F-…@V --size 500kg`",
            rule="usage",
        )
    return planned_batch(reader_for(store, identity), str(formula), size, date.today())


# ---------------------------------------------------------------- scale


def scale(
    ref: RefArgument,
    size: SizeOption = None,
    loss: Annotated[
        float | None,
        typer.Option(
            "--loss", help="Loss in making, % (default: the formula's).", show_default=False
        ),
    ] = None,
    draft: DraftOption = False,
    fmt: FormatOption = "text",
    identity: IdentityOption = None,
    as_json: JsonOption = False,
    store: StoreOption = None,
) -> None:
    """The weighing sheet for one batch, grouped by phase, rounded to each material's
    weighing increment; the balance line takes the rest so the total is exact."""
    from formulactl.formulation.source import basis
    from formulactl.formulation.units import plain

    found = open_store(store)
    reader = reader_for(found, identity)
    version = version_of(found, ref, draft, reader)
    materials, sheet = _sheet(reader, version, size, loss)
    found.keep_loaded()
    computed = basis(found, version.commit)
    if as_json:
        print_json(
            {
                **computed.as_dict(),
                "formula": version.ref,
                "approved_by": version.approved_by,
                "approved_at": version.approved_at,
                "product_kg": plain(sheet.product_kg),
                "loss_percent": plain(sheet.loss_percent),
                "weighed_kg": plain(sheet.weighed_kg),
                "lines": [
                    {
                        "phase": w.line.phase,
                        "material": w.line.material,
                        "name": _material_name(materials, w.line.material),
                        "percent": plain(w.percent),
                        "kg": plain(w.kg),
                        "scale": "fixed" if w.line.fixed else "proportional",
                        "balance": w.line.balance,
                    }
                    for w in sheet.lines
                ],
            }
        )
        return
    header = report_header(
        version,
        computed,
        [
            f"batch {plain(sheet.product_kg)} kg of product, loss {plain(sheet.loss_percent)} %, "
            f"weighed {plain(sheet.weighed_kg)} kg"
        ],
    )
    rows = [
        [
            w.line.phase,
            w.line.material,
            _material_name(materials, w.line.material),
            plain(w.percent),
            f"{w.kg:.3f}",
            "balance" if w.line.balance else "fixed" if w.line.fixed else "",
        ]
        for w in sorted(sheet.lines, key=lambda w: w.line.phase)
    ]
    footer = [f"total {sheet.total_kg:.3f} kg"]
    render_report(
        report_format(fmt), header, ["phase", "material", "name", "%", "kg", "note"], rows, footer
    )


def _sheet(reader: Reader, version: FormulaVersion, size: str | None, loss: float | None) -> Any:
    from formulactl.formulation.formula import (
        ingredient_lines,
        load_materials,
        loss_of,
        size_kg,
        standard_kg,
    )
    from formulactl.formulation.scaling import weighing_sheet
    from formulactl.formulation.units import parse_size

    materials = load_materials(reader, version)
    standard = standard_kg(version, materials)
    product = standard if size is None else size_kg(version, materials, parse_size(size), "--size")
    lines = ingredient_lines(version, materials)
    sheet = weighing_sheet(lines, product, standard, loss_of(version, loss), version.ref)
    return materials, sheet


# ---------------------------------------------------------------- cost


def cost(
    ref: RefArgument,
    size: SizeOption = None,
    what_if: Annotated[
        list[str] | None,
        typer.Option(
            "--what-if", help="MATERIAL=±N%: cost as if its price changed.", show_default=False
        ),
    ] = None,
    at: Annotated[
        str | None,
        typer.Option(
            "--at",
            help="Material prices and rates of this date, or of this commit or tag.",
            show_default=False,
        ),
    ] = None,
    draft: DraftOption = False,
    fmt: FormatOption = "text",
    identity: IdentityOption = None,
    as_json: JsonOption = False,
    store: StoreOption = None,
) -> None:
    """Cost per kg of product and per batch (loss included), with each material's share."""
    from datetime import date

    from formulactl.formulation.costing import batch_cost, parse_what_if, price_per_kg
    from formulactl.formulation.formula import prices_at, prices_in
    from formulactl.formulation.source import basis
    from formulactl.formulation.units import plain
    from formulactl.store.schema import is_date
    from formulactl.trace.snapshot import resolve_at

    found = open_store(store)
    day = at if at is not None and is_date(at) and len(at) == 10 else date.today().isoformat()
    changes = parse_what_if(what_if or [])
    reader = reader_for(found, identity)
    version = version_of(found, ref, draft, reader)
    materials, sheet = _sheet(reader, version, size, None)
    found.keep_loaded()
    unknown = sorted(set(changes) - set(materials))
    if unknown:
        raise FormulaError(
            f"--what-if {unknown[0]}: {version.ref} does not use it",
            "name a material of the formula",
            rule="usage",
        )
    if at == day:
        materials = prices_at(reader, sorted(materials), day)
    elif at is not None:
        materials, day = prices_in(reader, sorted(materials), resolve_at(found, at))
    currency = str(found.settings.raw.get("cost_currency") or "CNY")
    rates = list(found.settings.raw.get("exchange_rates") or [])
    prices = {
        material: price_per_kg(material, data, currency, rates, day) * changes.get(material, 1)
        for material, data in materials.items()
    }
    result = batch_cost(sheet, prices, currency)
    computed = basis(found, version.commit)
    if as_json:
        print_json(
            {
                **computed.as_dict(),
                "formula": version.ref,
                "currency": currency,
                "prices_on": day,
                "product_kg": plain(sheet.product_kg),
                "weighed_kg": plain(sheet.weighed_kg),
                "batch_cost": f"{result.total:.2f}",
                "per_kg": f"{result.per_kg:.4f}",
                "what_if": {key: plain((value - 1) * 100) + " %" for key, value in changes.items()},
                "lines": [
                    {
                        "material": line.material,
                        "kg": plain(line.kg),
                        "price_per_kg": f"{line.price:.4f}",
                        "cost": f"{line.cost:.2f}",
                        "share_percent": f"{line.share:.1f}",
                    }
                    for line in result.lines
                ],
            }
        )
        return
    extra = [
        f"batch {plain(sheet.product_kg)} kg of product (weighed {plain(sheet.weighed_kg)} kg), "
        f"prices of {day} in {currency}"
    ]
    extra += [
        f"what if {key} {'+' if v >= 1 else ''}{plain((v - 1) * 100)} %"
        for key, v in changes.items()
    ]
    rows = [
        [
            line.material,
            _material_name(materials, line.material),
            f"{line.kg:.3f}",
            f"{line.price:.4f}",
            f"{line.cost:.2f}",
            f"{line.share:.1f}",
        ]
        for line in result.lines
    ]
    footer = [
        f"batch cost {result.total:.2f} {currency}; "
        f"per kg of product {result.per_kg:.4f} {currency}"
    ]
    render_report(
        report_format(fmt),
        report_header(version, computed, extra),
        ["material", "name", "kg", f"{currency}/kg", currency, "share %"],
        rows,
        footer,
    )
