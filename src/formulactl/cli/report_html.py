"""`report` commands: the self-contained HTML report for managers."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from formulactl.cli.common import IdentityOption, JsonOption, StoreOption, open_store, out
from formulactl.cli.tables import FORMATS, AtOption, check_format, readers, render_tables, usage


def register(group: typer.Typer) -> None:
    """Add this family's commands to the `report` group."""
    group.command("html")(html)


def html(
    output: Annotated[
        Path, typer.Option("--output", "-o", metavar="FILE", help="Where to write the page.")
    ] = Path("report.html"),
    at: AtOption = None,
    trace: Annotated[
        str | None,
        typer.Option("--trace", metavar="B-…", help="Draw this batch's trace.", show_default=False),
    ] = None,
    decrypt: Annotated[
        bool, typer.Option("--decrypt", help="Show sealed values (a reader's key needed).")
    ] = False,
    identity: IdentityOption = None,
    as_json: JsonOption = False,
    form: Annotated[
        str, typer.Option("--format", help="html (the page), or text, markdown, csv.")
    ] = "html",
    store: StoreOption = None,
) -> None:
    """One self-contained HTML page (no network, opens from a USB stick): the archive,
    customers, reviews due, complaints, satisfaction, churn, staff KPIs and a trace, at one
    commit. What is due, overdue or churning is judged on today, or on the day --at names."""
    from datetime import date

    from formulactl.reports.html import build_report, render_page, summary
    from formulactl.store.schema import is_date
    from formulactl.trace.session import Session

    if form != "html":
        check_format(form)
    if identity is not None and not decrypt:
        raise usage("--identity is used only with --decrypt")
    found = open_store(store)
    keys = readers(identity) if decrypt else []
    if decrypt and not keys:
        raise usage("--decrypt needs a reader's key: give --identity FILE")
    today = date.fromisoformat(at) if at and len(at) == 10 and is_date(at) else date.today()
    with Session(found, at, keys) as session:
        report = build_report(session, today, trace)
    if as_json or form in FORMATS:
        title = f"report html {report.store_id}"
        render_tables(title, report.commit, report.as_dict(), report.tables(), as_json, form)
        return
    page = render_page(report)
    try:
        output.write_text(page, encoding="utf-8")
    except OSError as error:
        from formulactl.errors import FormulaError

        raise FormulaError(
            f"cannot write the report ({error.strerror})",
            "pick another --output",
            str(output),
            rule="usage",
        ) from None
    out(summary(report, str(output)))
