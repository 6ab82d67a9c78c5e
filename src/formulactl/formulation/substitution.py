"""Substitution impact: every current formula using material A, with B in its place (ratio
applied, the balance line absorbing the difference), its cost per kg before → after and the
limit or restriction findings the change would cause.

A formula's current file is its latest approved version or its open draft. Percentages and
money are `Decimal`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from formulactl.actions.records import change, open_many, open_record
from formulactl.actions.steps import take_step
from formulactl.errors import FormulaError
from formulactl.formulation.checking import check_formula
from formulactl.formulation.costing import batch_cost, price_per_kg
from formulactl.formulation.formula import ingredient_lines, load_materials, standard_kg
from formulactl.formulation.scaling import weighing_sheet
from formulactl.formulation.source import FormulaVersion, Reader
from formulactl.formulation.units import decimal, plain
from formulactl.git import gitio
from formulactl.store.cache import BlobCache
from formulactl.store.query import Condition, records_cache, select_records
from formulactl.store.store import Record, Store


@dataclass(frozen=True)
class Impact:
    formula: str  # F-…@V
    status: str
    lines: tuple[tuple[str, str, str], ...]  # material, percent before, percent after
    cost_before: Decimal | None
    cost_after: Decimal | None
    new_findings: tuple[str, ...]
    resolved: tuple[str, ...]  # findings the change would remove
    plain_after: dict[str, Any]  # the formula with the substitution applied
    note: str = ""


@dataclass
class Plan:
    old: str
    new: str
    ratio: Decimal
    impacts: list[Impact] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)  # formulas this user cannot open
    refused: list[str] = field(default_factory=list)  # formula: why it cannot be substituted


def substituted(
    data: dict[str, Any], old: str, new: str, ratio: Decimal, ref: str
) -> dict[str, Any]:
    """The formula with `new` for `old` at percent × ratio; the balance line takes the rest."""
    after = dict(data)  # only the ingredient lines change: copy just those
    after["ingredients"] = [
        dict(line) if isinstance(line, dict) else line for line in data.get("ingredients") or []
    ]
    lines = [line for line in after["ingredients"] if isinstance(line, dict)]
    delta = Decimal(0)
    for line in lines:
        if line.get("material") == old:
            line["material"] = new
            if "percent" in line and not line.get("balance"):
                before = decimal(line["percent"], f"{ref} percent")
                line["percent"] = float(before * ratio)
                delta += before * ratio - before
    if delta:
        balance = next((line for line in lines if line.get("balance") is True), None)
        if balance is None:
            raise FormulaError(
                f"{ref} has no balance line to absorb the change of {plain(delta)} %",
                "use --ratio 1, or mark a q.s. line `balance: true` first",
                rule="no-balance",
            )
        if "percent" in balance:
            rest = decimal(balance["percent"], f"{ref} balance percent") - delta
            if rest < 0:
                raise FormulaError(
                    f"{ref}: the balance line would be {plain(rest)} %",
                    "use a smaller --ratio",
                    rule="negative-balance",
                )
            balance["percent"] = float(rest)
    return after


def cost_per_kg(reader: Reader, version: FormulaVersion) -> Decimal | None:
    """Per kg of product at the standard batch; None where a price or rate is missing."""
    raw = reader.store.settings.raw
    try:
        materials = load_materials(reader, version)
        standard = standard_kg(version, materials)
        lines = ingredient_lines(version, materials)
        sheet = weighing_sheet(lines, standard, standard, Decimal(0), version.ref)
        currency = str(raw.get("cost_currency") or "CNY")
        rates = list(raw.get("exchange_rates") or [])
        today = date.today().isoformat()
        prices = {m: price_per_kg(m, d, currency, rates, today) for m, d in materials.items()}
    except FormulaError:
        return None
    return batch_cost(sheet, prices, currency).per_kg


def impact(reader: Reader, version: FormulaVersion, old: str, new: str, ratio: Decimal) -> Impact:
    after_data = substituted(version.data, old, new, ratio, version.ref)
    after = FormulaVersion(version.id, version.version, version.status, after_data)
    before_check = check_formula(reader, version, None)
    after_check = check_formula(reader, after, None)
    known = {breach.message for breach in before_check.breaches}
    remaining = {breach.message for breach in after_check.breaches}
    pairs = []
    for first, second in zip(
        version.data.get("ingredients") or [], after_data.get("ingredients") or [], strict=True
    ):
        if first.get("material") == old:
            pairs.append((f"{old} → {new}", _pct(first), _pct(second)))
        elif first.get("balance") is True and first.get("percent") != second.get("percent"):
            pairs.append((f"{first.get('material')} (balance)", _pct(first), _pct(second)))
    return Impact(
        version.ref,
        version.status,
        tuple(pairs),
        cost_per_kg(reader, version),
        cost_per_kg(reader, after),
        tuple(b.message for b in after_check.breaches if b.message not in known),
        tuple(b.message for b in before_check.breaches if b.message not in remaining),
        after_data,
    )


def _pct(line: dict[str, Any]) -> str:
    value = line.get("percent")
    return "q.s." if value is None else plain(decimal(value, "percent"))


def plan_substitution(
    reader: Reader, old: str, new: str, ratio: Decimal, where: Sequence[Condition]
) -> Plan:
    """Every current, unarchived formula that uses `old` and meets every condition."""
    store = reader.store
    for material in (old, new):
        if store.kind_of(material) != "material":
            raise FormulaError(f"{material} is not a material", "give M-… IDs", rule="usage")
        store.load(material)
    plan = Plan(old, new, ratio)
    users = _users(store, old)
    opened = open_many(store, users, reader.identities)
    for record, outcome in zip(users, opened, strict=True):
        if isinstance(outcome, FormulaError):
            plan.unreadable.append(record.id)
            continue
        version = FormulaVersion(
            record.id, int(outcome.get("version", 1)), str(outcome.get("status")), outcome
        )
        if not all(condition.holds(version.data) for condition in where):
            continue
        try:
            plan.impacts.append(impact(reader, version, old, new, ratio))
        except FormulaError as why:
            plan.refused.append(f"{version.ref}: {why.finding.message}")
    return plan


def _users(store: Store, material: str) -> list[Record]:
    """Current, unarchived formulas with a line of `material`: parsed records come from the
    cache `list` keeps by blob ID, and material IDs are never sealed, so nothing is opened."""
    cache = records_cache(store)
    return [
        record
        for record in select_records(store, "formula", [], cache).records
        if record.data.get("status") != "archived"
        and any(
            isinstance(line, dict) and line.get("material") == material
            for line in record.data.get("ingredients") or []
        )
    ]


def apply_substitution(
    reader: Reader, plan: Plan, reason: str, today: date, cache: BlobCache
) -> list[str]:
    """The next version of every affected formula as a draft with the substitution applied:
    an approved one is revised first (a revise commit changes no content), then changed.
    All or nothing: any refusal undoes the commits made so far."""
    store = reader.store
    if not reason.strip():
        raise FormulaError("substitute needs a reason", 'add --reason "…"', rule="usage")
    ids = [impact.formula.split("@")[0] for impact in plan.impacts]
    for record_id in ids:
        if store.load(record_id).data.get("status") == "in_review":
            raise FormulaError(
                f"{record_id} is in review", "reject it back to draft, or approve it first"
            )
    start = gitio.head(store.repo)
    commits: list[str] = []
    try:
        for impact, record_id in zip(plan.impacts, ids, strict=True):
            commits += _substitute_one(reader, impact, record_id, reason, today, cache)
    except BaseException:
        if start is not None:
            gitio.undo_commits(store.repo, start, [store.record_path(i) for i in ids])
        raise
    return commits


def _substitute_one(
    reader: Reader, impact: Impact, record_id: str, reason: str, today: date, cache: BlobCache
) -> list[str]:
    store = reader.store
    made = []
    if store.load(record_id).data.get("status") == "approved":
        made.append(take_step(store, record_id, "revise", reason, today, cache).commit)
    before = store.load(record_id)
    opened = open_record(store, before, reader.identities)
    data = dict(impact.plain_after)
    for name in ("version", "status"):
        data[name] = before.data[name]
    data.pop("review_due", None)
    after = Record(before.id, before.kind, before.path, data)
    made.append(change(store, before, after, "substitute", cache, opened).commit)
    return made
