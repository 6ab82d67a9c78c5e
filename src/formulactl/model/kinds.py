"""The record kinds a store holds, their folders, and how each is listed."""

from __future__ import annotations

from dataclasses import dataclass

from formulactl.errors import FormulaError


@dataclass(frozen=True)
class Kind:
    name: str
    folder: str
    master: bool  # master data goes through review and approval; events are only signed
    columns: tuple[str, ...]  # dotted field paths shown by `list`


KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        Kind("customer", "customers", True, ("id", "name", "type", "class", "owner", "status")),
        Kind(
            "formula",
            "formulas",
            True,
            ("id", "customer", "product", "version", "status", "review_due"),
        ),
        Kind("material", "materials", True, ("id", "name", "cas", "restricted", "status")),
        Kind("supplier", "suppliers", True, ("id", "name", "qualification", "score", "status")),
        Kind(
            "limit",
            "limits",
            True,
            ("id", "market", "cas", "substance", "max_percent", "banned", "status"),
        ),
        Kind("batch", "batches", False, ("id", "formula", "date", "customer", "disposition")),
        Kind("interaction", "interactions", False, ("id", "customer", "date", "channel", "by")),
        Kind(
            "order",
            "orders",
            False,
            ("id", "customer", "date", "delivery.status", "payment.status"),
        ),
        Kind(
            "feedback",
            "feedback",
            False,
            ("id", "customer", "type", "severity", "status", "response_due"),
        ),
        Kind("survey", "surveys", False, ("id", "customer", "date", "scores.overall")),
    )
}
FOLDERS: dict[str, Kind] = {kind.folder: kind for kind in KINDS.values()}
RECORDS_DIR = "records"
SCHEMAS_DIR = "schemas"
SETTINGS_FILE = "formulactl.yaml"
TEAM_FILE = "team.yaml"
# The store-level files and the schema that checks each.
STORE_FILES: dict[str, str] = {SETTINGS_FILE: "settings", TEAM_FILE: "team"}


def kind_named(name: str) -> Kind:
    kind = KINDS.get(name) or FOLDERS.get(name)
    if kind is None:
        raise FormulaError(f"unknown record kind `{name}`", "use one of: " + ", ".join(KINDS))
    return kind
