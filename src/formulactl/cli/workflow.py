"""Workflow commands: submit, approve, reject, revise, archive, reaffirm, feedback, due, import."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from formulactl.cli.common import (
    IdentityOption,
    JsonOption,
    StoreOption,
    check_cache,
    committed,
    open_store,
    out,
    print_json,
    refusals,
    writing,
)

IdArgument = Annotated[str, typer.Argument(metavar="ID", help="The record's ID.")]
ReasonOption = Annotated[str, typer.Option("--reason", help="Why, for the audit trail.")]


def register(app: typer.Typer) -> None:
    app.command("submit")(submit)
    app.command("approve")(approve)
    app.command("reject")(reject)
    app.command("revise")(revise)
    app.command("archive")(archive)
    app.command("reaffirm")(reaffirm)
    app.command("feedback")(feedback)
    app.command("due")(due)


def _step(
    record_id: str, name: str, reason: str, store: Path | None, identity: Path | None = None
) -> None:
    from formulactl.actions.steps import take_step

    found = open_store(store)
    gate = None
    if name == "approve":
        from formulactl.cli.compliance import approval_gate

        gate = approval_gate(found, identity)
    with writing(found, f"{name} {record_id}"), refusals(found):
        done = take_step(found, record_id, name, reason, date.today(), check_cache(found), gate)
    status = done.record.data.get("status")
    committed(done.commit, f"{name} {record_id}")
    out(f"{record_id} is {status} (version {done.record.data.get('version')})")


def submit(record_id: IdArgument, store: StoreOption = None) -> None:
    """Send a draft for review (draft → in_review)."""
    _step(record_id, "submit", "", store)


def approve(
    record_id: IdArgument, identity: IdentityOption = None, store: StoreOption = None
) -> None:
    """Approve a record in review; binds the approval to its exact content (four eyes). A
    formula is checked first, with your key, against its limits and customer restrictions."""
    _step(record_id, "approve", "", store, identity)


def reject(record_id: IdArgument, reason: ReasonOption, store: StoreOption = None) -> None:
    """Send a record in review back to draft, saying why."""
    _step(record_id, "reject", reason, store)


def revise(record_id: IdArgument, reason: ReasonOption, store: StoreOption = None) -> None:
    """Start the next version of an approved record (approved → draft, version + 1)."""
    _step(record_id, "revise", reason, store)


def archive(record_id: IdArgument, reason: ReasonOption, store: StoreOption = None) -> None:
    """Withdraw a record from use; it stays in the store as it was."""
    _step(record_id, "archive", reason, store)


def reaffirm(record_id: IdArgument, store: StoreOption = None) -> None:
    """Confirm an approved record at its periodic review; moves its review_due."""
    _step(record_id, "reaffirm", "", store)


def feedback(
    record_id: IdArgument,
    status: Annotated[
        str, typer.Argument(help="investigating, resolved or closed; or extend (a due date)")
    ],
    resolution: Annotated[str, typer.Option("--resolution", help="What was done.")] = "",
    no_capa_reason: Annotated[
        str, typer.Option("--no-capa-reason", help="Why this complaint needs no CAPA.")
    ] = "",
    to: Annotated[str, typer.Option("--to", help="extend: the new due date.")] = "",
    capa: Annotated[
        int | None, typer.Option("--capa", help="extend: CAPA action N (from 1), not the answer.")
    ] = None,
    reason: Annotated[str, typer.Option("--reason", help="extend: why the date moves.")] = "",
    store: StoreOption = None,
) -> None:
    """Move feedback along open → investigating → resolved → closed, or move its response
    date (or a CAPA action's due date) later with `extend --to DATE --reason …`. A complaint
    or claim closes only with an effectiveness result or --no-capa-reason."""
    from formulactl.actions.steps import progress_feedback

    found = open_store(store)
    if status not in ("investigating", "resolved", "closed", "extend"):
        raise typer.BadParameter("use investigating, resolved or closed", param_hint="STATUS")
    given = {"--to": to, "--capa": capa, "--reason": reason}
    if status != "extend" and any(value not in ("", None) for value in given.values()):
        wrong = next(name for name, value in given.items() if value not in ("", None))
        raise typer.BadParameter(f"{wrong} goes with extend", param_hint="STATUS")
    if status == "extend":
        from formulactl.actions.extending import extend_due

        with writing(found, f"feedback {record_id} extend"), refusals(found):
            done = extend_due(found, record_id, to, reason, capa, check_cache(found))
        committed(done.commit, f"extend {record_id}")
        out(f"{record_id} {'CAPA ' + str(capa) + ' ' if capa else ''}is due {to}")
        return
    with writing(found, f"feedback {record_id}"), refusals(found):
        done = progress_feedback(
            found, record_id, status, resolution, date.today(), check_cache(found), no_capa_reason
        )
    committed(done.commit, f"feedback {record_id} {status}")
    out(f"{record_id} is {status}")


def due(
    overdue: Annotated[bool, typer.Option("--overdue", help="Only what is past its date.")] = False,
    as_json: JsonOption = False,
    store: StoreOption = None,
) -> None:
    """What needs review, approval or an answer, when, and by whom; customers not contacted
    within their class's interval and follow-ups whose date passed, by owner; owners who
    left the team, with who can take their customers over; contacts whose consent's
    `retain_until` passes within 30 days; training that expires within 30 days or that
    someone acting in a role lacks; the next backup drill."""
    from formulactl.archive.cadence import archive_due
    from formulactl.audit.reports import due_items
    from formulactl.exchange.backup import backup_due
    from formulactl.model.kinds import TEAM_FILE
    from formulactl.reports.training import training_items
    from formulactl.store.query import records_cache

    found = open_store(store)
    cache = records_cache(found)
    today = date.today()
    team = found.load_checked(TEAM_FILE, "team")
    everything = [
        *due_items(found, today, cache),
        *archive_due(found, today, cache),
        *training_items(team, found.settings.raw, today),
        *backup_due(found, today),
    ]
    everything.sort(key=lambda item: (item.due or "9999", item.record))
    items = [item for item in everything if item.overdue or not overdue]
    if as_json:
        print_json(items)
        return
    for item in items:
        flag = "OVERDUE " if item.overdue else ""
        out(
            f"{item.due or 'waiting':<10}  {flag}{item.task:<8} {item.record:<16} "
            f"by {', '.join(item.who) or 'nobody (no one holds the role)'}"
            + (f" — {item.note}" if item.note else "")
        )
