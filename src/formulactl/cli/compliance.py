"""Compliance commands: check, declare, substitute, and the check `approve` runs."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from formulactl.cli.common import (
    EXIT_FINDINGS,
    IdentityOption,
    JsonOption,
    StoreOption,
    open_store,
    out,
    print_json,
)
from formulactl.cli.formulation import (
    DraftOption,
    FormatOption,
    MarketOption,
    RefArgument,
    reader_for,
    render_report,
    report_format,
    report_header,
    signing_identities,
    version_of,
)
from formulactl.errors import FormulaError

if TYPE_CHECKING:
    from collections.abc import Callable

    from formulactl.errors import Finding
    from formulactl.formulation.source import Reader
    from formulactl.formulation.substitution import Plan
    from formulactl.store.store import Record, Store


def register(app: typer.Typer) -> None:
    app.command("check")(check)
    app.command("declare")(declare)
    app.command("substitute")(substitute)


def approval_gate(store: Store, identity: Path | None) -> Callable[[Record], list[Finding]]:
    """`check` for `approve`, with the approver's key: --identity, else the signing key."""
    from formulactl.formulation.gate import approval_findings

    def gate(record: Record) -> list[Finding]:
        return approval_findings(store, signing_identities(store, identity), record)

    return gate


# ---------------------------------------------------------------- check


def check(
    ref: RefArgument,
    market: MarketOption = None,
    draft: DraftOption = False,
    fmt: FormatOption = "text",
    identity: IdentityOption = None,
    as_json: JsonOption = False,
    store: StoreOption = None,
) -> None:
    """Explode the formula into substances and check every approved limit of its markets,
    product type and exposure, and its customer's restrictions; exit 1 on a finding."""
    from formulactl.formulation.checking import check_formula
    from formulactl.formulation.source import basis
    from formulactl.formulation.units import plain

    found = open_store(store)
    reader = reader_for(found, identity)
    version = version_of(found, ref, draft, reader)
    result = check_formula(reader, version, market)
    found.keep_loaded()
    computed = basis(found, version.commit)
    if as_json:
        print_json({**computed.as_dict(), **result.as_dict()})
    else:
        product = result.product
        extra = [
            f"{product.product_type or 'no product type'}, {product.exposure or 'no exposure'}, "
            f"markets {', '.join(product.markets) or 'none'}; "
            f"{len(result.limits)} limits apply ({', '.join(result.limits) or 'none'})"
        ]
        rows = [[breach.ref, breach.message] for breach in result.breaches]
        footer = [
            f"must be declared: {item.key} {item.label_text} {plain(item.substance.high)} % "
            f"> {plain(item.threshold)} % ({item.limit})"
            for item in result.declare
        ]
        footer.append(f"{len(result.breaches)} finding(s)" if result.breaches else "no findings")
        render_report(
            report_format(fmt),
            report_header(version, computed, extra),
            ["ref", "finding"],
            rows,
            footer,
        )
    if result.breaches:
        raise typer.Exit(EXIT_FINDINGS)


# ---------------------------------------------------------------- declare


def declare(
    ref: RefArgument,
    market: MarketOption = None,
    draft: DraftOption = False,
    fmt: FormatOption = "text",
    identity: IdentityOption = None,
    as_json: JsonOption = False,
    store: StoreOption = None,
) -> None:
    """The ingredient declaration: INCI names merged across materials, most concentrated
    first, ingredients below 1 % marked, allergens above their threshold named."""
    from formulactl.formulation.checking import check_formula
    from formulactl.formulation.declaration import declaration
    from formulactl.formulation.formula import ingredient_lines, load_materials, standard_shares
    from formulactl.formulation.source import basis
    from formulactl.formulation.units import plain

    found = open_store(store)
    reader = reader_for(found, identity)
    version = version_of(found, ref, draft, reader)
    result = check_formula(reader, version, market)
    materials = load_materials(reader, version)
    shares = standard_shares(version, ingredient_lines(version, materials))
    entries = declaration(shares, materials, {item.key: item for item in result.declare})
    found.keep_loaded()
    computed = basis(found, version.commit)
    if as_json:
        print_json(
            {
                **computed.as_dict(),
                "formula": version.ref,
                "markets": list(result.product.markets),
                "ingredients": [
                    {
                        "inci": entry.inci,
                        "name": entry.name,
                        "percent": plain(entry.percent),
                        "materials": entry.materials,
                        "note": entry.note,
                    }
                    for entry in entries
                ],
            }
        )
        return
    markets = ", ".join(result.product.markets) or "no market"
    header = report_header(version, computed, [f"ingredient declaration for {markets}"])
    rows = [
        [str(index), entry.inci, entry.name, plain(entry.percent), entry.note]
        for index, entry in enumerate(entries, start=1)
    ]
    label = ", ".join(entry.inci for entry in entries)
    render_report(
        report_format(fmt), header, ["position", "INCI", "name", "% (max)", "note"], rows, [label]
    )


