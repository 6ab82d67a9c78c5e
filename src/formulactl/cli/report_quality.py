"""`report` commands: complaints, satisfaction, staff KPIs and suppliers."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated

import typer

from formulactl.cli.common import JsonOption, StoreOption, checked_date, open_store
from formulactl.cli.tables import (
    AtOption,
    FormatOption,
    check_format,
    render_remembered,
    render_tables,
)

if TYPE_CHECKING:
    from formulactl.reports.quality_common import Basis, Report
    from formulactl.trace.session import Session


def register(group: typer.Typer) -> None:
    """Add this family's commands to the `report` group."""
    group.command("complaints")(complaints)
    group.command("satisfaction")(satisfaction)
    group.command("kpi")(kpi)
    group.command("suppliers")(suppliers)


def _basis(session: Session, *kinds: str, today: date | None = None) -> Basis:
    """The ground of one report: customers and `kinds` at `--at`, from the facts cache."""
    from formulactl.reports.facts import facts_snapshot
    from formulactl.reports.quality_common import basis_at

    store = session.store
    snapshot = facts_snapshot(store, session.commit, ("customer", *kinds))
    return basis_at(store.root, store.settings.store_id, snapshot, today or date.today())


def _show(found: Report, as_json: bool, form: str) -> None:
    """Render one report: its JSON or its tables, each made only when it is shown."""
    data = found.as_dict() if as_json else {}
    tables = [] if as_json else found.tables()
    render_tables(found.title(), found.basis.commit, data, tables, as_json, form)


def complaints(
    at: AtOption = None,
    as_json: JsonOption = False,
    form: FormatOption = "text",
    store: StoreOption = None,
) -> None:
    """Complaints and claims: first response and resolution times against `targets`,
    overdue answers, CAPA actions open or overdue, effectiveness checks due, and
    recurrences by formula, batch and customer."""
    from formulactl.reports.complaints import complaints_report
    from formulactl.trace.session import Session

    check_format(form)
    with Session(open_store(store), at) as session:
        _show(complaints_report(_basis(session, "feedback")), as_json, form)


def satisfaction(
    period: Annotated[str, typer.Option("--period", help="month or quarter.")] = "quarter",
    at: AtOption = None,
    as_json: JsonOption = False,
    form: FormatOption = "text",
    store: StoreOption = None,
) -> None:
    """CSAT (overall 4 or 5 of 5) and NPS per period, customer class and owner, the trend
    from period to period, against `targets.satisfaction_percent`."""
    from formulactl.reports.satisfaction import satisfaction_report
    from formulactl.trace.session import Session

    check_format(form)
    with Session(open_store(store), at) as session:
        _show(satisfaction_report(_basis(session, "survey"), period), as_json, form)


def kpi(
    person: Annotated[
        str | None, typer.Option("--person", help="Only this team member.", show_default=False)
    ] = None,
    since: Annotated[
        str | None,
        typer.Option("--since", help="Count from this day (YYYY-MM-DD).", show_default=False),
    ] = None,
    at: AtOption = None,
    as_json: JsonOption = False,
    form: FormatOption = "text",
    store: StoreOption = None,
) -> None:
    """Per person, from signed history: records entered, first-pass approval rate, reject
    rate, days from submit to approve; interactions per month, overdue reviews, complaints
    and follow-ups."""
    from formulactl.trace.session import Session

    check_format(form)
    checked_date(since, "--since")
    with Session(open_store(store), at) as session:
        today = date.today()

        def compute() -> tuple[Report, bool]:
            from formulactl.reports.kpi import history_commits, kpi_report

            kinds = ("interaction", "feedback", "formula", "material", "supplier", "limit")
            basis = _basis(session, *kinds, today=today)
            history = session.history
            commits = history_commits(history, basis.commit)
            return kpi_report(basis, commits, history.signer, person, since), True

        # Signed history up to the commit and the records at it, judged today: remembered
        # by the commit and the day (history is no folder's tree).
        found = session.store
        title = f"staff KPIs, store {found.settings.store_id}"
        parts = (session.commit, today.isoformat(), person, since)
        render_remembered(found, "kpi", parts, title, session.commit, as_json, form, compute)


def suppliers(
    at: AtOption = None,
    as_json: JsonOption = False,
    form: FormatOption = "text",
    store: StoreOption = None,
) -> None:
    """Each supplier's latest evaluation and trend, the materials that list it and the
    formulas that use them; a disqualified supplier still listed by an approved material
    is a finding."""
    from formulactl.reports.suppliers import suppliers_report
    from formulactl.trace.session import Session

    check_format(form)
    with Session(open_store(store), at) as session:
        _show(suppliers_report(_basis(session, "material", "formula", "supplier")), as_json, form)
