"""Generate a large, valid formulactl store for benchmarks, deterministically.

    python bench/generate.py /tmp/bench-store            # 10,000 formulas, 2,000 customers, ...
    python bench/generate.py /tmp/small --formulas 500 --customers 100 --materials 300

The store is created with `formulactl init`, records are written in canonical form with
formulactl's own writer, and everything is committed in the store's git repository.
Every record passes `formulactl validate` with zero findings.
"""

from __future__ import annotations

import argparse
import random
import shutil
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from formulactl.store import yamlio
from formulactl.store.store import Store

SETTINGS = "formulactl.yaml"
SEED = 20240601
TODAY = date(2025, 1, 1)
GIT_IDENTITY = ["-c", "user.name=bench", "-c", "user.email=bench@example.com"]

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

PEOPLE = ["li.wei", "wang.fang", "zhang.min", "chen.jie", "liu.yang", "zhao.lei", "sun.li"]
SURNAMES = ["王", "李", "张", "刘", "陈", "杨", "黄", "赵", "周", "吴"]
CITIES = ["上海", "苏州", "杭州", "宁波", "广州", "深圳", "天津", "成都", "武汉", "青岛"]
INDUSTRIES = ["coatings", "inks", "adhesives", "cosmetics", "plastics", "textiles", "cleaning"]
REGIONS = ["East China", "South China", "North China", "Southwest", "Central China", "Export"]
SOURCES = [
    "exhibition",
    "referral",
    "website",
    "cold_call",
    "tender",
    "distributor",
    "existing_relationship",
    "other",
]
MATERIAL_NAMES = [
    ("钛白粉", "titanium dioxide"),
    ("碳酸钙", "calcium carbonate"),
    ("丙烯酸乳液", "acrylic emulsion"),
    ("去离子水", "deionised water"),
    ("分散剂", "dispersant"),
    ("消泡剂", "defoamer"),
    ("增稠剂", "thickener"),
    ("成膜助剂", "coalescent"),
    ("防腐剂", "preservative"),
    ("丙二醇", "propylene glycol"),
    ("滑石粉", "talc"),
    ("高岭土", "kaolin"),
    ("氧化铁红", "iron oxide red"),
    ("炭黑", "carbon black"),
    ("环氧树脂", "epoxy resin"),
    ("固化剂", "hardener"),
]
FUNCTIONS = [
    "binder",
    "solvent",
    "pigment",
    "filler",
    "dispersant",
    "defoamer",
    "thickener",
    "coalescent",
    "preservative",
    "additive",
]
PHASES = ["A", "B", "C", "C1"]
OPERATIONS = [
    ("charge water and dispersant", "dissolver"),
    ("disperse pigments", "dissolver"),
    ("grind to fineness", "bead mill"),
    ("let down with binder", "mixing tank"),
    ("add additives", "mixing tank"),
    ("adjust viscosity", "mixing tank"),
    ("filter", "bag filter"),
    ("fill", "filling line"),
]
HAZARDS = [
    "H225",
    "H302",
    "H315",
    "H317",
    "H319",
    "H332",
    "H335",
    "H351",
    "H411",
    "H412",
    "EUH208",
    "EUH066",
]
CERTIFICATIONS = ["ISO 9001", "ISO 14001", "ISO 45001", "IATF 16949", "REACH", "RoHS"]
COUNTRIES = ["CN", "CN", "CN", "DE", "US", "JP", "KR", "BE"]
STATUSES = ["approved"] * 8 + ["draft", "in_review"]


def customer_id(n: int) -> str:
    return f"C-{n:05d}"


def formula_id(n: int) -> str:
    return f"F-{n:06d}"


def material_id(n: int) -> str:
    return f"M-{n:05d}"


def supplier_id(n: int) -> str:
    return f"S-{n:04d}"


def day(rng: random.Random, start: date, days: int) -> str:
    """A date in [start, start + days) as YYYY-MM-DD."""
    return (start + timedelta(days=rng.randrange(days))).isoformat()


def master_fields(rng: random.Random) -> dict[str, Any]:
    """status, version and review_due (always present when approved)."""
    status = rng.choice(STATUSES)
    fields: dict[str, Any] = {"status": status, "version": rng.randint(1, 4)}
    if status == "approved" or rng.random() < 0.3:
        fields["review_due"] = day(rng, TODAY, 730)
    return fields


def cas_number(n: int) -> str:
    """A well-formed, unique CAS number with a correct check digit."""
    body = f"{1000 + n * 7}{n % 100:02d}"
    check = sum(int(d) * weight for weight, d in enumerate(reversed(body), start=1)) % 10
    return f"{body[:-2]}-{body[-2:]}-{check}"


def uscc(n: int) -> str:
    """A unique unified social credit code with a correct check character."""
    body = f"91{310000 + n % 90000:06d}{n:09d}"
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(body, USCC_WEIGHTS, strict=True))
    return body + USCC_ALPHABET[(31 - total % 31) % 31]


