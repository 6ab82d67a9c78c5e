"""What every quality report stands on: the records, settings and team file of one commit,
the day it is judged on, and one result shape (titled tables plus JSON) for all of them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Any

from formulactl.archive.identity import canonical_ids
from formulactl.errors import FormulaError
from formulactl.git import gitio
from formulactl.model.kinds import SETTINGS_FILE, TEAM_FILE
from formulactl.store import yamlio
from formulactl.trace.snapshot import Snapshot
from formulactl.trace.tables import Table


@dataclass(frozen=True)
class Basis:
    """One report's ground: the store, the commit, its records and rule files, and today."""

    store_id: str
    commit: str
    today: date
    snapshot: Snapshot
    settings: Mapping[str, Any]
    team: Mapping[str, Any]

    @property
    def targets(self) -> Mapping[str, Any]:
        found = self.settings.get("targets")
        return found if isinstance(found, dict) else {}

    def customer_of(self, data: Mapping[str, Any]) -> str:
        """The customer a record counts under, following merges."""
        customer = str(data.get("customer", ""))
        return self.canonical.get(customer, customer)

    @cached_property
    def canonical(self) -> dict[str, str]:
        return canonical_ids(self.snapshot.of("customer"))

    def people(self) -> list[dict[str, Any]]:
        found = self.team.get("people")
        return [p for p in found if isinstance(p, dict)] if isinstance(found, list) else []


def basis_at(root: Any, store_id: str, snapshot: Snapshot, today: date) -> Basis:
    """The settings and team file as `snapshot`'s commit holds them, so `--at` answers with
    the targets and training rules of that day."""
    return Basis(
        store_id,
        snapshot.commit,
        today,
        snapshot,
        _file_at(root, snapshot.commit, SETTINGS_FILE),
        _file_at(root, snapshot.commit, TEAM_FILE),
    )


def _file_at(root: Any, commit: str, name: str) -> dict[str, Any]:
    raw = gitio.file_at(root, commit, f"./{name}")
    if raw is None:
        return {}
    try:
        return yamlio.load_record(raw, name, 1 << 22)
    except FormulaError:
        return {}  # `validate` reports it; a report goes on without targets


@dataclass
class Report:
    """A report's answer: its tables, each row's reasons in a `why` column."""

    name: str
    basis: Basis
    tables_: list[Table] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)

    def tables(self) -> list[Table]:
        return list(self.tables_)

    def title(self) -> str:
        return f"{self.name}, store {self.basis.store_id}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "report": self.name,
            "store_id": self.basis.store_id,
            "commit": self.basis.commit,
            "today": self.basis.today.isoformat(),
            "summary": self.summary,
            "tables": {found.title: found.as_dicts() for found in self.tables_},
        }


def days(later: Any, earlier: Any) -> int | None:
    """Whole days from `earlier` to `later` (YYYY-MM-DD), or None when either is missing."""
    if not (isinstance(later, str) and isinstance(earlier, str)):
        return None
    try:
        return (date.fromisoformat(later) - date.fromisoformat(earlier)).days
    except ValueError:
        return None


def percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None
