"""Domain rules beyond the schema, each a small pure function registered for its kinds.

Record rules see one parsed record and must tolerate any shape (they run even when the
schema found errors, so one run reports everything). Store rules see only the cached
facts of each record, so a warm run never parses a file.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from formulactl.crypto.confidential import envelope_problems
from formulactl.errors import FormulaError, Problem, pointer_part
from formulactl.model.kinds import KINDS
from formulactl.model.settings import Settings, split_ref
from formulactl.model.team import Team
from formulactl.rules.quality import lot_sources, quality_facts
from formulactl.rules.suppliers import supplier_facts
from formulactl.store.paths import walk
from formulactl.store.schema import CONFLICTS, KindSchema


@dataclass(frozen=True)
class RuleContext:
    settings: Settings
    schema: KindSchema
    team: Team
    record_id: str
    plaintext_ok: bool = False  # a record about to be sealed is checked in plain text


RecordRule = Callable[[RuleContext, dict[str, Any]], Iterable[Problem]]
RECORD_RULES: dict[str, list[RecordRule]] = defaultdict(list)
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def record_rule(*kinds: str) -> Callable[[RecordRule], RecordRule]:
    def register(rule: RecordRule) -> RecordRule:
        for kind in kinds or tuple(KINDS):
            RECORD_RULES[kind].append(rule)
        return rule

    return register


def check_record(context: RuleContext, data: dict[str, Any]) -> list[Problem]:
    return [
        problem for rule in RECORD_RULES[context.schema.kind] for problem in rule(context, data)
    ]


# ------------------------------------------------------------------------ record rules


@record_rule("formula")
def ingredient_sum(context: RuleContext, data: dict[str, Any]) -> Iterator[Problem]:
    """The percentages make 100; an omitted balance percent takes whatever the rest leave."""
    lines = data.get("ingredients")
    if not isinstance(lines, list) or not lines:
        return
    open_balance = [
        line for line in lines if isinstance(line, dict) and line.get("balance") is True
    ]
    counted = [
        line for line in lines if not (isinstance(line, dict) and line.get("balance") is True)
    ]
    if open_balance and "percent" in open_balance[0]:
        counted, open_balance = lines, []
    percents = [line.get("percent") if isinstance(line, dict) else None for line in counted]
    numbers = [number for number in map(_number, percents) if number is not None]
    if len(numbers) < len(percents):
        return  # a sealed or wrong value is reported elsewhere; no sum to check
    total = math.fsum(numbers)
    tolerance = context.settings.percent_tolerance
    if open_balance and total > 100 + tolerance + 1e-9:
        yield Problem(
            "/ingredients",
            "percent-sum",
            f"ingredient percentages without the balance line sum to {total:.6g}, over 100",
            "lower them; the balance line takes what they leave of 100",
        )
    elif not open_balance and abs(total - 100) > tolerance + 1e-9:
        yield Problem(
            "/ingredients",
            "percent-sum",
            f"ingredient percentages sum to {total:.6g}, not 100",
            f"adjust them; this store allows ±{tolerance:g}",
        )


@record_rule("material", "limit")
def cas_check_digit(context: RuleContext, data: dict[str, Any]) -> Iterator[Problem]:
    problem = cas_problem(data.get("cas"), "/cas")
    if problem:
        yield problem


def cas_problem(cas: Any, pointer: str) -> Problem | None:
    """A CAS number whose last digit does not match the weighted sum of the others."""
    if not isinstance(cas, str) or cas.count("-") != 2:
        return None
    digits = cas.replace("-", "")
    if not digits.isdigit():
        return None
    body, check = digits[:-1], int(digits[-1])
    expected = sum(int(d) * weight for weight, d in enumerate(reversed(body), start=1)) % 10
    if expected == check:
        return None
    return Problem(
        pointer,
        "cas-check-digit",
        f"CAS number {cas} fails its check digit (expected {expected})",
        "retype it from the supplier's safety data sheet or the regulation",
    )


@record_rule("customer")
def tax_id_check_digit(context: RuleContext, data: dict[str, Any]) -> Iterator[Problem]:
    code = data.get("tax_id")
    if not isinstance(code, str) or len(code) != 18:
        return
    if any(char not in USCC_ALPHABET for char in code):
        yield Problem(
            "/tax_id",
            "tax-id",
            f"{code} is not a unified social credit code",
            "its 18 characters never include I, O, S, V or Z; check the business licence",
        )
        return
    total = sum(USCC_ALPHABET.index(char) * w for char, w in zip(code, USCC_WEIGHTS, strict=False))
    expected = USCC_ALPHABET[(31 - total % 31) % 31]
    if code[-1] != expected:
        yield Problem(
            "/tax_id",
            "tax-id",
            f"unified social credit code {code} fails its check character (expected {expected})",
            "check it against the business licence",
        )


@record_rule("customer", "formula", "material", "supplier", "limit")
def approved_needs_review_due(context: RuleContext, data: dict[str, Any]) -> Iterator[Problem]:
    if data.get("status") == "approved" and "review_due" not in data:
        yield Problem(
            "/status",
            "review-due",
            f"approved {context.schema.kind} has no review_due",
            "add review_due: YYYY-MM-DD for its next periodic review",
        )


@record_rule()
def unique_list_keys(context: RuleContext, data: dict[str, Any]) -> Iterator[Problem]:
    for path, keys in context.schema.list_keys.items():
        for pointer, items in walk(data, path):
            if not isinstance(items, list):
                continue
            seen: set[str] = set()
            for index, item in enumerate(items):
                if not isinstance(item, dict):
                    continue
                key = ", ".join(f"{name} {item.get(name)}" for name in keys if name in item)
                if key and key in seen:
                    yield Problem(
                        pointer + pointer_part(index),
                        "duplicate-line",
                        f"two lines in `{path[-1]}` with {key}",
                        "merge them into one line",
                    )
                seen.add(key)


@record_rule()
def sealed_values(context: RuleContext, data: dict[str, Any]) -> Iterator[Problem]:
    """The leak guard: confidential fields are sealed, for exactly the readers of today."""
    if context.schema.sensitive:
        for problem in envelope_problems(
            context.settings, context.team, context.schema, context.record_id, data
        ):
            if not (context.plaintext_ok and problem.rule == "plaintext"):
                yield problem


@record_rule()
def unresolved_merge(context: RuleContext, data: dict[str, Any]) -> Iterator[Problem]:
    conflicts = data.get(CONFLICTS)
    for index, conflict in enumerate(conflicts if isinstance(conflicts, list) else []):
        field = conflict.get("field") if isinstance(conflict, dict) else None
        yield Problem(
            f"/{CONFLICTS}/{index}",
            "merge-conflict",
            f"unresolved merge conflict on `{field}`: ours "
            f"{_short(conflict, 'ours')}, theirs {_short(conflict, 'theirs')}",
            f"keep one value in the record, delete `{CONFLICTS}`, then commit",
        )


def _short(conflict: Any, side: str) -> str:
    value = conflict.get(side) if isinstance(conflict, dict) else None
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "…"


@record_rule("feedback")
def feedback_closure(context: RuleContext, data: dict[str, Any]) -> Iterator[Problem]:
    status = data.get("status")
    if status in ("resolved", "closed") and "resolution" not in data:
        yield Problem(
            "/status",
            "feedback-resolution",
            f"feedback is {status} without a resolution",
            "write what was done in `resolution`",
        )
    if status == "closed" and "closed_on" not in data:
        yield Problem(
            "/status",
            "feedback-closed-on",
            "closed feedback has no closed_on date",
            "add closed_on: YYYY-MM-DD",
        )
    if status == "closed" and not closable(data):
        yield Problem(
            "/status",
            "feedback-effectiveness",
            f"{data.get('type')} is closed without an effectiveness result or a no_capa_reason",
            "record `effectiveness.result` after checking the CAPA worked, or say why no "
            "CAPA is needed in `no_capa_reason`",
        )
    yield from _not_before(data, "response_due", "date")
    yield from _not_before(data, "closed_on", "date")
    yield from _not_before(data, "acknowledged_on", "date")


# Feedback kinds that report a nonconformity and so need a CAPA or a reason for none.
CAPA_TYPES = ("complaint", "claim")


def closable(data: dict[str, Any]) -> bool:
    """A complaint or claim closes only once its CAPA was checked to work, or with a stated
    reason why it needs none (Veeva QMS: no CAPA without a reason); other feedback closes
    on its resolution alone."""
    if data.get("type") not in CAPA_TYPES or data.get("no_capa_reason"):
        return True
    effectiveness = data.get("effectiveness")
    return isinstance(effectiveness, dict) and "result" in effectiveness


@record_rule("interaction")
def next_date_after_contact(context: RuleContext, data: dict[str, Any]) -> Iterator[Problem]:
    yield from _not_before(data, "next_date", "date")


@record_rule("material")
def restricted_needs_note(context: RuleContext, data: dict[str, Any]) -> Iterator[Problem]:
    if data.get("restricted") is True and "restriction_notes" not in data:
        yield Problem(
            "/restricted",
            "restricted-note",
            "restricted material has no restriction_notes",
            "say where it may and may not be used",
        )


PERSONAL_FIELDS = ("phone", "email", "wechat")  # a contact's personal data, kept by consent


def personal_fields(contact: Any) -> list[str]:
    """The personal fields a contact holds (sealed or not): what consent must cover."""
    return [name for name in PERSONAL_FIELDS if isinstance(contact, dict) and name in contact]


@record_rule("customer")
def contacts_need_consent(context: RuleContext, data: dict[str, Any]) -> Iterator[Problem]:
    contacts = data.get("contacts")
    personal = isinstance(contacts, list) and any(personal_fields(c) for c in contacts)
    consent = data.get("consent")
    if personal and not isinstance(consent, dict):
        yield Problem(
            "/contacts",
            "consent",
            "contacts' personal details are kept without consent",
            "record the consent (purpose, date, recorded_by) or remove the details",
        )
    elif personal and isinstance(consent, dict) and "withdrawn_on" in consent:
        yield Problem(
            "/contacts",
            "consent",
            "consent was withdrawn but contacts' personal details are still kept",
            "remove phone, email and wechat from the contacts",
        )


@record_rule("formula")
def specification_limits(context: RuleContext, data: dict[str, Any]) -> Iterator[Problem]:
    specs = data.get("specifications")
    for index, spec in enumerate(specs if isinstance(specs, list) else []):
        if not isinstance(spec, dict):
            continue
        low, high, target = (_number(spec.get(name)) for name in ("min", "max", "target"))
        if low is not None and high is not None and low > high:
            yield Problem(
                f"/specifications/{index}/min",
                "spec-limits",
                f"specification {spec.get('property')}: min {low:g} is above max {high:g}",
                "swap or correct the limits",
            )
        elif target is not None and (
            (low is not None and target < low) or (high is not None and target > high)
        ):
            yield Problem(
                f"/specifications/{index}/target",
                "spec-limits",
                f"specification {spec.get('property')}: target {target:g} is outside its min/max",
                "correct the target or the limits",
            )


@record_rule("batch")
def lot_source(context: RuleContext, data: dict[str, Any]) -> Iterator[Problem]:
    lots = data.get("lots")
    yield from lot_sources(lots if isinstance(lots, list) else [])


def _not_before(data: Mapping[str, Any], later: str, earlier: str) -> Iterator[Problem]:
    first, second = data.get(earlier), data.get(later)
    if isinstance(first, str) and isinstance(second, str) and second < first:
        yield Problem(
            pointer_part(later),
            "date-order",
            f"{later} {second} is before {earlier} {first}",
            "correct the dates",
        )


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _number(value: Any) -> float | None:
    return float(value) if _is_number(value) else None


# ------------------------------------------------------------------------ facts and store rules


def record_facts(schema: KindSchema, data: dict[str, Any]) -> dict[str, Any]:
    """What store rules need from a record, small enough to cache for every file."""
    refs = sorted(
        {
            (ref.kind, value, ref.version)
            for ref in schema.refs
            for _pointer, value in walk(data, ref.path)
            if isinstance(value, str)  # the schema reports any other type
        }
    )
    facts: dict[str, Any] = {"refs": refs}
    for name in ("id", "status", "version", "tax_id", "date"):
        if name in data:
            facts[name] = data[name]
    if schema.kind == "customer":  # the owner rule asks whether its owner is in the team
        facts.update({name: data[name] for name in ("owner", "merged_into") if name in data})
    facts.update(quality_facts(schema.kind, data))
    facts.update(supplier_facts(schema.kind, data))
    return facts


@dataclass(frozen=True)
class Located:
    """A store-rule problem in one record file."""

    path: str
    problem: Problem


class Targets(Protocol):
    """What reference checks ask of the store: does a record exist, and its facts."""

    def exists(self, kind: str, record_id: str) -> bool: ...

    def facts_of(self, kind: str, record_id: str) -> Mapping[str, Any] | None: ...


def check_references(
    settings: Settings,
    facts: Mapping[str, Any],
    targets: Targets,
    verdicts: dict[tuple[str, str, str], tuple[str, str] | None],
) -> Iterator[tuple[str, str, str, str]]:
    """(kind, value, message, hint) for each reference that does not resolve.

    A store holds far fewer distinct targets than references, so each verdict is
    reached once per run and shared through `verdicts`.
    """
    for kind, value, version_rule in facts.get("refs", ()):
        key = (kind, value, version_rule)
        if key not in verdicts:
            verdicts[key] = _reference_problem(settings, kind, value, version_rule, targets)
        problem = verdicts[key]
        if problem:
            yield kind, value, *problem


def reference_pointers(
    schema: KindSchema, data: dict[str, Any], kind: str, value: str
) -> list[str]:
    """Where in a record a reference to `value` appears, to place its finding."""
    return [
        pointer
        for ref in schema.refs
        if ref.kind == kind
        for pointer, found in walk(data, ref.path)
        if found == value
    ]


def _reference_problem(
    settings: Settings,
    kind: str,
    value: str,
    version_rule: str,
    targets: Targets,
) -> tuple[str, str] | None:
    fmt = settings.id_formats[kind]
    try:
        target, version = split_ref(value)
    except FormulaError:
        target, version = value, None
    if not fmt.matches(target):
        return f"`{value}` is not a {kind} ID", f"{kind} IDs look like {fmt.example()}"
    if version is not None and version_rule == "no":
        return f"`{value}` names a version here", f"write just {target}"
    if version is None and version_rule == "required":
        return f"`{value}` needs a version", f"name the exact version used, such as {target}@1"
    if not targets.exists(kind, target):
        return f"{kind} {target} does not exist", f"check the ID with `formulactl list {kind}`"
    if version is None:
        return None  # existence is all an unversioned reference needs: no file is read
    found = targets.facts_of(kind, target) or {}
    current = found.get("version")
    if version is not None and isinstance(current, int):
        if version > current:
            return (
                f"{target} has no version {version} (its current version is {current})",
                "name a version that exists",
            )
        if version == current and found.get("status") not in ("approved", "archived"):
            return (
                f"{target}@{version} is {found.get('status')}, not approved",
                "only approved versions may be used; approve it first",
            )
    return None


def check_unique_tax_ids(customers: Iterable[tuple[str, Mapping[str, Any]]]) -> Iterator[Located]:
    """Every customer sharing a tax ID with another gets a finding naming the others."""
    holders: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for path, facts in customers:
        code = facts.get("tax_id")
        if isinstance(code, str):
            holders[code].append((path, str(facts.get("id", path))))
    for code, found in holders.items():
        for path, record_id in found if len(found) > 1 else ():
            others = ", ".join(sorted(other for _p, other in found if other != record_id))
            yield Located(
                path,
                Problem(
                    "/tax_id",
                    "unique-tax-id",
                    f"tax ID {code} is also used by {others}",
                    "one customer per tax ID: merge the records",
                ),
            )
