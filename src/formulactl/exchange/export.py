"""Writing a kind's tables to files: csv, json, xlsx or parquet, each stamped with the store
ID and the commit the records were read at.

Where the stamp goes, so that every reader finds it without special options:
- csv: two last columns, `source_store` and `source_commit`, on every row. A comment line
  would be a stray first row in a spreadsheet and needs `comment=` in pandas; columns are
  read cleanly by both, and stay with each row when files are concatenated or filtered.
- xlsx: a sheet `about` (store, commit, kind, when, whether values were opened).
- parquet: key/value metadata `store_id`, `commit`, `kind` in each file's footer.
- json: top-level keys `store_id`, `commit`, `kinds`, `tables`.
Child tables: csv and parquet write one file per table beside the main one
(`formulas.csv`, `formulas.ingredients.csv`); xlsx one sheet per table; json one key per
table. Every file is written to a temporary name and renamed, and an existing file is
replaced only when asked (`--force`), so nothing is overwritten by mistake.
"""

from __future__ import annotations

import csv
import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from formulactl.errors import FormulaError
from formulactl.exchange.tables import Dataset, DataTable

FORMATS = ("csv", "json", "xlsx", "parquet")
SOURCE_COLUMNS = ("source_store", "source_commit")


@dataclass
class Written:
    """What an export wrote: each file with its table and number of rows."""

    dataset: Dataset
    files: list[tuple[Path, str, int]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "store_id": self.dataset.store_id,
            "commit": self.dataset.commit,
            "decrypted": self.dataset.decrypted,
            "sealed": self.dataset.sealed,
            "files": [
                {"path": str(path), "table": table, "rows": rows}
                for path, table, rows in self.files
            ],
        }


def check_format(form: str) -> None:
    if form not in FORMATS:
        raise FormulaError(
            f"--format {form!r} is not one of {', '.join(FORMATS)}", "see --help", rule="usage"
        )


def targets(dataset: Dataset, output: Path, form: str) -> list[tuple[Path, DataTable | None]]:
    """The files an export writes: one for json and xlsx, one per table for csv and parquet
    (the first table at `output`, each child table as OUTPUT-STEM.FIELD.SUFFIX)."""
    if form in ("json", "xlsx"):
        return [(output, None)]
    main = dataset.parts[0].name if dataset.parts else ""
    found: list[tuple[Path, DataTable | None]] = []
    for part in dataset.parts:
        if part.name == main:
            found.append((output, part))
        else:
            child = part.name.split("_", 1)[1]
            found.append((output.with_name(f"{_stem(output)}.{child}{output.suffix}"), part))
    return found


def _stem(path: Path) -> str:
    return path.name[: -len(path.suffix)] if path.suffix else path.name


def write(dataset: Dataset, output: Path, form: str, force: bool) -> Written:
    """Write the dataset; refused whole (nothing written) when a target exists."""
    check_format(form)
    planned = targets(dataset, output, form)
    if not output.parent.is_dir():
        raise FormulaError(
            "the folder to write into does not exist", "create it first", str(output.parent)
        )
    existing = [str(path) for path, _ in planned if os.path.lexists(path)]
    if existing and not force:
        raise FormulaError(
            f"{', '.join(existing)} already exist{'s' if len(existing) == 1 else ''}",
            "choose another --output, or add --force to replace",
            rule="usage",
        )
    written = Written(dataset)
    if form == "json":
        _replace(output, lambda path: _json(dataset, path))
        written.files = [(output, part.name, len(part.rows)) for part in dataset.parts]
    elif form == "xlsx":
        _replace(output, lambda path: _xlsx(dataset, path))
        written.files = [(output, part.name, len(part.rows)) for part in dataset.parts]
    else:
        writer = _csv if form == "csv" else _parquet
        for path, part in planned:
            if part is not None:
                _replace(path, partial(writer, dataset, part))
                written.files.append((path, part.name, len(part.rows)))
    return written


def _replace(target: Path, fill: Callable[[Path], None]) -> None:
    """Write through a temporary file beside `target`, then rename it into place."""
    handle, name = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    os.close(handle)
    temporary = Path(name)
    try:
        temporary.unlink()  # the writers (DuckDB too) create the file themselves
        fill(temporary)
        os.replace(temporary, target)
    except OSError as error:
        raise FormulaError(
            f"cannot be written ({error.strerror})", "check the folder", str(target)
        ) from None
    finally:
        temporary.unlink(missing_ok=True)


def _cell(value: Any) -> Any:
    """A value for a spreadsheet cell or csv field: a list joined by "; "."""
    if isinstance(value, tuple):
        return "; ".join(value)
    if isinstance(value, bool):
        return str(value).lower()
    return value


def _csv(dataset: Dataset, part: DataTable, path: Path) -> None:
    stamp = (dataset.store_id, dataset.commit)
    # utf-8-sig: Excel opens Chinese text right only with the byte-order mark; pandas and
    # Python's csv module (encoding="utf-8-sig") read it cleanly.
    with path.open("w", encoding="utf-8-sig", newline="") as stream:
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow([*part.columns, *SOURCE_COLUMNS])
        for row in part.rows:
            writer.writerow([*("" if v is None else _cell(v) for v in row), *stamp])


def _json(dataset: Dataset, path: Path) -> None:
    with path.open("w", encoding="utf-8") as stream:
        json.dump(dataset.as_dict(), stream, ensure_ascii=False, indent=2)
        stream.write("\n")


def about(dataset: Dataset) -> list[tuple[str, str]]:
    """The stamp as name/value pairs, for the xlsx `about` sheet and parquet metadata."""
    return [
        ("store_id", dataset.store_id),
        ("commit", dataset.commit),
        ("kind", ", ".join(dataset.kinds)),
        ("decrypted", "yes" if dataset.decrypted else "no (confidential values show as sealed)"),
    ]


def _xlsx(dataset: Dataset, path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    for part in dataset.parts:
        sheet = book.create_sheet(part.name[:31])  # Excel's limit on a sheet name
        sheet.append(list(part.columns))
        for row in part.rows:
            sheet.append([_cell(value) for value in row])
    sheet = book.create_sheet("about")
    sheet.append(["name", "value"])
    for pair in about(dataset):
        sheet.append(list(pair))
    book.save(path)


def _parquet(dataset: Dataset, part: DataTable, path: Path) -> None:
    import duckdb

    from formulactl.exchange.query import SAFE, literal, load, quoted

    connection = duckdb.connect(":memory:", config=SAFE)
    try:
        load(connection, [part])
        metadata = ", ".join(f"{name}: {literal(value)}" for name, value in about(dataset))
        connection.execute(
            f"COPY {quoted(part.name)} TO {literal(str(path))} "
            f"(FORMAT parquet, KV_METADATA {{{metadata}}})"
        )
    finally:
        connection.close()
