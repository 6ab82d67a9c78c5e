"""Write the sample 客户基本信息表 the README imports, as plants keep it today.

`客户基本信息表.xlsx` has what real sheets have: a merged title row above the headers, a
customer already in the sample store under another spelling (no tax ID), a tax ID with a
wrong check character, dates as text in two styles and one as an Excel serial number, and
phone numbers typed as numbers. `客户基本信息表-修正.xlsx` is the same sheet once the
sales assistant fixed it. Run: `.venv/bin/python demo/make_sample_sheets.py`.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.styles import Alignment, Font

HERE = Path(__file__).resolve().parent
HEADERS = [
    "客户名称",
    "公司全称",
    "统一社会信用代码",
    "客户类型",
    "客户等级",
    "行业",
    "地区",
    "负责人",
    "联系人",
    "联系电话",
    "同意日期",
]
ROWS: list[list[Any]] = [
    [
        "新锐涂装",
        "江门新锐涂装材料有限公司",
        "91440703MA4UQ8K2T2",
        "潜在客户",
        "B类",
        "工业涂料",
        "广东省江门市",
        "li.wei",
        "黄志强",
        13825671234,
        date(2026, 11, 2),
    ],
    [
        "嘉禾涂料科技",
        "广东嘉禾涂料科技有限公司",
        None,
        "重要客户",
        "A类",
        "建筑涂料",
        "广东省佛山市",
        "li.wei",
        "陈国栋",
        13823456781,
        "2025年3月10日",
    ],
    [
        "宁波海曙包装",
        "宁波海曙包装材料有限公司",
        "91330282MA2H5RX3LA",
        "现有客户",
        "B类",
        "包装印刷",
        "浙江省宁波市",
        "wang.fang",
        "周丽",
        "0574-8765 4321",
        "2026/9/18",
    ],
    [
        "昆山晶彩",
        "昆山晶彩电子涂料有限公司",
        "91320583MA1W7PQ6BF",
        "潜在客户",
        "C类",
        "电子材料",
        "江苏省昆山市",
        "wang.fang",
        "吴浩",
        13962458810,
        "2026.10.8",
    ],
    [
        "厦门柏润",
        "厦门柏润日化有限公司",
        "91350206MA8T2KD4N0",
        "潜在客户",
        "B类",
        "日化",
        "福建省厦门市",
        "li.wei",
        "郑雅琴",
        15980123456,
        46311,
    ],
]


def write(path: Path, rows: list[list[Any]]) -> None:
    book = openpyxl.Workbook()
    sheet: Any = book.active
    sheet.title = "Sheet1"
    sheet.append(["客户基本信息表（销售部，2026 年 11 月）"])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADERS))
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A1"].alignment = Alignment(horizontal="center")
    sheet.append(HEADERS)
    for row in rows:
        sheet.append(row)
    for cell in sheet["K"][2:]:
        if isinstance(cell.value, date):
            cell.number_format = "yyyy-mm-dd"
    book.save(path)


def fixed() -> list[list[Any]]:
    """The sheet after review: the duplicate row gone (嘉禾 is C-00001), the tax ID and the
    date retyped, and Li Wei's customers given to Zhang Min (he has left the team, and an
    owner must be a team member)."""
    rows = [list(row) for row in ROWS if row[0] != "嘉禾涂料科技"]
    rows[1][2] = "91330282MA2H5RX3LK"
    rows[2][10] = "2026/10/8"
    for row in rows:
        row[7] = "zhang.min" if row[7] == "li.wei" else row[7]
    return rows


if __name__ == "__main__":
    write(HERE / "客户基本信息表.xlsx", ROWS)
    write(HERE / "客户基本信息表-修正.xlsx", fixed())
