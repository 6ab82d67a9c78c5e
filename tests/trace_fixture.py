"""A hand-built store for traceability: two lots of one material in one batch, an
intermediate batch, lot TI-99 shared by three batches delivered to two customers, and a
complaint naming two batches. Imported on top of the small signed store."""

from __future__ import annotations

from pathlib import Path

RECORDS: dict[str, str] = {
    "customers/C-00003.yaml": """\
id: C-00003
name: 青禾日化
type: existing
class: B
owner: li.wei
contacts:
  - name: 周琳
    title: 采购经理
    phone: +86 571 8888 1234
consent:
  purpose: 订单与召回联络
  date: "2026-01-05"
  recorded_by: li.wei
status: approved
version: 1
review_due: "2027-06-30"
""",
    "formulas/F-000002.yaml": """\
id: F-000002
customer: C-00001
product: 钛白浆预分散体
version: 1
status: approved
basis: mass
ingredients:
  - material: M-00001
    percent: 40
  - material: M-00002
    percent: 60
specifications:
  - property: 外观
    text: 白色均匀浆料
  - property: 粘度
    unit: mPa·s
    min: 800
    max: 1200
    warn_min: 850
    warn_max: 1150
    required: true
  - property: 细度
    unit: µm
    max: 20
    required: true
review_due: "2027-11-30"
""",
    "batches/B-20261201-001.yaml": """\
id: B-20261201-001
formula: F-000002@1
date: "2026-12-01"
size:
  quantity: 200
  unit: kg
lots:
  - material: M-00001
    lot: W-2612
    quantity: 80
    unit: kg
  - material: M-00002
    supplier: S-0001
    supplier_lot: LB-7781
    lot: TI-99
    quantity: 120
    unit: kg
qc:
  - property: 粘度
    result: 1000
  - property: 细度
    result: 15
disposition: released
operator: zhang.min
""",
    "batches/B-20261202-001.yaml": """\
id: B-20261202-001
formula: F-000001@2
customer: C-00001
order: O-20261203-a1a1
date: "2026-12-02"
size:
  quantity: 500
  unit: kg
lots:
  - material: M-00001
    lot: W-2612
    quantity: 300
    unit: kg
  - material: M-00002
    supplier: S-0001
    supplier_lot: LB-7781
    lot: TI-99
    quantity: 60
    unit: kg
  - material: M-00002
    supplier: S-0001
    supplier_lot: LB-7702
    lot: TI-88
    quantity: 40
    unit: kg
  - batch: B-20261201-001
    lot: B-20261201-001
    quantity: 100
    unit: kg
disposition: released
operator: zhang.min
""",
    "batches/B-20261202-002.yaml": """\
id: B-20261202-002
formula: F-000001@2
customer: C-00003
date: "2026-12-02"
size:
  quantity: 300
  unit: kg
lots:
  - material: M-00001
    lot: W-2612
    quantity: 187.5
    unit: kg
  - material: M-00002
    supplier: S-0001
    supplier_lot: LB-7781
    lot: TI-99
    quantity: 112.5
    unit: kg
disposition: released
operator: zhang.min
""",
    "batches/B-20261206-001.yaml": """\
id: B-20261206-001
formula: F-000002@1
date: "2026-12-06"
size:
  quantity: 200
  unit: kg
lots:
  - material: M-00002
    lot: TI-90
    quantity: 120
    unit: kg
qc:
  - property: 粘度
    result: 1170
  - property: 细度
    result: 15
disposition: quarantine
operator: wang.fang
""",
    "batches/B-20261206-002.yaml": """\
id: B-20261206-002
formula: F-000002@1
date: "2026-12-06"
size:
  quantity: 200
  unit: kg
lots:
  - material: M-00002
    lot: TI-90
    quantity: 120
    unit: kg
qc:
  - property: 粘度
    result: 1300
  - property: 细度
    result: 15
disposition: quarantine
operator: zhang.min
""",
    "batches/B-20261206-003.yaml": """\
id: B-20261206-003
formula: F-000002@1
date: "2026-12-06"
size:
  quantity: 200
  unit: kg
lots:
  - material: M-00002
    lot: TI-90
    quantity: 120
    unit: kg
qc:
  - property: 粘度
    result: 1000
disposition: quarantine
operator: zhang.min
""",
    "orders/O-20261203-a1a1.yaml": """\
id: O-20261203-a1a1
customer: C-00001
date: "2026-12-03"
currency: CNY
lines:
  - line: 1
    formula: F-000001
    product: 水性木器白漆
    quantity: 500
    unit: kg
delivery:
  status: delivered
  delivered_on: "2026-12-04"
deliveries:
  - date: "2026-12-04"
    batch: B-20261202-001
    quantity: 500
    unit: kg
""",
    "orders/O-20261203-b2b2.yaml": """\
id: O-20261203-b2b2
customer: C-00003
date: "2026-12-03"
currency: CNY
lines:
  - line: 1
    formula: F-000001
    product: 水性木器白漆
    quantity: 600
    unit: kg
delivery:
  due: "2026-12-20"
  status: partial
deliveries:
  - date: "2026-12-05"
    batch: B-20261202-002
    quantity: 250
    unit: kg
""",
    "feedback/FB-20261207-c3c3.yaml": """\
id: FB-20261207-c3c3
customer: C-00001
date: "2026-12-07"
type: complaint
severity: high
batches:
  - B-20261202-001
  - B-20261105-001
description: 两批漆膜均发黄
response_due: "2026-12-10"
status: open
""",
}


def write_trace_records(folder: Path) -> None:
    for name, text in RECORDS.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
