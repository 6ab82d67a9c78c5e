"""Checking commands: validate (records or history), fmt, recover."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from formulactl.cli.common import (
    EXIT_FINDINGS,
    EXIT_INPUT,
    IdentityOption,
    JsonOption,
    StoreOption,
    check_cache,
    committed,
    counted,
    err,
    identities,
    open_store,
    out,
    print_findings,
    shown_path,
    writing,
)
from formulactl.errors import Finding, FormulaError

if TYPE_CHECKING:
    from formulactl.store.store import Store

PathsArgument = Annotated[
    list[str] | None,
    typer.Argument(
        metavar="[PATH]... | [REV_RANGE]",
        help="Files or folders (default: the whole store); with --history, a "
        "revision range such as main..HEAD (default: all of history).",
        show_default=False,
    ),
]


def register(app: typer.Typer) -> None:
    app.command("validate")(validate_command)
    app.command("fmt")(fmt_command)
    app.command("recover")(recover_command)


def validate_command(
    paths: PathsArgument = None,
    history: Annotated[
        bool,
        typer.Option("--history", help="Check commits: signatures, roles, four eyes, approvals."),
    ] = False,
    no_cache: Annotated[
        bool,
        typer.Option("--no-cache", help="Trust no cached result: read and check everything."),
    ] = False,
    decrypt: Annotated[
        bool,
        typer.Option(
            "--decrypt", help="Also check formulas against limits and customer restrictions."
        ),
    ] = False,
    identity: IdentityOption = None,
    as_json: JsonOption = False,
    store: StoreOption = None,
) -> None:
    """Check records against their schemas and rules, or (--history) the commits themselves;
    with --decrypt (a reader's key) formulas are also checked against limits and restrictions."""
    found = open_store(store)
    if no_cache:
        found = found.without_cache()
    if history:
        from formulactl.audit.verify import verify_history

        if paths and len(paths) > 1:
            raise FormulaError(
                "--history takes one revision range", "such as main..HEAD", rule="usage"
            )
        report = verify_history(found, paths[0] if paths else None)
        print_findings(found, report.findings, as_json)
        if not as_json:
            err(
                f"{counted(report.commits, 'commit')} checked ({report.signed} signed), "
                f"{counted(len(report.findings), 'finding')}"
            )
        if report.findings:
            raise typer.Exit(EXIT_FINDINGS)
        return
    from formulactl.actions.locking import leftover
    from formulactl.rules.runs import check_cache as results_cache
    from formulactl.rules.runs import remembered

    unfinished = leftover(found)
    if unfinished:
        err(f"formulactl: warning: {unfinished}")
    runs = results_cache(found, "check-run")
    chosen = [Path(path) for path in paths or []]
    records = remembered(found, chosen, runs)  # a warm run imports no checking code
    if records is None:
        from formulactl.rules.check import validate

        records = validate(found, chosen, check_cache(found), runs)
    findings = list(records.findings)
    if decrypt:
        findings += _formula_findings(found, paths or [], identity)
    print_findings(found, findings, as_json)
    if not as_json:
        err(f"{counted(records.files, 'file')} checked, {counted(len(findings), 'finding')}")
    if records.unreadable:
        raise typer.Exit(EXIT_INPUT)
    if findings:
        raise typer.Exit(EXIT_FINDINGS)


def _formula_findings(store: Store, paths: list[str], identity: Path | None) -> list[Finding]:
    """Limits and restrictions of the formulas under `paths` (all when none), and the lot
    quantities of the batches there against their scaled formula, for a reader."""
    from formulactl.formulation.consumption import store_consumption_findings
    from formulactl.formulation.gate import store_findings

    wanted = [os.path.relpath(Path(path).resolve(), store.root) for path in paths]

    def under(kind: str) -> list[str]:
        return [
            record_id
            for record_id in store.ids(kind)
            if not wanted
            or any(
                store.record_path(record_id).startswith(prefix.rstrip("/")) or prefix == "."
                for prefix in wanted
            )
        ]

    keys = identities(identity)
    findings, unreadable = store_findings(store, keys, under("formula"))
    if unreadable:
        err(f"not a reader of {len(unreadable)} formulas, not checked: {', '.join(unreadable)}")
    used, unread = store_consumption_findings(store, keys, under("batch"))
    if unread:
        err(f"consumption of {len(unread)} batches not checked (not a reader): {', '.join(unread)}")
    return findings + used


def fmt_command(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            metavar="[PATH]...",
            help="Files or folders (default: the whole store).",
            show_default=False,
        ),
    ] = None,
    check: Annotated[
        bool, typer.Option("--check", help="Only list files not in canonical form.")
    ] = False,
    store: StoreOption = None,
) -> None:
    """Rewrite files in canonical form (schema key order, block style, stable quoting)."""
    from formulactl.actions.formatting import save_formatted
    from formulactl.rules.formatting import format_files
    from formulactl.rules.runs import check_cache as results_cache

    found = open_store(store)
    cache = results_cache(found, "fmt")
    # Rewriting holds the write lock from reading the files to the commit, as `set` does.
    with contextlib.nullcontext() if check else writing(found, "fmt"):
        report = format_files(found, paths or [], cache)
        commit = "" if check or report.unreadable else save_formatted(found, report.changed)
    for finding in report.unreadable:
        err(finding.as_line().replace(finding.path, shown_path(found, finding.path), 1))
    for path in report.changed:
        out(f"{'not canonical' if check else 'formatted'}: {shown_path(found, path)}")
    if report.unreadable:
        raise typer.Exit(EXIT_INPUT)
    if check and report.changed:
        raise typer.Exit(EXIT_FINDINGS)
    if commit:
        committed(commit, "fmt")


def recover_command(store: StoreOption = None) -> None:
    """Undo what a stopped (killed) command wrote but did not commit, from its journal."""
    from formulactl.actions.locking import recover

    found = open_store(store)
    done = recover(found, "formulactl recover")
    if not done.command:
        out("Nothing to recover: no command was stopped before it finished.")
    elif done.committed:
        out(f"`{done.command}` had made its commit before it stopped; nothing to put back.")
    else:
        count = len(done.restored)
        files = "1 file" if count == 1 else f"{count} files"
        out(f"Undid what `{done.command}` wrote and did not commit: {files} put back.")
    for path in done.kept:
        err(
            f"{shown_path(found, path)}: changed since `{done.command}` wrote it; left as it "
            "is — compare it with `git diff`"
        )
