"""`check`: a formula version exploded into substances, against every approved limit of its
markets, product type and exposure, and against its customer's restrictions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from formulactl.formulation.formula import (
    ingredient_lines,
    load_materials,
    product_of,
    standard_shares,
)
from formulactl.formulation.source import FormulaVersion, Reader
from formulactl.formulation.substances import (
    Breach,
    Declare,
    Product,
    Substance,
    check_limits,
    check_restrictions,
    explode,
    limit_applies,
)
from formulactl.formulation.units import plain


@dataclass(frozen=True)
class CheckResult:
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


def check_formula(reader: Reader, version: FormulaVersion, market: str | None) -> CheckResult:
    materials = load_materials(reader, version)
    shares = standard_shares(version, ingredient_lines(version, materials))
    substances = explode(shares, materials)
    product = product_of(version, market)
    limits = [(record.id, record.data) for record in reader.limits()]
    breaches, declare = check_limits(substances, limits, product)
    customer = version.data.get("customer")
    if isinstance(customer, str) and customer:
        data = reader.load(customer, must_open=False)
        restrictions = [item for item in data.get("restrictions") or [] if isinstance(item, dict)]
        breaches += check_restrictions(customer, restrictions, substances, shares)
    applied = [limit_id for limit_id, limit in limits if limit_applies(limit, product)]
    return CheckResult(version, product, substances, breaches, declare, applied)
