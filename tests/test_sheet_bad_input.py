"""Bad spreadsheets and mappings: each is converted where the mapping says how, or refused
in one line naming the file, sheet, row and column; exit 2 and nothing written."""

from __future__ import annotations

import os
from pathlib import Path

import openpyxl
import pytest

from conftest import Invoke, git, head, load
from formulactl.store.store import Store
from sheets_fixture import HEADERS, MAPPING, ROWS, TAX_A, write_mapping, write_xlsx


def _refused(store: Store, invoke: Invoke, sheet: Path, mapping: Path, *extra: str) -> list[str]:
    """Run a real (not dry-run) import that must fail: exit 2, no commit, no file."""
    before = head(store)
    done = invoke(
        "import", "customer", sheet, "--map", mapping, "--reason", "客户表", *extra, cwd=store.root
    )
    assert (done.code, done.out) == (2, ""), done.err
    assert head(store) == before
    assert git(store.root, "status", "--porcelain") == ""
    return done.err.splitlines()


def test_a_missing_column_is_named_with_the_columns_the_sheet_has(
    signed_store: Store, invoke: Invoke, tmp_path: Path
) -> None:
    sheet = write_xlsx(tmp_path / "客户.xlsx", [row[:4] for row in ROWS], HEADERS[:4])
    assert _refused(signed_store, invoke, sheet, write_mapping(tmp_path / "m.yaml")) == [
        "formulactl: 客户.xlsx:Sheet1!1:1: no column 负责人 in the header row — the sheet's "
        "columns are 客户名称、统一社会信用代码、客户类型、客户等级; fix the header or the mapping"
    ]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            "  联系电话: contacts[0].phon\n",
            "m.yaml:13:9: customer has no field `contacts[0].phon` — write a field path as for "
            "`set`, e.g. contacts[0].phone",
        ),
        (
            "  状态: status\n",
            "m.yaml:13:7: `status` changes only through the workflow commands — leave it out",
        ),
    ],
    ids=["unknown field", "workflow field"],
)
def test_a_mapping_line_naming_a_field_no_import_fills_is_refused(
    signed_store: Store, invoke: Invoke, tmp_path: Path, line: str, message: str
) -> None:
    sheet = write_xlsx(tmp_path / "客户.xlsx", ROWS)
    mapping = write_mapping(tmp_path / "m.yaml", MAPPING + line)
    assert _refused(signed_store, invoke, sheet, mapping) == [f"formulactl: {message}"]


def test_a_formula_cell_is_named_not_read_as_its_last_value(
    signed_store: Store, invoke: Invoke, tmp_path: Path
) -> None:
    sheet = write_xlsx(tmp_path / "客户.xlsx", [ROWS[0], [*ROWS[1][:4], '=LOWER("LI.WEI")']])
    assert _refused(signed_store, invoke, sheet, write_mapping(tmp_path / "m.yaml")) == [
        '客户.xlsx:Sheet1!E3: a formula (=LOWER("LI.WEI")), not a value — copy the column and '
        "paste it back as values",
        "客户.xlsx:Sheet1: 1 problem(s); nothing was written",
    ]


def test_merged_cells_under_the_header_are_refused_and_a_merged_title_is_skipped(
    signed_store: Store, invoke: Invoke, tmp_path: Path
) -> None:
    sheet = write_xlsx(tmp_path / "客户.xlsx", ROWS, merged="E2:E3")
    assert _refused(signed_store, invoke, sheet, write_mapping(tmp_path / "m.yaml")) == [
        "客户.xlsx:Sheet1!3:3: missing required field `owner` — add a column for it, or set it "
        "under defaults",
        "客户.xlsx:Sheet1!E2:E3: merged cells: only the first holds the value — unmerge them "
        "and fill in every cell",
        "客户.xlsx:Sheet1: 2 problem(s); nothing was written",
    ]
    titled = write_xlsx(tmp_path / "标题.xlsx", [HEADERS, *ROWS], ["客户基本信息表"], "A1:E1")
    mapping = write_mapping(tmp_path / "h.yaml", MAPPING + "header_row: 2\n")
    done = invoke(
        "import", "customer", titled, "--map", mapping, "--dry-run", cwd=signed_store.root
    )
    assert (done.code, done.out.splitlines()[-1]) == (
        0,
        "标题.xlsx:Sheet1: 2 new, 0 updated (dry run: nothing was written)",
    )


DATED = (
    MAPPING
    + "  同意日期: consent.date\ndefaults:\n  consent: {purpose: 合同, recorded_by: li.wei}\n"
)


def test_excel_serial_dates_are_converted_only_where_the_mapping_says_so(
    signed_store: Store, invoke: Invoke, tmp_path: Path
) -> None:
    sheet = write_xlsx(tmp_path / "客户.xlsx", [[*ROWS[0], 46311]], [*HEADERS, "同意日期"])
    assert _refused(signed_store, invoke, sheet, write_mapping(tmp_path / "m.yaml", DATED)) == [
        "客户.xlsx:Sheet1!F2: 46311 is a number, not a date (an Excel serial date?) — format "
        "the cells as dates, or add `excel` to dates of 同意日期",
        "客户.xlsx:Sheet1: 1 problem(s); nothing was written",
    ]
    converting = DATED.replace(
        "  同意日期: consent.date\n",
        '  同意日期: {field: consent.date, dates: ["%Y-%m-%d", excel]}\n',
    )
    mapping = write_mapping(tmp_path / "e.yaml", converting)
    done = invoke(
        "import", "customer", sheet, "--map", mapping, "--reason", "x", cwd=signed_store.root
    )
    assert done.code == 0, done.err
    assert load(signed_store, "records/customers/C-00003.yaml")["consent"]["date"] == "2026-10-16"


