"""`check`: a formula version exploded into substances, against every approved limit of its
markets, product type and exposure, and against its customer's restrictions."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any, NamedTuple

from formulactl.errors import FormulaError
from formulactl.formulation.formula import (
    ingredient_lines,
    load_materials,
    product_of,
    reader_increment,
    reader_parts,
    standard_shares,
)
from formulactl.formulation.scaling import Line
from formulactl.formulation.source import FormulaVersion, Reader
from formulactl.formulation.substances import (
    Breach,
    Declare,
    Product,
    Substance,
    check_limits,
    check_restrictions,
    explode,
)
from formulactl.formulation.units import plain


class CheckResult(NamedTuple):
    version: FormulaVersion
    product: Product
    substances: dict[str, Substance]
    breaches: list[Breach]
    declare: list[Declare]
    limits: list[str]  # the limits that applied

    def as_dict(self) -> dict[str, Any]:
        return {
            "formula": self.version.ref,
            "markets": list(self.product.markets),
            "product_type": self.product.product_type,
            "exposure": self.product.exposure,
            "limits_checked": self.limits,
            "findings": [breach.as_dict() for breach in self.breaches],
            "must_declare": [
                {
                    "limit": item.limit,
                    "cas": item.key,
                    "label_text": item.label_text,
                    "percent": plain(item.substance.high),
                    "threshold_percent": plain(item.threshold),
                }
                for item in self.declare
            ],
        }


def known_markets(reader: Reader, version: FormulaVersion) -> list[str]:
    """The markets a check can speak for: those of the approved limits, and the formula's own."""
    found = {str(record.data.get("market")) for record in reader.limits()}
    found.update(str(item) for item in version.data.get("markets") or ())
    return sorted(found)


def check_market(reader: Reader, version: FormulaVersion, market: str) -> None:
    """A market nobody knows would check nothing and pass: refuse it, naming the known ones
    (a typo such as `--market UE` must not read as "no findings")."""
    known = known_markets(reader, version)
    if market not in known:
        raise FormulaError(
            f"unknown market {market!r}: known markets are {', '.join(known) or 'none'}",
            "give one of the known markets, or enter and approve limits for that market first",
            rule="usage",
        )


def check_formula(reader: Reader, version: FormulaVersion, market: str | None) -> CheckResult:
    if market is not None:
        check_market(reader, version, market)
    materials = load_materials(reader, version)
    lines = ingredient_lines(version, materials, reader_increment(reader))
    return check_lines(reader, version, materials, lines, rules_for(reader, version, market))


class Rules(NamedTuple):
    """What a formula version is checked against: the approved limits of its product (all
    its markets, or `market`) and its customer's restrictions."""

    product: Product
    applied: list[tuple[str, dict[str, Any]]]  # (limit ID, limit)
    customer: str
    restrictions: list[dict[str, Any]]
    named: set[str]  # the CAS numbers a limit or a restriction names


def rules_for(reader: Reader, version: FormulaVersion, market: str | None) -> Rules:
    """The rules of this version's product and customer (a substitution changes neither, so
    it checks a formula before and after against the same rules)."""
    product = product_of(version, market)
    applied = reader.limits_for(product)
    found = version.data.get("customer")
    customer = found if isinstance(found, str) else ""
    restrictions: list[dict[str, Any]] = []
    if customer:
        data = reader.load(customer, must_open=False)
        restrictions = [item for item in data.get("restrictions") or [] if isinstance(item, dict)]
    named = {str(limit.get("cas")) for _id, limit in applied}
    named.update(str(item["cas"]) for item in restrictions if "cas" in item)
    return Rules(product, applied, customer, restrictions, named)


def check_lines(
    reader: Reader,
    version: FormulaVersion,
    materials: Mapping[str, Mapping[str, Any]],
    lines: list[Line],
    rules: Rules,
    shares: list[tuple[str, Decimal]] | None = None,
) -> CheckResult:
    """The check of lines already worked out (a substitution costs the same lines; `shares`:
    their `standard_shares`, where the caller worked them out already). Only the substances
    some applicable limit or restriction names are summed: a substitution checks thousands
    of formulas, most of whose substances no rule mentions."""
    shares = standard_shares(version, lines) if shares is None else shares
    substances = explode(shares, materials, reader_parts(reader), rules.named)
    breaches, declare = check_limits(substances, rules.applied, rules.product)
    if rules.restrictions:
        breaches += check_restrictions(rules.customer, rules.restrictions, substances, shares)
    limits = [limit_id for limit_id, _limit in rules.applied]
    return CheckResult(version, rules.product, substances, breaches, declare, limits)