def phone(rng: random.Random) -> str:
    return f"+86 1{rng.randint(30, 99)} {rng.randint(1000, 9999)} {rng.randint(1000, 9999)}"


def supplier(rng: random.Random, n: int) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": supplier_id(n),
        "name": f"{rng.choice(CITIES)}化工{n}号有限公司",
        "country": rng.choice(COUNTRIES),
        "address": f"{rng.choice(CITIES)}市工业园区{rng.randint(1, 300)}号",
        "contact": {
            "name": rng.choice(SURNAMES) + "经理",
            "phone": phone(rng),
            "email": f"sales{n}@supplier{n}.example.com",
        },
        "qualification": rng.choice(["approved", "approved", "conditional", "pending"]),
        "last_evaluation": day(rng, TODAY - timedelta(days=365), 365),
        "score": round(rng.uniform(60, 100), 1),
        "certifications": rng.sample(CERTIFICATIONS, rng.randint(1, 3)),
    }
    record.update(master_fields(rng))
    return record


def material(rng: random.Random, n: int, suppliers: int) -> dict[str, Any]:
    name, name_en = rng.choice(MATERIAL_NAMES)
    record: dict[str, Any] = {
        "id": material_id(n),
        "name": f"{name} {n}",
        "name_en": f"{name_en} {n}",
        "cas": cas_number(n),
        "grade": rng.choice(["industrial", "technical", "cosmetic", "food"]),
        "suppliers": [
            supplier_id(s)
            for s in rng.sample(range(1, suppliers + 1), min(suppliers, rng.randint(1, 3)))
        ],
        "restricted": rng.random() < 0.05,
        "hazards": rng.sample(HAZARDS, rng.randint(0, 3)),
        "unit_cost": {"amount": round(rng.uniform(2, 300), 2), "currency": "CNY", "per": "kg"},
    }
    if record["restricted"]:
        record["restriction_notes"] = "not for toys or food-contact coatings"
    if not record["hazards"]:
        del record["hazards"]
    record.update(master_fields(rng))
    return record


def customer(rng: random.Random, n: int) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": customer_id(n),
        "name": f"{rng.choice(CITIES)}客户{n}",
        "legal_name": f"{rng.choice(CITIES)}市客户{n}新材料有限公司",
        "type": rng.choice(["potential", "existing", "key"]),
        "class": rng.choice(["A", "B", "C"]),
        "industry": rng.choice(INDUSTRIES),
        "scale": rng.choice(["micro", "small", "medium", "large"]),
        "region": rng.choice(REGIONS),
        "address": f"{rng.choice(CITIES)}市经济开发区{rng.randint(1, 999)}号",
        "source": rng.choice(SOURCES),
        "owner": rng.choice(PEOPLE),
        "contacts": [
            {
                "name": f"{surname}{rng.choice(['先生', '女士'])}{index}",
                "title": rng.choice(["purchasing", "R&D", "quality", "general manager"]),
                "phone": phone(rng),
                "email": f"contact{index}.c{n}@customer.example.com",
                "preferred_channel": rng.choice(["phone", "email", "wechat", "visit"]),
                "primary": index == 0,
            }
            for index, surname in enumerate(rng.sample(SURNAMES, rng.randint(1, 3)))
        ],
        "needs": ["low VOC", "stable supply"][: rng.randint(1, 2)],
        "consent": {
            "purpose": "customer service and order handling",
            "date": day(rng, TODAY - timedelta(days=900), 900),
            "recorded_by": rng.choice(PEOPLE),
        },
    }
    if rng.random() < 0.5:
        record["tax_id"] = uscc(n)
    record.update(master_fields(rng))
    return record


