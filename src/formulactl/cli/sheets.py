"""`import`: a folder of YAML records (an admin's migration), a spreadsheet through a
mapping (with `--dry-run`), or `--template KIND` to start a sheet that imports as it is."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from formulactl.cli.common import (
    EXIT_INPUT,
    IdentityOption,
    StoreOption,
    committed,
    err,
    identities,
    open_store,
    out,
    refusals,
    writing,
)
from formulactl.errors import FormulaError

if TYPE_CHECKING:
    from formulactl.exchange.sheetimport import Plan
    from formulactl.store.store import Store


def register(app: typer.Typer) -> None:
    app.command("import")(import_command)


SHOWN_PROBLEMS = 100  # a sheet wrong in every row is told in its first lines and a count


def import_command(
    context: typer.Context,
    source: Annotated[
        str | None,
        typer.Argument(
            metavar="[DIR|KIND]", help="A folder of record files, or the kind of a sheet's rows."
        ),
    ] = None,
    file: Annotated[
        Path | None,
        typer.Argument(metavar="[FILE]", help="The .xlsx or .csv file (with KIND)."),
    ] = None,
    mapping: Annotated[
        Path | None,
        typer.Option("--map", metavar="MAPPING.yaml", help="Which column fills which field."),
    ] = None,
    sheet: Annotated[
        str | None, typer.Option("--sheet", help="The sheet to read (default: the mapping's).")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Judge every row and write nothing.")
    ] = False,
    reason: Annotated[
        str | None, typer.Option("--reason", help="Why, for the audit trail.")
    ] = None,
    encoding: Annotated[
        str | None, typer.Option("--encoding", help="A CSV's encoding (default: UTF-8, GB18030).")
    ] = None,
    template: Annotated[
        str | None,
        typer.Option("--template", metavar="KIND", help="Write an empty sheet and its mapping."),
    ] = None,
    lang: Annotated[str, typer.Option("--lang", help="Template headers: zh or en.")] = "zh",
    output: Annotated[
        Path | None, typer.Option("--output", metavar="DIR", help="Where the template goes.")
    ] = None,
    identity: IdentityOption = None,
    store: StoreOption = None,
) -> None:
    """Bring records in: a folder as it is (an admin), or a sheet's rows as drafts and events."""
    found = open_store(store)
    if template is not None:
        _template(found, template, lang, output or Path.cwd())
        return
    if source is None:
        raise FormulaError(
            "import needs a folder, or a KIND and a spreadsheet FILE",
            "see `formulactl import --help`",
            rule="usage",
        )
    if file is None and not Path(source).is_dir():
        raise FormulaError(
            f"{source} is not a folder",
            "give a folder of record files, or KIND FILE --map MAPPING.yaml",
            rule="usage",
        )
    if reason is None and not dry_run:
        context.fail("Missing option '--reason'")
    if file is None:
        _folder(found, Path(source), reason)
    else:
        _sheet(found, source, file, mapping, sheet, dry_run, reason, encoding, identity)


def _folder(found: Store, source: Path, reason: str | None) -> None:
    from formulactl.actions.importing import import_records

    with writing(found, "import"), refusals(found):
        paths, commit = import_records(found, source, reason or "")
    committed(commit, f"import {len(paths)} records")
    out(f"Imported {len(paths)} records")


def _template(found: Store, kind: str, lang: str, folder: Path) -> None:
    from formulactl.exchange.mapping import kind_known
    from formulactl.exchange.template import write_template

    kind_known(kind)
    sheet_path, map_path = write_template(found.schema(kind), lang, folder)
    out(f"Wrote {os.path.relpath(sheet_path)} and {os.path.relpath(map_path)}")


def _sheet(
    found: Store,
    kind: str,
    file: Path,
    mapping: Path | None,
    sheet: str | None,
    dry_run: bool,
    reason: str | None,
    encoding: str | None,
    identity: Path | None,
) -> None:
    from formulactl.exchange.mapping import kind_known
    from formulactl.exchange.sheetimport import apply_import, plan_import, row_line

    kind_known(kind)
    if mapping is None:
        raise FormulaError(
            "a sheet import needs --map MAPPING.yaml",
            f"write one with `formulactl import --template {kind}`",
            rule="usage",
        )
    keys = identities(identity) if identity is not None else []
    with writing(found, "import"):
        plan = plan_import(found, kind, file, mapping, sheet, encoding, date.today(), keys)
        _report(plan, dry_run)
        if dry_run:
            for planned in plan.rows:
                out(row_line(planned))
            out(f"{plan.source}: {_counts(plan)} (dry run: nothing was written)")
            return
        with refusals(found):
            commit = apply_import(found, plan, reason or "")
    committed(commit, f"import {len(plan.rows)} {kind} records from {plan.source}")
    out(f"Imported {_counts(plan)}")


def _counts(plan: Plan) -> str:
    return f"{plan.added} new, {plan.updated} updated"


def _report(plan: Plan, dry_run: bool) -> None:
    """Every problem as one line naming its cell, then stop; possible duplicates as notes."""
    for note in plan.notes:
        err(f"note: {note.as_line()}")
    if not plan.problems:
        return
    for problem in plan.problems[:SHOWN_PROBLEMS]:
        err(problem.as_line())
    if len(plan.problems) > SHOWN_PROBLEMS:
        err(f"… and {len(plan.problems) - SHOWN_PROBLEMS} more")
    done = " (dry run)" if dry_run else ""
    err(f"{plan.source}: {len(plan.problems)} problem(s); nothing was written{done}")
    raise typer.Exit(EXIT_INPUT)
