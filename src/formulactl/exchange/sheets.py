"""A spreadsheet (xlsx or csv) read as numbered rows of cells, each cell knowing its place.

Everything a user hands in is refused in one line before it can hang or mislead: a link,
a FIFO or a file too big is never opened as a workbook, a CSV is read as UTF-8 and then as
GB18030 (which covers GBK), and an xlsx is streamed row by row, its formula cells and merged
ranges kept visible rather than silently read as values.
"""

from __future__ import annotations

import csv
import io
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from formulactl.errors import FormulaError

MAX_SHEET_BYTES = 64 << 20  # an xlsx this size holds far more than 100,000 rows of customers
MAX_ROWS = 200_000  # past this a sheet is split, not streamed for minutes
CSV_ENCODINGS = ("utf-8-sig", "gb18030")


@dataclass(frozen=True)
class Cell:
    value: Any
    formula: bool = False


@dataclass
class Table:
    """One sheet: where it came from, its rows (row number → column number → cell, streamed
    once) and, for an xlsx, its merged ranges (known once the rows were read)."""

    name: str  # the file's name, as problems show it
    sheet: str  # "" for a CSV
    rows: Iterator[tuple[int, dict[int, Cell]]]
    merged: list[str] = field(default_factory=list)

    def place(self, ref: str) -> str:
        """`客户基本信息表.xlsx:Sheet1!C12`, or `客户.csv:C12` for a CSV."""
        return f"{self.name}:{self.sheet}!{ref}" if self.sheet else f"{self.name}:{ref}"


def column_letter(column: int) -> str:
    """1 → A, 27 → AA: the name a spreadsheet shows for a column."""
    letters = ""
    while column > 0:
        column, rest = divmod(column - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def read_user_file(path: Path, limit: int = MAX_SHEET_BYTES) -> bytes:
    """The bytes of a file the user named: a regular file only (never through a link, never
    a FIFO that would block), and no bigger than `limit`, checked before reading."""
    try:
        handle = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as error:
        why = "it is a symbolic link" if os.path.islink(path) else error.strerror
        raise FormulaError(
            f"cannot be read ({why})", "give the spreadsheet file itself", path.name, rule="usage"
        ) from None
    with os.fdopen(handle, "rb") as source:
        info = os.fstat(source.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise FormulaError(
                "is not a regular file (a FIFO, device or folder)",
                "give the spreadsheet file itself",
                path.name,
                rule="usage",
            )
        if info.st_size > limit:
            raise FormulaError(
                f"is {info.st_size >> 20} MB, over the {limit >> 20} MB a sheet may have",
                "split it into several files",
                path.name,
                rule="too-big",
            )
        return source.read(limit + 1)


def open_table(path: Path, sheet: str | None, encoding: str | None) -> Table:
    """The sheet named (or the first one) of an xlsx, or the rows of a CSV."""
    data = read_user_file(path)
    if not data.strip():
        raise FormulaError("the file is empty", "fill in the sheet", path.name, rule="empty")
    if path.suffix.lower() == ".csv":
        return Table(path.name, "", _csv_rows(_decoded(data, path.name, encoding)))
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return _xlsx_table(data, path.name, sheet)
    raise FormulaError(
        f"{path.suffix or 'a file without extension'} is not a spreadsheet formulactl reads",
        "save it as .xlsx or .csv",
        path.name,
        rule="usage",
    )


def _decoded(data: bytes, name: str, encoding: str | None) -> str:
    """CSV text: the encoding given, else UTF-8, else GB18030 (what Excel in China saves)."""
    for candidate in (encoding,) if encoding else CSV_ENCODINGS:
        try:
            return data.decode(candidate)
        except LookupError:
            raise FormulaError(
                f"--encoding {candidate} is not an encoding Python knows",
                "use utf-8, gb18030 or gbk",
                rule="usage",
            ) from None
        except UnicodeDecodeError as error:
            if encoding:
                raise FormulaError(
                    f"byte {error.start} is not {encoding}",
                    "save the file as UTF-8, or give the right --encoding",
                    name,
                    rule="encoding",
                ) from None
    raise FormulaError(
        "is neither UTF-8 nor GB18030 text",
        "save it as UTF-8 CSV, or give its --encoding",
        name,
        rule="encoding",
    )


def _csv_rows(text: str) -> Iterator[tuple[int, dict[int, Cell]]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    for number, values in enumerate(reader, start=1):
        yield number, {column: Cell(value) for column, value in enumerate(values, start=1)}


def _xlsx_table(data: bytes, name: str, sheet: str | None) -> Table:
    """Stream one worksheet with openpyxl's own parser (as its read-only mode does), which
    also hands over the merged ranges that the read-only worksheet leaves out."""
    import zipfile

    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, OSError):
        raise FormulaError(
            "is not an xlsx workbook", "open it in Excel and save it as .xlsx", name, rule="usage"
        ) from None
    names = book.sheetnames
    chosen = sheet or names[0]
    if chosen not in names:
        raise FormulaError(
            f"has no sheet {chosen}",
            f"its sheets are {', '.join(names)}; give one with --sheet",
            name,
            rule="usage",
        )
    table = Table(name, chosen, iter(()))
    table.rows = _xlsx_rows(book, chosen, table)
    return table


def _xlsx_rows(book: Any, sheet: str, table: Table) -> Iterator[tuple[int, dict[int, Cell]]]:
    from openpyxl.worksheet._reader import WorkSheetParser

    worksheet = book[sheet]
    with worksheet._get_source() as source:
        parser = WorkSheetParser(
            source,
            worksheet._shared_strings,
            data_only=False,
            epoch=book.epoch,
            date_formats=book._date_formats,
            timedelta_formats=book._timedelta_formats,
        )
        for number, cells in parser.parse():
            yield (
                number,
                {
                    cell["column"]: Cell(cell["value"], cell["data_type"] == "f")
                    for cell in cells
                    if cell["value"] is not None
                },
            )
        if parser.merged_cells is not None:
            table.merged = [str(merged.ref) for merged in parser.merged_cells.mergeCell]
    book.close()