# ---------------------------------------------------------------- substitute


def substitute(
    replace: Annotated[str, typer.Option("--replace", help="The material to replace (M-…).")],
    with_: Annotated[str, typer.Option("--with", help="The material to use instead (M-…).")],
    ratio: Annotated[
        float, typer.Option("--ratio", help="New percent = old percent × RATIO.")
    ] = 1.0,
    where: Annotated[
        list[str] | None,
        typer.Option("--where", help="FIELD=VALUE: only formulas that match.", show_default=False),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show the impact; change nothing.")
    ] = False,
    reason: Annotated[
        str, typer.Option("--reason", help="Why, for the audit trail (needed to write).")
    ] = "",
    identity: IdentityOption = None,
    as_json: JsonOption = False,
    store: StoreOption = None,
) -> None:
    """Every formula in use (its latest approved version) that uses one material, with
    another in its place: new percentages, cost per kg before → after, and the findings the
    change would cause. Without --dry-run, each becomes a draft of its next version, in one
    signed commit, all or nothing; a formula whose next version is already open blocks it."""
    from decimal import Decimal

    from formulactl.formulation.source import basis
    from formulactl.formulation.substitution import plan_substitution
    from formulactl.formulation.units import plain
    from formulactl.store.query import parse_condition

    if ratio <= 0:
        raise FormulaError(f"--ratio {ratio} is not above zero", "give a ratio such as 1 or 0.8")
    if not dry_run and not reason.strip():
        raise FormulaError("substitute needs a reason", 'add --reason "…"', rule="usage")
    found = open_store(store)
    schema = found.schema("formula")
    conditions = [parse_condition(text, schema) for text in where or []]
    reader = reader_for(found, identity)
    plan = plan_substitution(
        reader, replace, with_, Decimal(str(ratio)), conditions, to_write=not dry_run
    )
    computed = basis(found)
    if not dry_run:
        _write_substitution(found, reader, plan, reason)
        return

    def money(value: Decimal | None) -> str:
        return "n/a" if value is None else f"{value:.4f}"

    if as_json:
        print_json(
            {
                **computed.as_dict(),
                "replace": replace,
                "with": with_,
                "ratio": plain(plan.ratio),
                "formulas": [
                    {
                        "formula": item.formula,
                        "status": item.status,
                        "lines": [list(line) for line in item.lines],
                        "cost_per_kg_before": money(item.cost_before),
                        "cost_per_kg_after": money(item.cost_after),
                        "new_findings": list(item.new_findings),
                        "resolved_findings": list(item.resolved),
                    }
                    for item in plan.impacts
                ],
                "not_readable": plan.unreadable,
                "refused": plan.refused,
                "blocked": plan.blocked,
            }
        )
        return
    currency = str(found.settings.raw.get("cost_currency") or "CNY")
    out(f"substitute {replace} → {with_} × {plain(plan.ratio)} (dry run)")
    out(f"store {computed.store_id} at commit {computed.commit[:12]}")
    for item in plan.impacts:
        out("")
        out(
            f"{item.formula} ({item.status}): cost per kg {money(item.cost_before)} → "
            f"{money(item.cost_after)} {currency}"
        )
        for material, before, after in item.lines:
            out(f"  {material}: {before} % → {after} %")
        for message in item.new_findings:
            out(f"  new finding: {message}")
        for message in item.resolved:
            out(f"  resolved: {message}")
    for line in plan.refused:
        out(f"cannot substitute in {line}")
    for line in plan.blocked:
        out(f"blocked: {line}")
    if plan.unreadable:
        out(f"not a reader of: {', '.join(plan.unreadable)} (not shown)")
    out(f"\n{len(plan.impacts)} formula(s) affected")


def _write_substitution(store: Store, reader: Reader, plan: Plan, reason: str) -> None:
    from datetime import date

    from formulactl.cli.common import check_cache, committed, err, refusals
    from formulactl.formulation.substitution import apply_substitution

    if plan.unreadable or plan.refused:
        blocked = plan.unreadable + plan.refused
        raise FormulaError(
            f"substitute cannot change every formula that uses {plan.old}: {'; '.join(blocked)}",
            "run with --dry-run to see why, or narrow it with --where",
            rule="not-all",
        )
    if not plan.impacts:
        err(f"no formula uses {plan.old}: nothing to change")
        return
    with refusals(store):
        commit = apply_substitution(reader, plan, reason, date.today(), check_cache(store))
    committed(commit, "substitute")
    out(f"{len(plan.impacts)} formula(s) now drafts with {plan.new} for {plan.old}")
