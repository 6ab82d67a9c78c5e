"""Time a dry-run spreadsheet import of 10,000 customers against its floor: openpyxl alone
reading the same sheet plus a cold `validate` of 10,000 customer records (target ≤ 2×).

    .venv/bin/python bench/bench_import.py                 # 10,000 rows
    .venv/bin/python bench/bench_import.py --rows 1000     # quick run

Every time is the wall clock of a whole command run as a subprocess, interpreter start-up
included, best of `--repeat`. Results are printed and written to bench/out/import.json.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import openpyxl

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import SEED, customer, formulactl_command, generate

OUT = Path(__file__).resolve().parent / "out" / "import.json"
TARGET = 2.0
WORDS = {"potential": "潜在客户", "existing": "现有客户", "key": "重点客户"}
HEADERS = ["客户名称", "公司全称", "统一社会信用代码", "客户类型", "客户等级", "行业", "地区"]
HEADERS += ["负责人", "联系人", "联系电话", "联系邮箱", "同意日期"]
MAPPING = """\
kind: customer
key: 统一社会信用代码
columns:
  客户名称: name
  公司全称: legal_name
  统一社会信用代码: {field: tax_id, optional: true}
  客户类型: {field: type, values: {潜在客户: potential, 现有客户: existing, 重点客户: key}}
  客户等级: {field: class, values: {A类: A, B类: B, C类: C}}
  行业: industry
  地区: region
  负责人: owner
  联系人: contacts[0].name
  联系电话: contacts[0].phone
  联系邮箱: contacts[0].email
  同意日期: {field: consent.date, dates: ["%Y/%m/%d", "%Y-%m-%d"]}
defaults:
  consent: {purpose: customer service and order handling, recorded_by: li.wei}
"""
# The floor's first half: the xlsx library alone, streaming every value of the sheet.
READ_ONLY = """
import sys, openpyxl
book = openpyxl.load_workbook(sys.argv[1], read_only=True, data_only=False)
print(sum(1 for _ in book.active.iter_rows(values_only=True)))
"""


def run(args: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"{' '.join(args[:4])} … failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return elapsed


def write_sheet(path: Path, rows: int) -> None:
    """The generator's customers as a plant's sheet: words for values, dates as text."""
    rng = random.Random(SEED)
    book = openpyxl.Workbook(write_only=True)
    sheet: Any = book.create_sheet("Sheet1")
    sheet.append(HEADERS)
    for n in range(1, rows + 1):
        record = customer(rng, n)
        contact = record["contacts"][0]
        sheet.append(
            [
                record["name"],
                record["legal_name"],
                record.get("tax_id"),
                WORDS[record["type"]],
                record["class"] + "类",
                record["industry"],
                record["region"],
                record["owner"],
                contact["name"],
                contact["phone"],
                contact["email"],
                record["consent"]["date"].replace("-", "/"),
            ]
        )
    book.save(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-import-"))
    try:
        full, target = work / "full", work / "target"
        generate(full, formulas=0, customers=args.rows, materials=0, suppliers=1)
        generate(target, formulas=0, customers=0, materials=0, suppliers=1)
        sheet, mapping = work / "客户.xlsx", work / "客户.map.yaml"
        write_sheet(sheet, args.rows)
        mapping.write_text(MAPPING, encoding="utf-8")
        tool = formulactl_command()
        best = {
            "openpyxl_read": min(
                run([sys.executable, "-c", READ_ONLY, str(sheet)], work) for _ in range(args.repeat)
            ),
            "validate_cold": min(
                run([tool, "validate", "--no-cache"], full) for _ in range(args.repeat)
            ),
            "import_dry_run": min(
                run(
                    [tool, "import", "customer", str(sheet), "--map", str(mapping), "--dry-run"],
                    target,
                )
                for _ in range(args.repeat)
            ),
        }
        floor = best["openpyxl_read"] + best["validate_cold"]
        ratio = best["import_dry_run"] / floor
        result = {
            "rows": args.rows,
            "seconds": {name: round(value, 3) for name, value in best.items()},
            "floor_seconds": round(floor, 3),
            "import_over_floor": round(ratio, 3),
            "target": TARGET,
            "met": ratio <= TARGET,
        }
        for name, value in best.items():
            print(f"{name:<16} {value:8.2f} s")
        print(f"{'floor':<16} {floor:8.2f} s  (openpyxl read + validate cold)")
        verdict = "met" if ratio <= TARGET else "NOT met"
        print(f"import / floor   {ratio:8.2f} ×  (target ≤ {TARGET:g}×: {verdict})")
        OUT.parent.mkdir(exist_ok=True)
        OUT.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
