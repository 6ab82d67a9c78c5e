"""Answers as titled tables, so one renderer prints them as text, markdown or csv."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Table:
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]

    def as_dicts(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


def table(title: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> Table:
    return Table(title, columns, tuple(rows))