def test_a_gbk_csv_is_read_and_a_wrong_encoding_is_one_line(
    signed_store: Store, invoke: Invoke, tmp_path: Path
) -> None:
    text = "\n".join(",".join(map(str, row)) for row in [HEADERS, *ROWS]) + "\n"
    sheet = tmp_path / "客户.csv"
    sheet.write_bytes(text.encode("gbk"))
    mapping = write_mapping(tmp_path / "m.yaml")
    done = invoke("import", "customer", sheet, "--map", mapping, "--dry-run", cwd=signed_store.root)
    assert (done.code, done.out.splitlines()) == (
        0,
        [
            "row 2: new C-00003 新锐涂装",
            "row 3: new C-00004 昆山晶彩",
            "客户.csv: 2 new, 0 updated (dry run: nothing was written)",
        ],
    )
    assert _refused(signed_store, invoke, sheet, mapping, "--encoding", "utf-8") == [
        "formulactl: 客户.csv: byte 0 is not utf-8 — save the file as UTF-8, or give the "
        "right --encoding"
    ]


def test_an_empty_sheet_and_a_sheet_of_headers_only_are_refused(
    signed_store: Store, invoke: Invoke, tmp_path: Path
) -> None:
    mapping = write_mapping(tmp_path / "m.yaml")
    empty = write_xlsx(tmp_path / "空.xlsx", [], [])
    assert _refused(signed_store, invoke, empty, mapping) == [
        "formulactl: 空.xlsx:Sheet1!1:1: the sheet is empty (no header row 1) — fill in the "
        "sheet, or set header_row in the mapping"
    ]
    headers_only = write_xlsx(tmp_path / "表头.xlsx", [])
    assert _refused(signed_store, invoke, headers_only, mapping) == [
        "formulactl: 表头.xlsx:Sheet1!2:2: the sheet has a header row but no data rows — fill "
        "in rows under the headers"
    ]


def test_a_sheet_of_100000_rows_is_streamed_and_its_problems_counted(
    signed_store: Store, invoke: Invoke, tmp_path: Path
) -> None:
    sheet = tmp_path / "大表.csv"
    with sheet.open("w", encoding="utf-8") as out:
        out.write(",".join(HEADERS) + "\n")
        for number in range(100_000):
            out.write(f"客户{number},{TAX_A},大客户,B类,li.wei\n")
    lines = _refused(signed_store, invoke, sheet, write_mapping(tmp_path / "m.yaml"))
    assert len(lines) == 102
    assert lines[0] == (
        "大表.csv:C2: 大客户 is not one of potential, existing, key — add `大客户: …` under "
        "values for column 客户类型 in the mapping"
    )
    assert lines[-2:] == ["… and 99900 more", "大表.csv: 100000 problem(s); nothing was written"]


def test_links_fifos_huge_files_and_non_workbooks_are_never_opened_as_sheets(
    signed_store: Store, invoke: Invoke, tmp_path: Path
) -> None:
    mapping = write_mapping(tmp_path / "m.yaml")
    real = write_xlsx(tmp_path / "客户.xlsx", ROWS)
    (tmp_path / "link.xlsx").symlink_to(real)
    assert _refused(signed_store, invoke, tmp_path / "link.xlsx", mapping) == [
        "formulactl: link.xlsx: cannot be read (it is a symbolic link) — give the spreadsheet "
        "file itself"
    ]
    os.mkfifo(tmp_path / "pipe.xlsx")
    assert _refused(signed_store, invoke, tmp_path / "pipe.xlsx", mapping) == [
        "formulactl: pipe.xlsx: is not a regular file (a FIFO, device or folder) — give the "
        "spreadsheet file itself"
    ]
    huge = tmp_path / "huge.xlsx"
    with huge.open("wb") as out:
        out.truncate(65 << 20)  # sparse: takes no room on disk
    assert _refused(signed_store, invoke, huge, mapping) == [
        "formulactl: huge.xlsx: is 65 MB, over the 64 MB a sheet may have — split it into "
        "several files"
    ]
    fake = tmp_path / "fake.xlsx"
    fake.write_text("客户名称,负责人\n", encoding="utf-8")
    assert _refused(signed_store, invoke, fake, mapping) == [
        "formulactl: fake.xlsx: is not an xlsx workbook — open it in Excel and save it as .xlsx"
    ]
    assert _refused(signed_store, invoke, real, mapping, "--sheet", "Sheet9") == [
        "formulactl: 客户.xlsx: has no sheet Sheet9 — its sheets are Sheet1; give one with --sheet"
    ]


def test_openpyxl_reads_back_what_the_fixture_wrote(tmp_path: Path) -> None:
    sheet = write_xlsx(tmp_path / "客户.xlsx", ROWS)
    values = list(openpyxl.load_workbook(sheet, read_only=True).active.values)  # type: ignore[union-attr]
    assert values[1] == tuple(ROWS[0])
