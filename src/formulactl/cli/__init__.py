"""The `formulactl` command (its root lives in cli/root.py)."""

from formulactl.cli.root import app, collect_seldom, command, main, run

__all__ = ["app", "collect_seldom", "command", "main", "run"]
