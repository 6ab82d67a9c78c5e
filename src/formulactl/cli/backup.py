"""`backup` and `restore`: a git bundle of the store with a restore drill, and a working
store from a bundle, verified before it is used."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from formulactl.cli.common import JsonOption, StoreOption, err, open_store, out, print_json


def register(app: typer.Typer) -> None:
    app.command("backup")(backup)
    app.command("restore")(restore)


def backup(
    to: Annotated[Path, typer.Option("--to", metavar="DIR", help="The folder for the bundle.")],
    as_json: JsonOption = False,
    store: StoreOption = None,
) -> None:
    """Save every ref formulactl uses as one git bundle, verify it, restore it into a
    temporary folder and run `audit verify` there; a passed drill is a signed commit."""
    from formulactl.exchange.backup import backup as make_backup

    found = open_store(store)
    made = make_backup(found, to)
    if as_json:
        print_json(
            {
                "bundle": str(made.bundle),
                "sha256": made.sha256,
                "bytes": made.size,
                "head": made.head,
                "refs": made.refs,
                "drill": {"passed": made.drill.passed, "findings": list(made.drill.findings)},
                "recorded": made.recorded,
            }
        )
    else:
        out(f"Saved {len(made.refs)} refs at {made.head[:10]} to {made.bundle} ({made.size} bytes)")
        for ref in sorted(made.refs):
            out(f"  {ref}")
        out(f"sha256 {made.sha256}")
        if made.drill.passed:
            out(f"Restore drill passed: {made.drill.refs} refs restored, audit verify clean")
            err(f"[{made.recorded[:10]}] drill recorded")
    if not made.drill.passed:
        for finding in made.drill.findings:
            err(f"restore drill: {finding}")
        err("formulactl: the restore drill failed: this backup does not verify — not recorded")
        raise typer.Exit(1)


def restore(
    bundle: Annotated[Path, typer.Argument(metavar="BUNDLE", help="A bundle made by backup.")],
    target: Annotated[Path, typer.Argument(metavar="DIR", help="A new or empty folder.")],
) -> None:
    """A working store from a bundle, put in DIR only after `audit verify` passed on it."""
    from formulactl.exchange.backup import restore as restore_bundle

    drill = restore_bundle(bundle, target)
    out(f"Restored {drill.refs} refs into {target}; audit verify clean")
