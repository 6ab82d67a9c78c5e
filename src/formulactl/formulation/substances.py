"""A formula as substances (ingredient % × composition %, ranges carried as min/max) and
those substances against a market's limits and a customer's restrictions.

Percentages are `Decimal`, so the arithmetic each finding shows is exactly what was compared.
Ranges count at their maximum for limits.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any, NamedTuple

from formulactl.formulation.units import decimal, plain

HUNDRED = Decimal(100)
PPM = Decimal(10000)  # ppm per percent


class Part(NamedTuple):
    """One substance of a material, as a share of it."""

    key: str  # CAS, or the material's ID where it names none
    name: str
    inci: str
    low: Decimal
    high: Decimal
    allergen: bool = False
    own: bool = False  # the material itself (no composition, or what the listed ones leave)


class Source(NamedTuple):
    material: str
    line_percent: Decimal  # the material's share of the formula
    part: Part

    def arithmetic(self) -> str:
        share = plain(self.part.high)
        if self.part.low != self.part.high:
            share = f"{plain(self.part.low)}–{share}"
        return f"{plain(self.line_percent)} % {self.material} × {share} %"


class Substance:
    """A substance summed over the lines it comes from (added to while exploding)."""

    __slots__ = ("allergen", "high", "inci", "key", "low", "name", "sources")

    def __init__(self, key: str, name: str, inci: str, allergen: bool = False) -> None:
        self.key = key
        self.name = name
        self.inci = inci
        self.allergen = allergen
        self.low = Decimal(0)
        self.high = Decimal(0)
        self.sources: list[Source] = []

    def __repr__(self) -> str:
        return f"Substance({self.key!r}, {self.name!r}, low={self.low}, high={self.high})"

    def arithmetic(self) -> str:
        return " + ".join(source.arithmetic() for source in self.sources)


def parts_of(material_id: str, data: Mapping[str, Any]) -> list[Part]:
    """A material's substances; what the listed ones leave of 100 % is the material itself
    (unless its own CAS is listed: then the rest is only the slack of the ranges)."""
    own_key = str(data.get("cas") or material_id)
    own_name = str(data.get("name") or material_id)
    own_inci = str(data.get("inci") or data.get("name_en") or own_name)
    listed = [item for item in data.get("composition") or [] if isinstance(item, dict)]
    parts = []
    for item in listed:
        exact = item.get("percent")
        low = decimal(exact if exact is not None else item.get("percent_min"), "percent_min")
        high = decimal(exact if exact is not None else item.get("percent_max"), "percent_max")
        name = str(item.get("name") or item.get("cas"))
        inci = str(item.get("inci") or name)
        parts.append(
            Part(str(item.get("cas")), name, inci, low, high, item.get("allergen") is True)
        )
    rest_high = HUNDRED - sum((part.low for part in parts), Decimal(0))
    rest_low = max(Decimal(0), HUNDRED - sum((part.high for part in parts), Decimal(0)))
    if rest_high > 0 and all(part.key != own_key for part in parts):
        parts.append(Part(own_key, own_name, own_inci, rest_low, rest_high, False, True))
    return parts


def explode(
    lines: Iterable[tuple[str, Decimal]],
    materials: Mapping[str, Mapping[str, Any]],
    parts: Callable[[str, Mapping[str, Any]], list[Part]] | None = None,
    only: set[str] | None = None,
) -> dict[str, Substance]:
    """Substances by CAS, summed over every line and material they come from (`parts`: a
    material's substances, remembered across formulas by `reader_parts`; `only`: the CAS
    numbers a check compares, each summed whole, the others left out)."""
    parts = parts or parts_of
    found: dict[str, Substance] = {}
    for material_id, percent in lines:
        for part in parts(material_id, materials[material_id]):
            if only is not None and part.key not in only:
                continue
            substance = found.setdefault(
                part.key, Substance(part.key, part.name, part.inci, part.allergen)
            )
            substance.low += percent * part.low / HUNDRED
            substance.high += percent * part.high / HUNDRED
            substance.allergen = substance.allergen or part.allergen
            substance.sources.append(Source(material_id, percent, part))
    return found


class Product(NamedTuple):
    """What decides which limits apply."""

    markets: tuple[str, ...]
    product_type: str
    exposure: str


def limit_applies(limit: Mapping[str, Any], product: Product) -> bool:
    """Same market; a listed product type covers its sub-types; absent lists mean all."""
    types = limit.get("product_types")
    exposures = limit.get("exposure")
    return (
        limit.get("market") in product.markets
        and (
            not types
            or any(
                product.product_type == code or product.product_type.startswith(code + ".")
                for code in types
            )
        )
        and (not exposures or not product.exposure or product.exposure in exposures)
    )


class Breach(NamedTuple):
    """A limit or restriction the formula does not keep, with the arithmetic that shows it."""

    kind: str  # limit or restriction
    ref: str  # L-00001, or C-00001 restrictions[0]
    key: str
    substance: str
    message: str
    source: str

    def as_dict(self) -> dict[str, str]:
        return {
            "kind": self.kind,
            "ref": self.ref,
            "cas": self.key,
            "substance": self.substance,
            "message": self.message,
            "source": self.source,
        }


class Declare(NamedTuple):
    """A substance above a label threshold: it must be named on the label."""

    limit: str
    key: str
    substance: Substance
    threshold: Decimal
    label_text: str


def _where(product: Product, limit: Mapping[str, Any]) -> str:
    exposures = limit.get("exposure") or []
    exposure = product.exposure.replace("_", "-") if product.exposure in exposures else ""
    return " ".join(part for part in (str(limit.get("market")), exposure) if part)


def check_limits(
    substances: Mapping[str, Substance],
    limits: Iterable[tuple[str, Mapping[str, Any]]],
    product: Product,
) -> tuple[list[Breach], list[Declare]]:
    """Every applicable limit against the substances at their maximum."""
    breaches: list[Breach] = []
    declare: list[Declare] = []
    groups: dict[tuple[str, str, str], list[tuple[str, Mapping[str, Any]]]] = defaultdict(list)
    for limit_id, limit in limits:
        if not limit_applies(limit, product):
            continue
        substance = substances.get(str(limit.get("cas")))
        if limit.get("group") and "max_percent" in limit:
            groups[(str(limit["market"]), str(limit["source"]), str(limit["group"]))].append(
                (limit_id, limit)
            )
        elif substance is not None and "max_percent" in limit:
            cap = decimal(limit["max_percent"], f"{limit_id} max_percent")
            if substance.high > cap:
                breaches.append(_over(limit_id, limit, substance, cap, product))
        if substance is not None and limit.get("banned") is True and substance.high > 0:
            breaches.append(_banned(limit_id, limit, substance, product))
        threshold = limit.get("label_threshold_percent")
        if substance is not None and threshold is not None:
            level = decimal(threshold, f"{limit_id} label_threshold_percent")
            if substance.high > level:
                text = str(limit.get("label_text") or substance.inci)
                declare.append(Declare(limit_id, substance.key, substance, level, text))
    for (_market, _source, group), members in groups.items():
        breaches.extend(_group_breach(group, members, substances, product))
    return breaches, declare


def _over(
    limit_id: str, limit: Mapping[str, Any], substance: Substance, cap: Decimal, product: Product
) -> Breach:
    message = (
        f"{substance.key} {limit.get('substance')}: {plain(substance.high)} % "
        f"({substance.arithmetic()}) > {plain(cap)} %, {_where(product, limit)}, "
        f"{limit.get('source')} ({limit_id})"
    )
    return Breach(
        "limit", limit_id, substance.key, str(limit.get("substance")), message, str(limit["source"])
    )


def _banned(
    limit_id: str, limit: Mapping[str, Any], substance: Substance, product: Product
) -> Breach:
    message = (
        f"{substance.key} {limit.get('substance')}: {plain(substance.high)} % "
        f"({substance.arithmetic()}) but banned, {_where(product, limit)}, "
        f"{limit.get('source')} ({limit_id})"
    )
    return Breach(
        "limit", limit_id, substance.key, str(limit.get("substance")), message, str(limit["source"])
    )


def _group_breach(
    group: str,
    members: list[tuple[str, Mapping[str, Any]]],
    substances: Mapping[str, Substance],
    product: Product,
) -> list[Breach]:
    """Limits sharing a group cap one sum: the substances' maxima add up against it."""
    present = [
        (limit_id, substances[str(limit.get("cas"))])
        for limit_id, limit in members
        if str(limit.get("cas")) in substances
    ]
    if not present:
        return []
    cap = min(decimal(limit["max_percent"], f"{lid} max_percent") for lid, limit in members)
    total = sum((substance.high for _id, substance in present), Decimal(0))
    if total <= cap:
        return []
    parts = " + ".join(
        f"{substance.key} {plain(substance.high)} % ({substance.arithmetic()})"
        for _id, substance in present
    )
    first = members[0][1]
    ids = ", ".join(limit_id for limit_id, _limit in members)
    message = (
        f"{group}: {plain(total)} % ({parts}) > {plain(cap)} %, {_where(product, first)}, "
        f"{first.get('source')} ({ids})"
    )
    return [Breach("limit", ids, present[0][1].key, group, message, str(first["source"]))]


