"""`report` commands: the self-contained HTML report for managers."""

from __future__ import annotations

import typer


def register(group: typer.Typer) -> None:
    """Add this family's commands to the `report` group."""
