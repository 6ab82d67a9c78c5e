"""`report` commands: classify, churn, forecast and demand: the sales side of the archive."""

from __future__ import annotations

import typer


def register(group: typer.Typer) -> None:
    """Add this family's commands to the `report` group."""
