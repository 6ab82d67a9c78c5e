"""Substitution impact: every current formula using material A, with B in its place (ratio
applied, the balance line absorbing the difference), its cost per kg before → after and the
limit or restriction findings the change would cause.

A formula in use is its latest approved version, read from the commit that approved it; a
draft never approved stands for itself. When an approved formula's next version is already
open (draft or in review), the impact is shown against the approved version and the write is
refused: substituting into somebody's unfinished version would change what they are working
on, and would not be what the dry run showed. Percentages and money are `Decimal`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple, cast

from formulactl.actions.commits import commit_files
from formulactl.actions.records import checked_change, refuse_uncommitted
from formulactl.actions.signing import actor
from formulactl.crypto.keyring import Keyring
from formulactl.crypto.opening import Opening, damaged, kept_opened, open_each, open_record
from formulactl.errors import FormulaError, Refused
from formulactl.formulation.checking import Rules, check_lines, rules_for
from formulactl.formulation.costing import material_costs, price_per_kg
from formulactl.formulation.formula import (
    ingredient_lines,
    load_materials,
    reader_increment,
    standard_kg,
    standard_shares,
)
from formulactl.formulation.scaling import Line, weighed_kgs
from formulactl.formulation.source import FormulaVersion, Reader, approved_blobs
from formulactl.formulation.substances import Breach
from formulactl.formulation.units import decimal, plain
from formulactl.model.workflow import STEPS, record_ref, require_role
from formulactl.rules.check import check_unsaved
from formulactl.store.cache import BlobCache
from formulactl.store.query import Condition, cached_blobs, records_cache, select_records
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
    plain_after: dict[str, Any] | None  # the formula with it applied, when it is to be written
    note: str = ""


class _Outcome(NamedTuple):
    """What one formula contributes to a plan (computed in a worker)."""

    id: str
    blocked: str = ""  # in use, but its next version is open
    result: Impact | str | None = None  # None: not a formula the conditions choose
    unreadable: bool = False


@dataclass
class Plan:
    old: str
    new: str
    ratio: Decimal
    impacts: list[Impact] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)  # formulas this user cannot open
    refused: list[str] = field(default_factory=list)  # formula: why it cannot be substituted
    blocked: list[str] = field(default_factory=list)  # in use, but its next version is open


def substituted(
    data: dict[str, Any], old: str, new: str, ratio: Decimal, ref: str
) -> dict[str, Any]:
    """The formula with `new` for `old` at percent × ratio; the balance line takes the rest.
    Only the lines that change are copies: the others are the very lines of `data`."""
    after = dict(data)
    after["ingredients"] = [
        dict(line)
        if isinstance(line, dict) and (line.get("material") == old or line.get("balance") is True)
        else line
        for line in data.get("ingredients") or []
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


class _Side(NamedTuple):
    """One side of a substitution, before or after: its findings, and its cost per kg (None
    when a price or rate is missing) with the lines and kgs it was worked out from."""

    breaches: list[Breach]
    cost: Decimal | None
    lines: list[Line]
    standard: Decimal | None  # kg of the standard batch, None when it cannot be worked out
    kgs: list[Decimal]


def cost_per_kg(
    reader: Reader,
    version: FormulaVersion,
    prices: dict[str, Decimal | FormulaError],
    materials: dict[str, dict[str, Any]],
    lines: list[Line],
    percents: list[Decimal],
    known: _Side | None = None,
) -> tuple[Decimal | None, Decimal | None, list[Decimal]]:
    """Per kg of product at the standard batch (None where a price or rate is missing),
    with the standard batch's kg and each line's kg. `prices` remembers each material's
    price per kg across the formulas of one run; `percents`: the lines' shares of the
    standard formula; `known`: the other side, whose kgs are taken for the lines the two
    share where their standard batches weigh the same."""
    raw = reader.store.settings.raw
    currency, rates, today = reader.remembered("costing", _costing)("", raw)
    for material, data in materials.items():
        if material not in prices:
            try:
                prices[material] = price_per_kg(material, data, currency, rates, today)
            except FormulaError as why:
                prices[material] = why
    try:
        standard = standard_kg(version, materials)
        shared = None
        if known is not None and known.standard == standard:
            shared = (known.lines, known.kgs)
        kgs = weighed_kgs(lines, standard, standard, Decimal(0), version.ref, percents, shared)[2]
    except FormulaError:
        return None, None, []
    if any(isinstance(prices[material], FormulaError) for material in materials):
        return None, standard, kgs
    weighed = zip([line.material for line in lines], kgs, strict=True)
    priced = cast(Mapping[str, Decimal], prices)  # every price of these materials is known
    return material_costs(weighed, priced)[2] / standard, standard, kgs


def _costing(_store: str, raw: Mapping[str, Any]) -> tuple[str, list[Any], str]:
    """The cost currency, the exchange rates and today, read once per run."""
    currency = str(raw.get("cost_currency") or "CNY")
    return currency, list(raw.get("exchange_rates") or []), date.today().isoformat()


def impact(
    reader: Reader,
    version: FormulaVersion,
    old: str,
    new: str,
    ratio: Decimal,
    prices: dict[str, Decimal | FormulaError],
    to_write: bool = True,
) -> Impact:
    after_data = substituted(version.data, old, new, ratio, version.ref)
    after = FormulaVersion(version.id, version.version, version.status, after_data)
    materials = load_materials(reader, version)
    lines = ingredient_lines(version, materials, reader_increment(reader))
    rules = rules_for(reader, version, None)  # a substitution changes no product or customer
    before = _checked_and_costed(reader, version, prices, materials, lines, rules)
    # the same materials but `old`, which no line uses any more, and `new`
    materials = {material: data for material, data in materials.items() if material != old}
    materials[new] = reader.load(new, must_open=False)
    made_from = (version.data.get("ingredients") or [], lines)
    lines = ingredient_lines(after, materials, reader_increment(reader), made_from)
    changed = _checked_and_costed(reader, after, prices, materials, lines, rules, before)
    before_breaches, cost_before = before.breaches, before.cost
    after_breaches, cost_after = changed.breaches, changed.cost
    known = {breach.message for breach in before_breaches}
    remaining = {breach.message for breach in after_breaches}
    pairs = []
    for first, second in zip(
        version.data.get("ingredients") or [], after_data.get("ingredients") or [], strict=True
    ):
        if first is second:  # a line `substituted` left as it was
            continue
        if first.get("material") == old:
            pairs.append((f"{old} → {new}", _pct(first), _pct(second)))
        elif first.get("balance") is True and first.get("percent") != second.get("percent"):
            pairs.append((f"{first.get('material')} (balance)", _pct(first), _pct(second)))
    return Impact(
        version.ref,
        version.status,
        tuple(pairs),
        cost_before,
        cost_after,
        tuple(b.message for b in after_breaches if b.message not in known),
        tuple(b.message for b in before_breaches if b.message not in remaining),
        after_data if to_write else None,
    )


def _checked_and_costed(
    reader: Reader,
    version: FormulaVersion,
    prices: dict[str, Decimal | FormulaError],
    materials: dict[str, dict[str, Any]],
    lines: list[Line],
    rules: Rules,
    known: _Side | None = None,
) -> _Side:
    """One side of a substitution: its findings (a formula that cannot be checked is refused)
    and its cost per kg (None when it cannot be costed), from its materials and lines worked
    out once; `known`: the side before, for the kgs of the lines it shares."""
    shares = standard_shares(version, lines)
    breaches = check_lines(reader, version, materials, lines, rules, shares).breaches
    percents = [percent for _material, percent in shares]
    cost, standard, kgs = cost_per_kg(reader, version, prices, materials, lines, percents, known)
    return _Side(breaches, cost, lines, standard, kgs)


def _pct(line: dict[str, Any]) -> str:
    value = line.get("percent")
    return "q.s." if value is None else plain(decimal(value, "percent"))


def plan_substitution(
    reader: Reader,
    old: str,
    new: str,
    ratio: Decimal,
    where: Sequence[Condition],
    to_write: bool = True,
) -> Plan:
    """Every formula in use that uses `old` and meets every condition: its latest approved
    version (a never-approved draft stands for itself). An approved formula whose next
    version is already open is shown against the approved version and blocks the write.
    A dry run (`to_write` off) keeps no changed formula: sending each back from its worker
    was a sixth of the time."""
    store = reader.store
    for material in (old, new):
        if store.kind_of(material) != "material":
            raise FormulaError(f"{material} is not a material", "give M-… IDs", rule="usage")
        store.load(material)
    plan = Plan(old, new, ratio)
    cache = records_cache(store)
    keyring = Keyring.of(store, reader.identities)
    current, reopened, recalled = _users(store, old, cache, kept_opened(store, "formula", keyring))
    approved, known = _approved_users(store, [record.id for record in reopened], old, cache)
    # never approved: the file stands for itself; approved: the blob of its latest approval
    standing = [r for r in reopened if r.id not in known and _uses(r.data, old)]
    behind = [approved[r.id] for r in reopened if r.id in approved]
    files = {record.id: record for record in reopened}
    reader.limits()  # read once here, so every worker inherits them
    reader.preload("material", cache)
    reader.preload("customer", cache)  # each formula's restrictions
    prices: dict[str, Decimal | FormulaError] = {}
    shown_behind = {record.id for record in behind}

    def one(record: Record, opened: Opening) -> _Outcome:
        is_behind = record.id in shown_behind
        if isinstance(opened, FormulaError) and damaged(opened):  # named; it stops a write
            return _Outcome(record.id, result=f"{record.id}: {opened.finding.message}")
        if isinstance(opened, FormulaError):
            return _Outcome(record.id, unreadable=True)
        status = "approved" if is_behind else str(opened.get("status"))
        version = FormulaVersion(record.id, int(opened.get("version", 1)), status, opened)
        if not all(condition.holds(version.data) for condition in where):
            return _Outcome(record.id)
        blocked = ""
        if is_behind:
            open_file = files[record.id].data
            blocked = (
                f"{version.ref} is in use, and its next version "
                f"{record.id}@{open_file.get('version')} is open ({open_file.get('status')})"
            )
        try:
            found = impact(reader, version, old, new, ratio, prices, to_write)
            return _Outcome(record.id, blocked, found)
        except FormulaError as why:
            return _Outcome(record.id, blocked, f"{version.ref}: {why.finding.message}")

    # Each formula is opened and its impact worked out on its own: on every core, in one
    # pass, so only the (small) outcomes travel back.
    outcomes = open_each(
        store, current + standing + behind, reader.identities, one, keyring, recalled
    )
    for outcome in outcomes:
        if outcome.unreadable:
            plan.unreadable.append(outcome.id)
        elif outcome.blocked:
            plan.blocked.append(outcome.blocked)
    for outcome in sorted(outcomes, key=lambda found: found.id):
        if isinstance(outcome.result, Impact):
            plan.impacts.append(outcome.result)
        elif outcome.result:
            plan.refused.append(outcome.result)
    plan.unreadable.sort()
    return plan


def _approved_users(
    store: Store, formula_ids: list[str], material: str, cache: BlobCache
) -> tuple[dict[str, Record], set[str]]:
    """The latest approved versions (as stored, sealed, with their blob) of these formulas
    that use `material`, and which of them have an approved version at all: one walk of the
    formulas' history finds each approval's blob, parsed through the record cache (material
    IDs are never sealed, so nothing is opened here)."""
    if not formula_ids:
        return {}, set()
    latest = approved_blobs(store)
    wanted = {i: latest[i] for i in formula_ids if i in latest}
    # what does not parse is left out: `validate` reports it
    found = cached_blobs(store, {blob: store.record_path(i) for i, blob in wanted.items()}, cache)
    uses = {}
    for formula_id, blob in wanted.items():
        data = found.get(blob)
        if isinstance(data, dict) and _uses(data, material):
            path = store.record_path(formula_id)
            uses[formula_id] = Record(formula_id, "formula", path, data, blob=blob)
    return uses, set(wanted)


def _uses(data: dict[str, Any], material: str) -> bool:
    return any(
        isinstance(line, dict) and line.get("material") == material
        for line in data.get("ingredients") or []
    )


def _users(
    store: Store,
    material: str,
    cache: BlobCache,
    kept: Callable[[str, str], dict[str, Any] | None] | None,
) -> tuple[list[Record], list[Record], set[tuple[str, str]]]:
    """Unarchived formulas whose file is the version in use (approved, or a draft never
    approved) and has a line of `material`; those whose next version is open (draft or in
    review after an approval), whose approved version is read from history; and (ID, blob)
    of those in plain text, as this reader's keyring (`kept`) recalled them. The others are
    sealed, from the cache `list` keeps by blob ID: material IDs are never sealed, so
    nothing is opened here."""
    current, reopened = [], []
    selection = select_records(store, "formula", [], cache, kept=kept)
    for record in selection.records:
        status = record.data.get("status")
        if status == "archived":
            continue
        if status != "approved" and int(record.data.get("version", 1)) > 1:
            reopened.append(record)
        elif _uses(record.data, material):
            current.append(record)
    return current, reopened, selection.opened


def apply_substitution(
    reader: Reader, plan: Plan, reason: str, today: date, cache: BlobCache
) -> str:
    """The next version of every affected formula as a draft with the substitution applied,
    in one signed commit (all or nothing): an approved formula is revised (next version,
    draft) and changed in the same commit, a never-approved draft is changed."""
    store = reader.store
    if not reason.strip():
        raise FormulaError("substitute needs a reason", 'add --reason "…"', rule="usage")
    if plan.blocked:
        raise FormulaError(
            f"substitute is blocked: {'; '.join(plan.blocked)}",
            "approve or reject that open version first, then substitute again",
            rule="not-all",
        )
    writes: dict[str, str] = {}
    refs = []
    for item in plan.impacts:
        record = _substituted_record(reader, item, reason, cache)
        writes[record.path] = store.canonical(record)
        refs.append(record_ref(record.data, record.id))
    subject = f"substitute {plan.old} → {plan.new} in {len(refs)} formula(s)"
    trailers = [
        ("Action", "substitute"),
        ("Record", ", ".join(refs)),
        ("Meaning", "authored"),
        ("Reason", reason),
    ]
    return commit_files(store, writes, subject, trailers)


def _substituted_record(reader: Reader, item: Impact, reason: str, cache: BlobCache) -> Record:
    """One formula's next version with the substitution, checked and sealed, not committed:
    an approved one is revised in memory first (next version, draft) as `revise` would."""
    store = reader.store
    record_id = item.formula.split("@")[0]
    before = store.load(record_id)
    status = before.data.get("status")
    if status == "in_review":
        raise FormulaError(
            f"{record_id} is in review", "reject it back to draft, or approve it first"
        )
    if status == "approved":
        require_role(
            actor(store), STEPS["revise"].roles, "formula", record_id, before.data, "revise"
        )
        refuse_uncommitted(store, before)
        revised = dict(before.data, status="draft", version=int(before.data.get("version", 1)) + 1)
        revised.pop("review_due", None)
        before = Record(before.id, before.kind, before.path, revised)
    if item.plain_after is None:
        raise ValueError("a plan made with to_write=False cannot be written")
    opened = open_record(store, before, reader.identities)
    data = dict(item.plain_after)
    for name in ("version", "status"):
        data[name] = before.data[name]
    data.pop("review_due", None)
    after = Record(before.id, before.kind, before.path, data)
    checked = checked_change(store, before, after, "substitute", cache, opened)
    findings = check_unsaved(store, checked.path, store.canonical(checked).encode("utf-8"), cache)
    if findings:
        raise Refused(f"substitute {record_id}", findings)
    return checked
