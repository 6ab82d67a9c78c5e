"""Checking commands: validate, fmt."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..cache import BlobCache
from ..check import check_context, validate
from ..formatting import format_files
from .common import (
    EXIT_FINDINGS,
    EXIT_INPUT,
    JsonOption,
    StoreOption,
    check_cache,
    err,
    open_store,
    out,
    print_findings,
    shown_path,
)

PathsArgument = Annotated[
    list[Path] | None,
    typer.Argument(
        metavar="[PATH]...", help="Files or folders (default: the whole store).", show_default=False
    ),
]


def register(app: typer.Typer) -> None:
    app.command("validate")(validate_command)
    app.command("fmt")(fmt_command)


def validate_command(
    paths: PathsArgument = None, as_json: JsonOption = False, store: StoreOption = None
) -> None:
    """Check records against their schemas and the store's rules; report every finding."""
    found = open_store(store)
    runs = BlobCache(found.cache_dir / "check-run.marshal", check_context(found))
    report = validate(found, paths or [], check_cache(found), runs)
    print_findings(found, report.findings, as_json)
    if not as_json:
        err(f"{report.files} files checked, {len(report.findings)} findings")
    if report.unreadable:
        raise typer.Exit(EXIT_INPUT)
    if report.findings:
        raise typer.Exit(EXIT_FINDINGS)


def fmt_command(
    paths: PathsArgument = None,
    check: Annotated[
        bool, typer.Option("--check", help="Only list files not in canonical form.")
    ] = False,
    store: StoreOption = None,
) -> None:
    """Rewrite records in canonical form (schema key order, block style, stable quoting)."""
    found = open_store(store)
    cache = BlobCache(found.cache_dir / "fmt.marshal", check_context(found))
    report = format_files(found, paths or [], check, cache)
    for finding in report.unreadable:
        err(finding.as_line().replace(finding.path, shown_path(found, finding.path), 1))
    for path in report.changed:
        out(f"{'not canonical' if check else 'formatted'}: {shown_path(found, path)}")
    if report.unreadable:
        raise typer.Exit(EXIT_INPUT)
    if check and report.changed:
        raise typer.Exit(EXIT_FINDINGS)
