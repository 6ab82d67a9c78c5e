"""Which customers are likely the same company: the one matching rule that both the
duplicate check and a spreadsheet import use, so an import lists exactly what the check would."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# Legal-form words that differ between two spellings of one company's name.
_LEGAL_FORMS = re.compile(
    r"(股份有限公司|有限责任公司|有限公司|co\.?,?\s*ltd\.?|company limited|limited|ltd\.?|inc\.?)$"
)
_SPACES = re.compile(r"[\s,.，。·()（）]+")


@dataclass(frozen=True)
class Match:
    other: str  # the existing customer's ID
    score: float  # 0–100
    certain: bool  # same tax ID, or same name after normalising
    reasons: tuple[str, ...]


def normal_name(name: str) -> str:
    """A company name as it compares: NFKC, case folded, legal form and spacing dropped."""
    text = unicodedata.normalize("NFKC", name).casefold().strip()
    text = _LEGAL_FORMS.sub("", text).strip()
    return _SPACES.sub("", text)


def likely_duplicates(
    candidate: Mapping[str, Any],
    customers: Mapping[str, Mapping[str, Any]],
    threshold: float = 85.0,
) -> list[Match]:
    """Customers that are probably `candidate` itself, best first: a shared tax ID, or a
    name (day-to-day or legal) that is the same once spelling differences are taken out."""
    tax_id = candidate.get("tax_id")
    names = _names(candidate)
    found: list[Match] = []
    for other_id, other in customers.items():
        if other_id == candidate.get("id"):
            continue
        reasons: list[str] = []
        if isinstance(tax_id, str) and tax_id and other.get("tax_id") == tax_id:
            reasons.append(f"same tax ID {tax_id}")
        shared = sorted(names & _names(other))
        if shared:
            reasons.append(f"same name after normalising ({shared[0]})")
        if reasons:
            found.append(Match(other_id, 100.0, True, tuple(reasons)))
    return sorted(
        (match for match in found if match.score >= threshold),
        key=lambda match: (-match.score, match.other),
    )


def _names(record: Mapping[str, Any]) -> set[str]:
    return {
        normal_name(value)
        for value in (record.get("name"), record.get("legal_name"))
        if isinstance(value, str) and normal_name(value)
    }
