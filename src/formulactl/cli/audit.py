"""Audit commands: log, blame, diff, audit verify, audit export."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from formulactl.cli.common import (
    EXIT_FINDINGS,
    IdentityOption,
    JsonOption,
    StoreOption,
    checked_date,
    counted,
    err,
    identities,
    open_store,
    out,
    out_data,
    print_findings,
    print_json,
)
from formulactl.errors import FormulaError

if TYPE_CHECKING:
    from formulactl.audit.diffing import FieldChange

audit_app = typer.Typer(
    help="Verify the whole history and export the trail for inspectors.", no_args_is_help=True
)
IdArgument = Annotated[str, typer.Argument(metavar="ID", help="The record's ID.")]
DecryptOption = Annotated[
    bool, typer.Option("--decrypt", help="Show confidential values (needs a reader's key).")
]
MarkdownOption = Annotated[bool, typer.Option("--markdown", help="Print Markdown.")]


def register(app: typer.Typer) -> None:
    app.command("log")(log)
    app.command("blame")(blame)
    app.command("diff")(diff)
    app.add_typer(audit_app, name="audit")


def log(
    record_id: Annotated[
        str,
        typer.Argument(metavar="ID[@VERSION]", help="The record's ID; ID@3 for version 3 only."),
    ],
    as_json: JsonOption = False,
    store: StoreOption = None,
) -> None:
    """Every change to one record, newest first, with who signed it and what it meant."""
    from formulactl.audit.trail import record_log
    from formulactl.model.settings import split_ref

    base, wanted = split_ref(record_id)
    events = record_log(open_store(store), base, wanted)
    if as_json:
        print_json(events)
        return
    for event in events:
        version = f" v{event.version}" if event.version else ""
        reason = f" — {event.reason}" if event.reason else ""
        out(f"{event.commit[:10]}  {event.signature.line()}")
        out(f"            {event.action}{version} → {event.status or 'deleted'}{reason}")


def blame(
    record_id: IdArgument,
    field: Annotated[
        str | None, typer.Argument(metavar="[FIELD]", help="One field, like ingredients.")
    ] = None,
    decrypt: DecryptOption = False,
    identity: IdentityOption = None,
    as_json: JsonOption = False,
    store: StoreOption = None,
) -> None:
    """For each field: who last changed it, when, in which version, under which approval."""
    from formulactl.audit.trail import field_blame

    keys = identities(identity) if decrypt else []
    rows = field_blame(open_store(store), record_id, field, keys)
    if as_json:
        print_json(rows)
        return
    for row in rows:
        change, approval = row.changed, row.approval
        approved = (
            f"approved by {approval.signature.person} {approval.signature.when[:10]} "
            f"({approval.commit[:10]})"
            if approval
            else "not approved since"
        )
        out(
            f"{row.field:<48} {change.signature.person:<12} {change.signature.when[:10]} "
            f"v{change.version or '-'} {change.commit[:10]}  {approved}"
        )


def diff(
    record_id: IdArgument,
    first: Annotated[
        str | None,
        typer.Argument(
            metavar="[A]", help="A version (3) or a commit; default: the previous version."
        ),
    ] = None,
    second: Annotated[
        str | None,
        typer.Argument(metavar="[B]", help="A version or a commit; default: the latest."),
    ] = None,
    decrypt: DecryptOption = False,
    identity: IdentityOption = None,
    markdown: MarkdownOption = False,
    as_json: JsonOption = False,
    store: StoreOption = None,
) -> None:
    """What changed in a record between two versions or commits, line by line by key."""
    from formulactl.audit.diffing import cell_text
    from formulactl.audit.trail import version_diff

    keys = identities(identity) if decrypt else []
    found = version_diff(open_store(store), record_id, first, second, keys)
    title, changes = found.title, found.changes
    if as_json:
        print_json(
            {
                "record": record_id,
                "from": found.old.commit,
                "to": found.new.commit,
                "changes": changes,
            }
        )
    elif markdown:
        out(f"### {title}\n\n| field | change | before | after |\n| --- | --- | --- | --- |")
        for change in changes:
            out(
                f"| `{change.field}` | {change.change} | {cell_text(change.before)} | "
                f"{cell_text(change.after)} |"
            )
    else:
        _print_diff(title, changes)


@audit_app.command("verify")
def audit_verify(
    strict: Annotated[
        bool,
        typer.Option(
            "--strict", help="Trust no cache on disk: verify every commit and record afresh."
        ),
    ] = False,
    as_json: JsonOption = False,
    markdown: MarkdownOption = False,
    store: StoreOption = None,
) -> None:
    """Check the whole history and the store against it; record HEAD as verified when clean."""
    from formulactl.actions.signing import current_signer
    from formulactl.audit.inspect import audit

    found = open_store(store)
    if strict:
        found = found.without_cache()
    report = audit(found, can_sign=lambda: current_signer(found) is not None)
    if as_json:
        print_json(
            {
                "summary": report.summary,
                "anchored": report.anchored,
                "findings": report.findings,
            }
        )
    elif markdown:
        out("| check | count |\n| --- | ---: |")
        for name, count in report.summary.items():
            out(f"| {name.strip()} | {count} |")
        if report.findings:
            out("\n| commit | file | rule | finding |\n| --- | --- | --- | --- |")
            for finding in report.findings:
                out(
                    f"| {finding.commit[:10]} | {finding.path} | {finding.rule} | "
                    f"{finding.message} — {finding.hint} |"
                )
    else:
        for name, count in report.summary.items():
            out(f"{name:<24}{count:>8}")
        print_findings(found, report.findings, False)
        if report.anchored:
            err(
                f"HEAD {report.anchored_head[:10]} is recorded as verified in "
                "refs/formulactl/verified; share it with `git push origin "
                "refs/formulactl/verified`"
            )
    if report.findings:
        raise typer.Exit(EXIT_FINDINGS)


@audit_app.command("export")
def audit_export(
    output_format: Annotated[str, typer.Option("--format", help="csv or json")],
    since: Annotated[
        str | None,
        typer.Option(
            "--since",
            metavar="DATE",
            help="Only changes from this date (YYYY-MM-DD).",
            show_default=False,
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", metavar="FILE", help="Write to this file.", show_default=False),
    ] = None,
    decrypt: DecryptOption = False,
    identity: IdentityOption = None,
    store: StoreOption = None,
) -> None:
    """The full trail, one row per change to a record, for inspectors who do not use git."""
    import csv
    import io

    from formulactl.audit.export import Row, export_rows
    from formulactl.cli.render import to_json

    if output_format not in ("csv", "json"):
        raise FormulaError(
            f"`{output_format}` is not an export format", "use csv or json", rule="usage"
        )
    found = open_store(store)
    keys = identities(identity) if decrypt else []
    rows = list(export_rows(found, checked_date(since, "--since"), keys))
    text = io.StringIO(newline="")
    if output_format == "json":
        text.write(json.dumps(to_json(rows), ensure_ascii=False, indent=2) + "\n")
    else:
        writer = csv.writer(text)
        writer.writerow(Row.COLUMNS)
        writer.writerows([getattr(row, name) for name in Row.COLUMNS] for row in rows)
    if output is None:
        out_data(text.getvalue())
        return
    try:
        output.write_text(text.getvalue(), encoding="utf-8", newline="")
    except OSError as error:
        raise FormulaError(
            f"cannot be written ({error.strerror})", "check the path", str(output), rule="usage"
        ) from None
    err(f"wrote {counted(len(rows), 'row')} to {output}")


def _print_diff(title: str, changes: list[FieldChange]) -> None:
    from formulactl.audit.diffing import cell_text

    out(title)
    if not changes:
        out("  no changes")
    marks = {"added": "+", "removed": "-", "changed": "~"}
    for change in changes:
        if change.change == "changed":
            out(f"  ~ {change.field}: {cell_text(change.before)} → {cell_text(change.after)}")
        else:
            value = change.after if change.change == "added" else change.before
            out(f"  {marks[change.change]} {change.field}: {cell_text(value)}")
