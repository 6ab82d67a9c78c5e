"""A small valid store written record by record, for tests that break one thing at a time."""

from __future__ import annotations

from pathlib import Path

from formulactl.store.store import Store

RECORDS: dict[str, str] = {
    "suppliers/S-0001.yaml": """\
id: S-0001
name: 龙蟒佰利联集团
qualification: approved
status: approved
version: 1
review_due: "2027-06-30"
""",
    "customers/C-00001.yaml": """\
id: C-00001
name: 华彩涂料
legal_name: 上海华彩涂料有限公司
tax_id: 91310115MA1H7GXQ3E
type: key
class: A
owner: li.wei
status: approved
version: 1
review_due: "2027-03-31"
""",
    "customers/C-00002.yaml": """\
id: C-00002
name: Nordic Adhesives AB
tax_id: SE556677889901
type: existing
class: B
owner: wang.fang
status: draft
version: 1
""",
    "materials/M-00001.yaml": """\
id: M-00001
name: 去离子水
name_en: Deionised water
cas: 7732-18-5
status: approved
version: 1
review_due: "2028-01-31"
""",
    "materials/M-00002.yaml": """\
id: M-00002
name: 钛白粉
name_en: Titanium dioxide
cas: 13463-67-7
suppliers:
  - S-0001
status: approved
version: 1
review_due: "2028-01-31"
""",
    "formulas/F-000001.yaml": """\
id: F-000001
customer: C-00001
product: 水性木器白漆
version: 2
status: approved
basis: mass
ingredients:
  - material: M-00001
    percent: 62.5
    function: 溶剂 solvent
    phase: A
  - material: M-00002
    percent: 37.5
    function: 颜料 pigment
    phase: A
review_due: "2027-05-31"
""",
    "orders/O-20261101-3c2a.yaml": """\
id: O-20261101-3c2a
customer: C-00001
date: "2026-11-01"
currency: CNY
lines:
  - line: 1
    formula: F-000001
    product: 水性木器白漆
    quantity: 500
    unit: kg
""",
    "batches/B-20261105-001.yaml": """\
id: B-20261105-001
formula: F-000001@2
customer: C-00001
order: O-20261101-3c2a
date: "2026-11-05"
size:
  quantity: 500
  unit: kg
lots:
  - material: M-00001
    lot: W-2611
    quantity: 312.5
    unit: kg
  - material: M-00002
    lot: TI-88
    quantity: 187.5
    unit: kg
disposition: released
""",
    "feedback/FB-20261110-9b1e.yaml": """\
id: FB-20261110-9b1e
customer: C-00001
date: "2026-11-10"
type: complaint
severity: medium
batch: B-20261105-001
description: 漆膜轻微发黄
response_due: "2026-11-17"
status: investigating
""",
}


def write_records(store: Store) -> Store:
    for name, text in RECORDS.items():
        path = store.root / "records" / name
        path.write_text(text, encoding="utf-8")
    return store


def replace_in(store: Store, name: str, old: str, new: str) -> Path:
    path = store.root / "records" / name
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path
