"""`formulactl report …`: the reports computed from signed records at one commit. Each
family of reports registers its commands here from its own module."""

from __future__ import annotations

import typer

from formulactl.cli import report_html, report_quality, report_sales


def register(app: typer.Typer) -> None:
    group = typer.Typer(
        name="report",
        help="Reports computed from the signed records at one commit, with their reasons.",
        no_args_is_help=True,
    )
    report_sales.register(group)
    report_quality.register(group)
    report_html.register(group)
    if group.registered_commands:
        app.add_typer(group)
