"""Results as JSON: the one place that turns the core's dataclasses into what `--json`
prints, so the core keeps plain data and no result carries its own serialiser."""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from formulactl.audit.trail import Blame, Event


_SCALARS = frozenset((str, int, float, bool, type(None)))


def to_json(value: Any) -> Any:
    """Dataclasses by their fields (trail events and blame rows flattened for readers),
    tuples as lists, paths as text; everything else as it is.

    Plain mappings, lists and scalars (nearly every node of a listing of records) are told
    apart by their exact type first: asking every node of 10,000 opened formulas whether it
    is an event, a dataclass or a Mapping took longer than opening them.
    Events and blame rows exist only where the trail module was imported: a command that
    never loaded it (a quarter of a second of imports) has none to flatten."""
    kind = type(value)
    if kind in _SCALARS:
        return value
    if kind is dict:
        if all(type(key) is str and type(item) in _SCALARS for key, item in value.items()):
            return value  # a line of a record: already JSON, nothing to convert or copy
        return {
            key if type(key) is str else str(key): (
                item if type(item) in _SCALARS else to_json(item)
            )
            for key, item in value.items()
        }
    if kind is list:
        return [item if type(item) in _SCALARS else to_json(item) for item in value]
    trail: Any = sys.modules.get("formulactl.audit.trail")
    if trail is not None and isinstance(value, trail.Event):
        return _event(value)
    if trail is not None and isinstance(value, trail.Blame):
        return _blame(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            field.name: to_json(getattr(value, field.name)) for field in dataclasses.fields(value)
        }
    if isinstance(value, Mapping):
        return {str(key): to_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(item) for item in value]
    if isinstance(value, Path):
        return str(value)
    return value


def _event(event: Event) -> dict[str, Any]:
    """One change to a record, its signature spelled out as an inspector reads it."""
    signature = event.signature
    return {
        "commit": event.commit,
        "date": signature.when,
        "person": signature.person,
        "name": signature.name,
        "signature": signature.verdict,
        "received": signature.received,
        "action": event.action,
        "meaning": signature.meaning,
        "reason": event.reason,
        "version": event.version,
        "status": event.status,
        "changes": to_json(event.changes),
    }


def _blame(row: Blame) -> dict[str, Any]:
    """Who last changed a field, and the approval that covers it (if any)."""
    changed, approval = row.changed, row.approval
    return {
        "field": row.field,
        "commit": changed.commit,
        "person": changed.signature.person,
        "name": changed.signature.name,
        "date": changed.signature.when,
        "version": changed.version,
        "action": changed.action,
        "approved_by": approval.signature.person if approval else None,
        "approved_in": approval.commit if approval else None,
        "approved_on": approval.signature.when if approval else None,
    }