def percents(rng: random.Random, count: int) -> list[float]:
    """`count` positive percentages with two decimals summing to exactly 100.00."""
    weights = [rng.randint(1, 100) for _ in range(count)]
    hundredths = [max(1, 10000 * w // sum(weights)) for w in weights]
    largest = hundredths.index(max(hundredths))
    hundredths[largest] += 10000 - sum(hundredths)
    return [h / 100 for h in hundredths]


def formula(rng: random.Random, n: int, customers: int, materials: int) -> dict[str, Any]:
    count = min(materials, rng.randint(5, 20))
    chosen = rng.sample(range(1, materials + 1), count)
    steps = rng.sample(OPERATIONS, rng.randint(3, 6))
    viscosity = rng.randint(80, 120)
    record: dict[str, Any] = {
        "id": formula_id(n),
        "customer": customer_id(rng.randint(1, customers)),
        "product": f"{rng.choice(['Interior', 'Exterior', 'Primer', 'Topcoat', 'Ink'])} {n}",
        "product_code": f"P{n:06d}",
        "category": rng.choice(["architectural", "industrial", "wood", "ink", "adhesive"]),
        "basis": rng.choice(["mass", "mass", "volume"]),
        "ingredients": [
            {
                "material": material_id(m),
                "percent": p,
                "function": rng.choice(FUNCTIONS),
                "phase": rng.choice(PHASES),
            }
            for m, p in zip(chosen, percents(rng, count), strict=True)
        ],
        "process": [
            {
                "step": index,
                "operation": operation,
                "equipment": equipment,
                "parameters": {
                    "temperature_c": rng.randint(20, 60),
                    "speed_rpm": rng.randrange(300, 3000, 50),
                    "time_min": rng.randint(5, 60),
                },
            }
            for index, (operation, equipment) in enumerate(steps, start=1)
        ],
        "specifications": [
            {
                "property": "viscosity",
                "method": "GB/T 9269",
                "unit": "KU",
                "target": viscosity,
                "min": viscosity - 5,
                "max": viscosity + 5,
            },
            {"property": "pH", "method": "GB/T 8325", "min": 7.5, "max": 9.0},
            {
                "property": "solids",
                "unit": "%",
                "target": round(rng.uniform(40, 60), 1),
                "tolerance": 1.0,
            },
            {"property": "appearance", "text": "smooth, free of lumps"},
        ][: rng.randint(2, 4)],
        "tags": rng.sample(
            ["water-based", "low-voc", "export", "pilot", "seasonal"], rng.randint(0, 2)
        ),
    }
    if not record["tags"]:
        del record["tags"]
    if rng.random() < 0.1:
        record["notes"] = "Adjusted after customer trial.\nKeep below 35 °C during let-down.\n"
    record.update(master_fields(rng))
    return record


def write_kind(store: Store, kind: str, folder: str, records: list[dict[str, Any]]) -> None:
    """Write records in canonical form (plain writes; atomicity is not needed here)."""
    shape = store.schema(kind).shape
    target = store.root / "records" / folder
    target.mkdir(parents=True, exist_ok=True)
    for record in records:
        text = yamlio.dump(record, shape)
        (target / f"{record['id']}.yaml").write_text(text, encoding="utf-8", newline="\n")


def formulactl_command() -> str:
    """The formulactl executable next to this interpreter, else the one on PATH."""
    beside = Path(sys.executable).parent / "formulactl"
    return str(beside) if beside.exists() else (shutil.which("formulactl") or "formulactl")


def keep_plain_text(root: Path) -> None:
    """This store measures validation, so confidential fields stay plain text: sealing them
    is measured by the encryption benchmark."""
    settings = root / SETTINGS
    data = yamlio.load_record(settings.read_bytes(), SETTINGS, 1 << 20)
    data["encryption"]["require"] = False
    settings.write_text(yamlio.dump(data, Store(root).schema("settings").shape), encoding="utf-8")
    recovery = root.parent / f"{root.name}-recovery-identity.txt"
    recovery.unlink(missing_ok=True)


def generate(
    root: Path,
    formulas: int = 10_000,
    customers: int = 2_000,
    materials: int = 3_000,
    suppliers: int | None = None,
    seed: int = SEED,
) -> dict[str, int]:
    """Create and commit a store at `root` (must not exist or be empty); return record counts."""
    suppliers = suppliers if suppliers is not None else max(1, min(300, materials // 10))
    if formulas and (customers < 1 or materials < 1):
        raise SystemExit("formulas need at least one customer and one material")
    subprocess.run([formulactl_command(), "init", str(root)], check=True, stdout=subprocess.DEVNULL)
    keep_plain_text(root)
    store = Store(root)
    rng = random.Random(seed)
    counts = {
        "supplier": suppliers,
        "material": materials,
        "customer": customers,
        "formula": formulas,
    }
    write_kind(store, "supplier", "suppliers", [supplier(rng, n) for n in range(1, suppliers + 1)])
    write_kind(
        store,
        "material",
        "materials",
        [material(rng, n, suppliers) for n in range(1, materials + 1)],
    )
    write_kind(store, "customer", "customers", [customer(rng, n) for n in range(1, customers + 1)])
    write_kind(
        store,
        "formula",
        "formulas",
        [formula(rng, n, customers, materials) for n in range(1, formulas + 1)],
    )
    subprocess.run(["git", "-C", str(root), "add", "-A"], check=True)
    subprocess.run(
        [
            "git",
            "-C",
            str(root),
            *GIT_IDENTITY,
            "commit",
            "-q",
            "--no-verify",
            "-m",
            "Generated benchmark store",
        ],
        check=True,
    )
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("target", type=Path, help="folder for the new store (new or empty)")
    parser.add_argument("--formulas", type=int, default=10_000)
    parser.add_argument("--customers", type=int, default=2_000)
    parser.add_argument("--materials", type=int, default=3_000)
    parser.add_argument(
        "--suppliers", type=int, default=None, help="default: materials / 10, at most 300"
    )
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args()
    started = time.perf_counter()
    counts = generate(
        args.target, args.formulas, args.customers, args.materials, args.suppliers, args.seed
    )
    summary = ", ".join(f"{count} {kind}s" for kind, count in counts.items())
    print(f"generated {summary} in {args.target} ({time.perf_counter() - started:.1f} s)")


if __name__ == "__main__":
    main()
