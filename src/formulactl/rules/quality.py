"""Batch QC against a formula version's specifications: pass, warning or out of spec.

Pure functions over plain data, so `validate`, `trace` and `release` judge a result the
same way; which version's specifications apply is the caller's business.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from formulactl.errors import Problem

PASS, WARN, FAIL, UNKNOWN = "pass", "warning", "out-of-spec", "no-spec"


@dataclass(frozen=True)
class Verdict:
    """One QC line judged against its specification."""

    name: str  # the property tested
    result: Any
    verdict: str  # pass, warning, out-of-spec, no-spec
    why: str

    @property
    def passed(self) -> bool | None:
        return None if self.verdict == UNKNOWN else self.verdict != FAIL


@dataclass(frozen=True)
class Gate:
    """What stands between a batch and its release."""

    missing: tuple[str, ...]
    out_of_spec: tuple[Verdict, ...]
    warnings: tuple[Verdict, ...]

    @property
    def open(self) -> bool:
        return not self.missing and not self.out_of_spec


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _below(text: str) -> float | None:
    """`< 10` (below the detection limit) read as at most 10."""
    found = re.fullmatch(r"\s*[<≤]\s*([0-9]+(?:\.[0-9]+)?)\s*", text)
    return float(found.group(1)) if found else None


def _limits(spec: Mapping[str, Any]) -> tuple[float | None, float | None]:
    """The hard limits: min/max, else target ± tolerance."""
    low, high = _number(spec.get("min")), _number(spec.get("max"))
    target, tolerance = _number(spec.get("target")), _number(spec.get("tolerance"))
    if target is not None and tolerance is not None:
        low = target - tolerance if low is None else low
        high = target + tolerance if high is None else high
    return low, high


def judge(spec: Mapping[str, Any] | None, result: Any) -> tuple[str, str]:
    """(verdict, why) for one result; a text spec passes only on its exact wording."""
    if spec is None:
        return UNKNOWN, "no specification for this property"
    value = _number(result) if not isinstance(result, str) else _below(result)
    if value is None:
        if isinstance(result, str) and result.strip() == str(spec.get("text", "")).strip():
            return PASS, "as specified"
        # A described result (appearance, odour) is judged by the analyst, not by wording.
        return UNKNOWN, "a text result is judged by the analyst"
    low, high = _limits(spec)
    if low is not None and value < low:
        return FAIL, f"below the minimum {low:g}"
    if high is not None and value > high:
        return FAIL, f"above the maximum {high:g}"
    warn_low, warn_high = _number(spec.get("warn_min")), _number(spec.get("warn_max"))
    if warn_low is not None and value < warn_low:
        return WARN, f"below the warning limit {warn_low:g}"
    if warn_high is not None and value > warn_high:
        return WARN, f"above the warning limit {warn_high:g}"
    return PASS, "within limits"


def specs_by_property(specs: Any) -> dict[str, Mapping[str, Any]]:
    if not isinstance(specs, list):
        return {}
    return {
        str(spec["property"]): spec
        for spec in specs
        if isinstance(spec, dict) and isinstance(spec.get("property"), str)
    }


def verdicts(specs: Any, qc: Any) -> list[Verdict]:
    """Every QC line of a batch judged by the specifications of its formula version."""
    found = specs_by_property(specs)
    lines = [line for line in qc if isinstance(line, dict)] if isinstance(qc, list) else []
    judged = []
    for line in lines:
        name = str(line.get("property", ""))
        verdict, why = judge(found.get(name), line.get("result"))
        judged.append(Verdict(name, line.get("result"), verdict, why))
    return judged


def gate(specs: Any, qc: Any) -> Gate:
    """Required tests not recorded, results out of spec, and warnings (which do not block)."""
    judged = verdicts(specs, qc)
    recorded = {verdict.name for verdict in judged}
    required = [name for name, spec in specs_by_property(specs).items() if spec.get("required")]
    return Gate(
        tuple(name for name in required if name not in recorded),
        tuple(verdict for verdict in judged if verdict.verdict == FAIL),
        tuple(verdict for verdict in judged if verdict.verdict == WARN),
    )


def typed_pass_problems(specs: Any, qc: Any, version: str) -> Iterator[Problem]:
    """A `pass` typed by hand that the specification of `version` contradicts."""
    lines = qc if isinstance(qc, list) else []
    for index, (line, verdict) in enumerate(zip(lines, verdicts(specs, qc), strict=False)):
        typed = line.get("pass") if isinstance(line, dict) else None
        computed = verdict.passed
        if isinstance(typed, bool) and computed is not None and typed != computed:
            yield Problem(
                f"/qc/{index}/pass",
                "qc-pass",
                f"{verdict.name}: pass is {str(typed).lower()} but the result "
                f"{verdict.result} is {verdict.verdict} for {version} ({verdict.why})",
                "leave `pass` out: it is computed from that version's specification",
            )


def quality_facts(kind: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """What the QC store rule needs from a batch or a formula, small enough to cache."""
    if kind == "formula" and isinstance(data.get("specifications"), list):
        return {"specifications": data["specifications"]}
    if kind == "batch" and isinstance(data.get("qc"), list):
        return {"qc": data["qc"], "formula": data.get("formula")}
    return {}


def lot_sources(lots: Iterable[Any]) -> Iterator[Problem]:
    """A lot line names exactly one of a material and an intermediate batch."""
    for index, line in enumerate(lots):
        if not isinstance(line, dict):
            continue
        named = [key for key in ("material", "batch") if key in line]
        if len(named) != 1:
            yield Problem(
                f"/lots/{index}",
                "lot-source",
                "a lot line names "
                + ("both a material and a batch" if named else "neither a material nor a batch"),
                "give exactly one: `material: M-…` for a bought lot, `batch: B-…` for an "
                "intermediate made here",
            )
