"""Small spreadsheets and mappings for the import tests, written with openpyxl itself."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl

HEADERS = ["客户名称", "统一社会信用代码", "客户类型", "客户等级", "负责人"]
MAPPING = """\
kind: customer
key: 统一社会信用代码
columns:
  客户名称: name
  统一社会信用代码: tax_id
  客户类型:
    field: type
    values: {潜在客户: potential, 现有客户: existing, 重要客户: key}
  客户等级:
    field: class
    values: {A类: A, B类: B, C类: C}
  负责人: owner
"""
# Two valid unified social credit codes (check characters computed by the store's rule).
TAX_A = "91440703MA4UQ8K2T2"
TAX_B = "91320583MA1W7PQ6BF"
ROWS: list[list[Any]] = [
    ["新锐涂装", TAX_A, "潜在客户", "B类", "li.wei"],
    ["昆山晶彩", TAX_B, "重要客户", "A类", "wang.fang"],
]


def write_xlsx(
    path: Path, rows: list[list[Any]], headers: list[str] | None = None, merged: str = ""
) -> Path:
    book = openpyxl.Workbook()
    sheet: Any = book.active
    sheet.title = "Sheet1"
    sheet.append(HEADERS if headers is None else headers)
    for row in rows:
        sheet.append(row)
    if merged:
        sheet.merge_cells(merged)
    book.save(path)
    return path


def write_mapping(path: Path, text: str = MAPPING) -> Path:
    path.write_text(text, encoding="utf-8")
    return path
