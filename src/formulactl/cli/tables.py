"""Answers as titled tables, printed one way for every report: text, markdown, csv or JSON,
each headed by the store and the commit the answer was computed at."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from formulactl.cli.common import identities, json_text, out, stdout_ascii
from formulactl.errors import FormulaError

if TYPE_CHECKING:
    from collections.abc import Callable

    from formulactl.store.store import Store
    from formulactl.trace.tables import Table

AtOption = Annotated[
    str | None,
    typer.Option(
        "--at", help="Answer as of this commit, tag or date (YYYY-MM-DD).", show_default=False
    ),
]
FormatOption = Annotated[str, typer.Option("--format", help="text, markdown or csv (or --json).")]
FORMATS = ("text", "markdown", "csv")


def usage(message: str) -> FormulaError:
    return FormulaError(message, "see --help", rule="usage")


def check_format(form: str) -> None:
    if form not in FORMATS:
        raise usage(f"--format {form!r} is not one of {', '.join(FORMATS)}")


def readers(identity: Path | None) -> list[Any]:
    """The reader's identities, or none: without a key, sealed values print as "sealed"."""
    try:
        return identities(identity)
    except FormulaError:
        if identity is not None:
            raise
        return []


def render_tables(
    title: str, commit: str, data: dict[str, Any], tables: Sequence[Table], as_json: bool, form: str
) -> None:
    head = heading(title, commit, as_json, form)
    if head is not None:
        out(head)
    text = body(data, tables, as_json, form)
    if text is not None:
        out(text)


def heading(title: str, commit: str, as_json: bool, form: str) -> str | None:
    """The lines naming the store and the commit above the tables (none for JSON and csv)."""
    if as_json or form == "csv":
        return None
    if form == "markdown":
        return f"## {title}\n\nAt commit `{commit}`.\n"
    return f"{title} (at {commit[:10]})"


def body(data: dict[str, Any], tables: Sequence[Table], as_json: bool, form: str) -> str | None:
    """The JSON or the tables as they are printed under the heading (None: nothing)."""
    if as_json:
        return json_text(data)
    if form == "csv":
        return _csv(tables).rstrip("\n")
    if not tables:
        return None
    return "\n".join(_markdown(t) if form == "markdown" else _text(t) for t in tables)


COMMIT = "\0commit\0"  # stands for the commit in a remembered JSON answer


def render_remembered(
    store: Store,
    report: str,
    parts: tuple[Any, ...] | None,
    title: str,
    commit: str,
    as_json: bool,
    form: str,
    compute: Callable[[], tuple[Any, bool]],
) -> Any:
    """Print a report as `render_tables` does, from its remembered answer when the same
    `parts` (tree IDs or commit, day, options) made one before; else `compute()` (the
    result, and whether it may be kept: not when sealed values were opened) and keep the
    printed text. The commit is the one part not keyed: it is printed fresh. With no
    `parts` nothing is looked up or kept. Returns the computed result (None if remembered)."""
    from formulactl.reports.answers import Answers, answer_key

    answers = None
    if parts is not None:
        key = answer_key(store, (report, *parts, as_json, form, stdout_ascii()))
        answers = Answers(store, report, key)
    text = answers.get() if answers else None
    found = None
    if text is None:
        found, keep = compute()
        data = found.as_dict() if as_json else {}
        if "commit" in data:
            data = {**data, "commit": COMMIT}  # the key keeps its place
        text = body(data, [] if as_json else found.tables(), as_json, form)
        if keep and answers and text is not None:
            answers.put(text)
    head = heading(title, commit, as_json, form)
    if head is not None:
        out(head)
    if text is not None:
        out(text.replace(json.dumps(COMMIT), json.dumps(commit)) if as_json else text)
    return found


def _cell(value: Any) -> str:
    return "" if value is None else str(value)


def _text(found: Table) -> str:
    if not found.rows:
        return f"\n{found.title}: none"
    rows = [found.columns, *[tuple(_cell(v) for v in row) for row in found.rows]]
    known: dict[str, int] = {}  # each distinct cell measured once (names repeat by the thousand)
    sized = [[(cell, known.get(cell) or _width(cell, known)) for cell in row] for row in rows]
    widths = [max(row[i][1] for row in sized) for i in range(len(found.columns))]
    lines = [f"\n{found.title}:"]
    for row in sized:
        cells = [
            cell + " " * (width - size) for (cell, size), width in zip(row, widths, strict=True)
        ]
        lines.append("  " + "  ".join(cells).rstrip())
    return "\n".join(lines)


def _width(text: str, known: dict[str, int]) -> int:
    """Display width: CJK characters take two columns (plain ASCII is its length)."""
    if text.isascii():
        return len(text)
    import unicodedata

    width = sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)
    known[text] = width
    return width


def _markdown(found: Table) -> str:
    lines = [f"### {found.title}", ""]
    if not found.rows:
        return "\n".join([*lines, "None.", ""])
    lines.append("| " + " | ".join(found.columns) + " |")
    lines.append("|" + "---|" * len(found.columns))
    for row in found.rows:
        lines.append("| " + " | ".join(_cell(v).replace("|", "\\|") for v in row) + " |")
    return "\n".join([*lines, ""])


def _csv(tables: Sequence[Table]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for found in tables:
        writer.writerow(["table", *found.columns])
        for row in found.rows:
            writer.writerow([found.title, *(_cell(v) for v in row)])
    return buffer.getvalue()
