"""The `formulactl` command. Its root (typer app, `run`) is cli/root.py; this entry point
imports it only when needed, so that a Tab press on a record ID is answered before typer
is imported (cli/tab.py)."""

from __future__ import annotations

import os
import sys

from formulactl.cli.commands import COMPLETE_VAR


def main(argv: list[str] | None = None) -> None:
    """Run the CLI (cli/root.py), unless the shell asks for record IDs this can answer."""
    if argv is None and os.environ.get(COMPLETE_VAR):
        from formulactl.cli import tab

        try:
            answered = tab.answer(os.environ)
        except Exception:  # a shortcut only: whatever goes wrong here, typer answers instead
            answered = None
        if answered is not None:
            text, code = answered
            sys.stdout.write(text)
            sys.exit(code)
    from formulactl.cli import root

    root.main(argv)
