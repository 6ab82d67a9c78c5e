"""Which customer a record really belongs to once duplicates are merged: a merged customer
keeps its file and history, and every report counts it under the one it was merged into."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def canonical_ids(customers: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """Customer ID → the ID it is counted under, following `merged_into` to its end.

    A chain that loops or points at an unknown customer stops at the last known one, so a
    bad record can never make a report count a customer twice or not at all."""
    found: dict[str, str] = {}
    for start in customers:
        seen = [start]
        current = start
        while True:
            target = customers.get(current, {}).get("merged_into")
            if not isinstance(target, str) or target not in customers or target in seen:
                break
            seen.append(target)
            current = target
        found[start] = current
    return found
