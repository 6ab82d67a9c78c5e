"""`import --template KIND`: an xlsx headed by the kind's fields (required ones marked) and
the mapping that reads it back, in Chinese or English."""

from __future__ import annotations

import os
from pathlib import Path

import openpyxl

from conftest import Invoke
from formulactl.store.store import Store


def _headers(sheet: Path) -> list[str]:
    book = openpyxl.load_workbook(sheet, read_only=True)
    return [str(value) for value in next(book.active.values)]  # type: ignore[union-attr]


def test_a_chinese_template_marks_required_fields_and_imports_once_filled(
    signed_store: Store, invoke: Invoke, tmp_path: Path
) -> None:
    done = invoke("import", "--template", "customer", "--output", tmp_path, cwd=signed_store.root)
    assert done.code == 0, done.err
    sheet, mapping = tmp_path / "customer.xlsx", tmp_path / "customer.map.yaml"
    shown = [os.path.relpath(path, signed_store.root) for path in (sheet, mapping)]
    assert done.out == f"Wrote {shown[0]} and {shown[1]}\n"
    headers = _headers(sheet)
    assert headers[:6] == [
        "客户名称 *",
        "公司全称",
        "统一社会信用代码",
        "客户类型 *",
        "客户等级 *",
        "行业",
    ]
    assert "负责人 *" in headers and "联系电话" in headers and "同意日期" in headers
    assert not any(
        header.startswith(("status", "version", "review_due", "encryption")) for header in headers
    )
    text = mapping.read_text(encoding="utf-8")
    assert text.splitlines()[1:5] == [
        "kind: customer",
        "sheet: Sheet1",
        "header_row: 1",
        "key: 统一社会信用代码",
    ]
    book = openpyxl.load_workbook(sheet)
    row = dict.fromkeys(headers)
    row.update(
        {
            "客户名称 *": "新锐涂装",
            "客户类型 *": "重点客户",
            "客户等级 *": "A类",
            "负责人 *": "li.wei",
        }
    )
    book.active.append(list(row.values()))  # type: ignore[union-attr]
    book.save(sheet)
    done = invoke("import", "customer", sheet, "--map", mapping, "--dry-run", cwd=signed_store.root)
    assert (done.code, done.out.splitlines()) == (
        0,
        [
            "row 2: new C-00003 新锐涂装",
            "customer.xlsx:Sheet1: 1 new, 0 updated (dry run: nothing was written)",
        ],
    ), done.err


def test_an_english_template_and_an_existing_file_is_never_replaced(
    signed_store: Store, invoke: Invoke, tmp_path: Path
) -> None:
    done = invoke(
        "import",
        "--template",
        "interaction",
        "--lang",
        "en",
        "--output",
        tmp_path,
        cwd=signed_store.root,
    )
    assert done.code == 0, done.err
    assert _headers(tmp_path / "interaction.xlsx")[:5] == [
        "Customer *",
        "Date *",
        "Channel *",
        "By *",
        "Contacts present",
    ]
    again = invoke(
        "import", "--template", "interaction", "--output", tmp_path, cwd=signed_store.root
    )
    assert (again.code, again.out) == (2, "")
    assert again.err == (
        f"formulactl: {tmp_path / 'interaction.xlsx'} exists — move it away or choose another "
        "--output\n"
    )
    wrong = invoke(
        "import",
        "--template",
        "customer",
        "--lang",
        "fr",
        "--output",
        tmp_path,
        cwd=signed_store.root,
    )
    assert (wrong.code, wrong.err) == (
        2,
        "formulactl: --lang fr is not zh or en — use --lang zh or --lang en\n",
    )
