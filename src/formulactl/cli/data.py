"""`formulactl export` and `formulactl query`: the records at one commit as files for an
ERP, an auditor or a warehouse, and as tables to ask SQL of."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from formulactl.cli.common import (
    IdentityOption,
    JsonOption,
    StoreOption,
    counted,
    err,
    identities,
    open_store,
    out,
)
from formulactl.cli.tables import AtOption

DecryptOption = Annotated[
    bool,
    typer.Option("--decrypt", help="Open confidential values (a reader's key); else 'sealed'."),
]


def register(app: typer.Typer) -> None:
    app.command("export")(export)
    app.command("query")(query)


def export(
    kind: Annotated[str, typer.Argument(help="The kind of record to export (formula, order…).")],
    form: Annotated[
        str, typer.Option("--format", help="csv, json, xlsx or parquet.", show_default=False)
    ],
    where: Annotated[
        list[str] | None,
        typer.Option(
            "--where",
            metavar="FIELD=VALUE",
            help="Only records where FIELD=VALUE, as for list --where; repeat to narrow.",
            show_default=False,
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            metavar="FILE",
            help="Where to write (json: standard output if not given). Child tables go "
            "beside it as FILE-STEM.FIELD.csv / .parquet.",
            show_default=False,
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace files that exist.")] = False,
    decrypt: DecryptOption = False,
    identity: IdentityOption = None,
    at: AtOption = None,
    store: StoreOption = None,
) -> None:
    """Write one kind's records as a main table plus a child table per list (formula →
    ingredients, order → lines), stamped with the store ID and the commit they came from."""
    from formulactl.exchange.export import check_format, write
    from formulactl.exchange.tables import gather, known_kind
    from formulactl.store.query import parse_condition
    from formulactl.trace.snapshot import resolve_at

    check_format(form)
    if output is None and form != "json":
        raise _usage(f"--format {form} writes files: give --output FILE.{form}")
    found = open_store(store)
    name = known_kind(kind)
    conditions = [parse_condition(text, found.schema(name)) for text in where or []]
    commit = resolve_at(found, at)
    dataset = gather(found, commit, [name], conditions, _keys(decrypt, identity))
    _not_opened(dataset.sealed)
    if output is None:
        _json(dataset.as_dict())
        return
    written = write(dataset, output, form, force)
    by_file: dict[Path, list[str]] = {}
    for path, table, rows in written.files:
        by_file.setdefault(path, []).append(f"{table} {counted(rows, 'row')}")
    for path, tables in by_file.items():
        err(f"wrote {path}: {', '.join(tables)}")
    err(f"store {dataset.store_id} at commit {commit[:10]}")


def query(
    sql: Annotated[str, typer.Argument(metavar="SQL", help="One SELECT statement.")],
    form: Annotated[
        str, typer.Option("--format", help="table, csv or json (or --json).")
    ] = "table",
    decrypt: DecryptOption = False,
    identity: IdentityOption = None,
    at: AtOption = None,
    as_json: JsonOption = False,
    store: StoreOption = None,
) -> None:
    """Ask SQL (DuckDB, read-only) of one table per kind (customers, formulas, orders…) and
    a child table per list (formula_ingredients, order_lines…), as of one commit."""
    from formulactl.exchange.query import ask, locate

    if form not in ("table", "csv", "json"):
        raise _usage(f"--format {form!r} is not one of table, csv, json")
    found = open_store(store)
    commit, tree = locate(found, at)
    answer = ask(found, commit, sql, _keys(decrypt, identity), tree)
    _not_opened(answer.sealed)
    if as_json or form == "json":
        _json(answer.as_dict())
    elif form == "csv":
        _csv(answer.columns, answer.rows)
        err(f"store {answer.store_id} at commit {commit[:10]}")
    else:
        out(f"query, store {answer.store_id} (at {commit[:10]})")
        _table(answer.columns, answer.rows)
        out(counted(len(answer.rows), "row"))


def _table(columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    """Rows aligned as `list` shows records (CJK characters two columns wide)."""
    import sys

    from rich.console import Console
    from rich.table import Table

    table = Table(box=None, header_style="bold", pad_edge=False)
    for column in columns:
        table.add_column(column, no_wrap=True)
    for row in rows:
        table.add_row(*("" if value is None else str(value) for value in row))
    Console(width=None if sys.stdout.isatty() else 1000).print(table)


def _keys(decrypt: bool, identity: Path | None) -> list[Any] | None:
    """This reader's identities when asked to decrypt; None keeps everything sealed."""
    if not decrypt:
        if identity is not None:
            raise _usage("--identity opens values only with --decrypt")
        return None
    return identities(identity)


def _not_opened(sealed: list[str]) -> None:
    if sealed:
        err(f"not a reader of {counted(len(sealed), 'record')}, left sealed: " + ", ".join(sealed))


def _csv(columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    import csv
    import io

    from formulactl.cli.common import out_data

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if value is None else value for value in row])
    out_data(buffer.getvalue())


def _json(data: dict[str, Any]) -> None:
    """Plain data (text, numbers, lists) as UTF-8 JSON, without loading the renderer of
    trail events that `--json` elsewhere needs: a warm query stays quick."""
    import json

    from formulactl.cli.common import out_data

    out_data(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def _usage(message: str) -> Exception:
    from formulactl.cli.tables import usage

    return usage(message)
