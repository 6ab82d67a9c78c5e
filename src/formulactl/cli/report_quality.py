"""`report` commands: complaints, satisfaction, staff KPIs and suppliers."""

from __future__ import annotations

import typer


def register(group: typer.Typer) -> None:
    """Add this family's commands to the `report` group."""