def check_restrictions(
    customer_id: str,
    restrictions: Iterable[Mapping[str, Any]],
    substances: Mapping[str, Substance],
    lines: Iterable[tuple[str, Decimal]],
) -> list[Breach]:
    """The customer's own caps: a substance (by CAS) or a whole material."""
    used: dict[str, Decimal] = defaultdict(Decimal)
    for material_id, percent in lines:
        used[material_id] += percent
    breaches = []
    for index, item in enumerate(restrictions):
        ref = f"{customer_id} restrictions[{index}]"
        if "cas" in item:
            substance = substances.get(str(item["cas"]))
            if substance is None:
                continue
            amount, key, how = substance.high, substance.key, substance.arithmetic()
            default_name = substance.name
        elif str(item.get("material")) in used:
            key = str(item["material"])
            amount, how = used[key], f"{plain(used[key])} % {key}"
            default_name = key
        else:
            continue
        verdict = _restriction_verdict(item, amount)
        if verdict:
            name = str(item.get("substance") or default_name)
            message = (
                f"{key} {name}: {plain(amount)} % ({how}) {verdict}, "
                f"customer {customer_id}: {item.get('source')}"
            )
            breaches.append(Breach("restriction", ref, key, name, message, str(item["source"])))
    return breaches


def _restriction_verdict(item: Mapping[str, Any], amount: Decimal) -> str:
    if item.get("banned") is True and amount > 0:
        return "but banned"
    if "max_percent" in item and amount > decimal(item["max_percent"], "max_percent"):
        return f"> {plain(decimal(item['max_percent'], 'max_percent'))} %"
    if "max_ppm" in item and amount * PPM > decimal(item["max_ppm"], "max_ppm"):
        return f"= {plain(amount * PPM)} ppm > {plain(decimal(item['max_ppm'], 'max_ppm'))} ppm"
    return ""
