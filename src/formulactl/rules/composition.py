"""Rules on the substance data formula work relies on: material compositions, balance
lines, customer restrictions and regulatory limits.

They are record rules like those in `rules.py`, kept apart so each module stays one concern.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

from formulactl.errors import Problem
from formulactl.rules.rules import RuleContext, cas_problem, record_rule


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _items(data: dict[str, Any], name: str) -> list[tuple[int, dict[str, Any]]]:
    found = data.get(name)
    return [
        (index, item)
        for index, item in enumerate(found if isinstance(found, list) else [])
        if isinstance(item, dict)
    ]


@record_rule("material")
def composition_ranges(context: RuleContext, data: dict[str, Any]) -> Iterator[Problem]:
    """Each substance has a percent or an ordered range, and the lowest shares fit in 100 %."""
    lows: list[float] = []
    for index, item in _items(data, "composition"):
        where = f"/composition/{index}"
        cas = item.get("cas", "?")
        problem = cas_problem(item.get("cas"), where + "/cas")
        if problem:
            yield problem
        exact = "percent" in item
        low, high = _number(item.get("percent_min")), _number(item.get("percent_max"))
        if exact == ("percent_min" in item or "percent_max" in item) or (
            not exact and (low is None or high is None)
        ):
            yield Problem(
                where,
                "composition-percent",
                f"substance {cas} needs either percent or both percent_min and percent_max",
                "give one exact percent, or a range from the supplier's declaration",
            )
            continue
        if low is not None and high is not None and low > high:
            yield Problem(
                where + "/percent_min",
                "composition-percent",
                f"substance {cas}: percent_min {low:g} is above percent_max {high:g}",
                "swap or correct the range",
            )
        value = _number(item.get("percent")) if exact else low
        lows.append(value or 0.0)
    total = math.fsum(lows)
    if total > 100 + 1e-9:
        yield Problem(
            "/composition",
            "composition-sum",
            f"the composition sums to {total:.6g} % (ranges at their minimum), over 100",
            "correct the percentages from the supplier's composition statement",
        )


@record_rule("formula")
def balance_lines(context: RuleContext, data: dict[str, Any]) -> Iterator[Problem]:
    """At most one line takes the rest; every other line states its percent."""
    lines = _items(data, "ingredients")
    balances = [index for index, line in lines if line.get("balance") is True]
    for index in balances[1:]:
        yield Problem(
            f"/ingredients/{index}/balance",
            "balance-line",
            f"two balance lines (lines {balances[0] + 1} and {index + 1})",
            "keep `balance: true` on one line only; give the others a percent",
        )
    for index, line in lines:
        if line.get("balance") is not True and "percent" not in line:
            yield Problem(
                f"/ingredients/{index}",
                "ingredient-percent",
                f"ingredient line {index + 1} ({line.get('material', '?')}) has no percent",
                "give it a percent; only the balance line may omit it",
            )
        if line.get("balance") is True and line.get("scale") == "fixed":
            yield Problem(
                f"/ingredients/{index}/scale",
                "balance-line",
                "the balance line cannot be fixed",
                "remove `scale: fixed` or `balance: true`",
            )


@record_rule("customer")
def restriction_shape(context: RuleContext, data: dict[str, Any]) -> Iterator[Problem]:
    """A restriction names one substance or material and one kind of cap."""
    for index, item in _items(data, "restrictions"):
        where = f"/restrictions/{index}"
        if ("cas" in item) == ("material" in item):
            yield Problem(
                where,
                "restriction",
                "a restriction names exactly one of cas or material",
                "keep one; write two restrictions for two things",
            )
        caps = [name for name in ("max_percent", "max_ppm", "banned") if name in item]
        if len(caps) != 1:
            yield Problem(
                where,
                "restriction",
                "a restriction has exactly one of max_percent, max_ppm or banned",
                "keep the one the customer asked for",
            )
        problem = cas_problem(item.get("cas"), where + "/cas")
        if problem:
            yield problem


@record_rule("limit")
def limit_shape(context: RuleContext, data: dict[str, Any]) -> Iterator[Problem]:
    """A limit caps, bans or sets a label threshold, and names product types the store knows."""
    if not any(name in data for name in ("max_percent", "banned", "label_threshold_percent")):
        yield Problem(
            "",
            "limit",
            "the limit sets none of max_percent, banned or label_threshold_percent",
            "give the maximum, the ban or the labelling threshold from the regulation",
        )
    if "label_threshold_percent" in data and "label_text" not in data:
        yield Problem(
            "/label_threshold_percent",
            "limit",
            "a label threshold without label_text",
            "write what the label must say above the threshold",
        )
    known = product_type_codes(context)
    types = data.get("product_types")
    for index, code in enumerate(types if isinstance(types, list) else []):
        if known and isinstance(code, str) and code not in known:
            yield Problem(
                f"/product_types/{index}",
                "product-type",
                f"product type `{code}` is not in formulactl.yaml",
                "use a code from `product_types` in formulactl.yaml, or add it there",
            )


@record_rule("formula")
def formula_product_type(context: RuleContext, data: dict[str, Any]) -> Iterator[Problem]:
    code = data.get("product_type")
    known = product_type_codes(context)
    if known and isinstance(code, str) and code not in known:
        yield Problem(
            "/product_type",
            "product-type",
            f"product type `{code}` is not in formulactl.yaml",
            "use a code from `product_types` in formulactl.yaml, or add it there",
        )


def product_type_codes(context: RuleContext) -> set[str]:
    found = context.settings.raw.get("product_types")
    return {
        entry["code"]
        for entry in (found if isinstance(found, list) else [])
        if isinstance(entry, dict) and isinstance(entry.get("code"), str)
    }
