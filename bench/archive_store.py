"""Generate a realistic customer archive for the report benchmarks, deterministically.

    python bench/archive_store.py /tmp/archive                    # 2,000 customers, 200,000 events
    python bench/archive_store.py /tmp/small --customers 200 --orders 5000 --interactions 3000
    python bench/archive_store.py /tmp/sealed --orders 10000 --interactions 0 --sealed KEY.pub

Three years of orders and interactions (December 2023 to November 2026) for 2,000 customers:
order rates that differ by customer (a few big buyers, many small ones), a yearly season
(spring and autumn peaks), 8 % churners who stop ordering during the last year, 5 % of
customers entered twice under another spelling (full-width digits, traditional characters,
a different company suffix, pinyin), plus complaints and other feedback, satisfaction
surveys, and the formulas, materials and suppliers the orders name (from generate.py).

Every record is written in canonical form and committed in one commit; the store passes
`formulactl validate`. Without `--sealed` confidential fields stay plain text (the report
benchmark's "plain fields" case); with `--sealed PUBKEY` the orders' prices are sealed for
that SSH key's holder (`zhang.min`), as a reader of orders would find them.
"""

from __future__ import annotations

import argparse
import math
import random
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from formulactl.store import yamlio
from formulactl.store.store import Store
from generate import (
    GIT_IDENTITY,
    PEOPLE,
    SEED,
    customer,
    formula,
    formulactl_command,
    keep_plain_text,
    material,
    supplier,
    write_kind,
)

START = date(2023, 12, 1)
END = date(2026, 11, 30)
MONTHS = 36
CHURN_SHARE = 0.08
DUPLICATE_SHARE = 0.05
TRADITIONAL = str.maketrans(
    {"户": "戶", "东": "東", "广": "廣", "苏": "蘇", "宁": "寧", "汉": "漢", "岛": "島", "圳": "圳"}
)
PINYIN = {
    "上海": "Shanghai",
    "苏州": "Suzhou",
    "杭州": "Hangzhou",
    "宁波": "Ningbo",
    "广州": "Guangzhou",
    "深圳": "Shenzhen",
    "天津": "Tianjin",
    "成都": "Chengdu",
    "武汉": "Wuhan",
    "青岛": "Qingdao",
}
FULL_WIDTH = str.maketrans({str(d): chr(0xFF10 + d) for d in range(10)})


def season(month: int) -> float:
    """Orders by month of the year: peaks in April and October, lows in January and July."""
    return 1 + 0.35 * math.cos(2 * math.pi * (month - 4) / 6)


def spelled_again(rng: random.Random, record: dict[str, Any], n: int) -> dict[str, Any]:
    """The same company entered again under another customer ID, spelt another way."""
    twin = dict(record, id=f"C-{n:05d}", status="draft", version=1)
    twin.pop("review_due", None)
    twin.pop("tax_id", None)
    name, legal = str(record["name"]), str(record.get("legal_name", record["name"]))
    way = rng.randrange(4)
    if way == 0:
        twin["name"] = name.translate(FULL_WIDTH)
    elif way == 1:
        twin["name"] = name.translate(TRADITIONAL)
    elif way == 2:
        twin["legal_name"] = legal.replace("新材料有限公司", "新材料股份有限公司")
    else:
        city = next((c for c in PINYIN if name.startswith(c)), "")
        twin["name"] = f"{PINYIN.get(city, 'Shanghai')} Kehu {name[len(city) + 2 :]} Co., Ltd."
    return twin


def customers_with_twins(rng: random.Random, count: int) -> list[dict[str, Any]]:
    originals = count - int(count * DUPLICATE_SHARE)
    records = [customer(rng, n) for n in range(1, originals + 1)]
    for n in range(originals + 1, count + 1):
        records.append(spelled_again(rng, rng.choice(records[:originals]), n))
    return records


def order_plan(rng: random.Random, customers: int, orders: int) -> list[tuple[int, date]]:
    """(customer number, day) for about `orders` orders with rates, season and churn."""
    weights = [rng.lognormvariate(0, 1.0) for _ in range(customers)]
    stops = [
        START + timedelta(days=rng.randrange(730, 1000)) if rng.random() < CHURN_SHARE else END
        for _ in range(customers)
    ]
    months = [(START.year * 12 + START.month - 1 + k) for k in range(MONTHS)]
    total = sum(weights) * sum(season(m % 12 + 1) for m in months)
    plan = []
    for index, weight in enumerate(weights):
        for month in months:
            expected = orders * weight * season(month % 12 + 1) / total
            count = int(expected) + (rng.random() < expected % 1)
            first = date(month // 12, month % 12 + 1, 1)
            for _ in range(count):
                day = first + timedelta(days=rng.randrange(28))
                if day <= stops[index]:
                    plan.append((index + 1, day))
    return plan


def unique_id(rng: random.Random, prefix: str, day: date, taken: set[str]) -> str:
    while True:
        found = f"{prefix}-{day:%Y%m%d}-{rng.getrandbits(16):04x}"
        if found not in taken:
            taken.add(found)
            return found


def order(rng: random.Random, oid: str, who: int, day: date, formulas: int) -> dict[str, Any]:
    """Each customer buys from its own few formulas (three, picked by its number)."""
    lines = []
    own = [(who * 7 + k * 61) % formulas + 1 for k in range(3)]
    for number, formula_number in enumerate(rng.sample(own, rng.choice((1, 1, 1, 2))), 1):
        ref = f"F-{formula_number:06d}"
        lines.append(
            {
                "line": number,
                "formula": ref,
                "product": f"产品 {ref}",
                "quantity": rng.choice((200, 500, 1000, 2000, 5000)),
                "unit": "kg",
                "unit_price": round(rng.uniform(8, 60), 1),
            }
        )
    paid = day + timedelta(days=rng.randint(20, 70))
    done = paid <= END
    return {
        "id": oid,
        "customer": f"C-{who:05d}",
        "date": day.isoformat(),
        "currency": "CNY",
        "lines": lines,
        "delivery": {"status": "delivered" if done else "pending"},
        "payment": {"status": "paid" if done else "unpaid", "due": paid.isoformat()},
    }


def interaction(rng: random.Random, iid: str, who: int, day: date, owner: str) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": iid,
        "customer": f"C-{who:05d}",
        "date": day.isoformat(),
        "channel": rng.choice(("visit", "call", "email", "wechat", "meeting")),
        "by": owner,
        "summary": rng.choice(("回访", "报价跟进", "样品反馈", "年度合同沟通", "投诉回访")),
    }
    if rng.random() < 0.3:
        record["next_date"] = (day + timedelta(days=rng.randint(7, 60))).isoformat()
    return record


def feedback(rng: random.Random, fid: str, who: int, day: date) -> dict[str, Any]:
    closed = day < END - timedelta(days=60) and rng.random() < 0.85
    record: dict[str, Any] = {
        "id": fid,
        "customer": f"C-{who:05d}",
        "date": day.isoformat(),
        "type": rng.choice(("complaint", "complaint", "inquiry", "suggestion", "claim", "praise")),
        "severity": rng.choice(("low", "medium", "medium", "high")),
        "description": rng.choice(("漆膜发黄", "粘度偏高", "交期延误", "色差", "包装破损")),
        "status": "closed" if closed else rng.choice(("open", "investigating", "resolved")),
    }
    if record["status"] in ("resolved", "closed"):
        record["resolution"] = "已更换批次并回访确认"
    if closed:
        record["closed_on"] = (day + timedelta(days=rng.randint(5, 40))).isoformat()
        # closing needs an effectiveness result or a reason why no CAPA is needed
        record["no_capa_reason"] = "一次性问题：已更换批次，原因已排除"
    return record


def survey(rng: random.Random, sid: str, who: int, day: date) -> dict[str, Any]:
    overall = rng.choices((1, 2, 3, 4, 5), weights=(2, 4, 14, 45, 35))[0]
    return {
        "id": sid,
        "customer": f"C-{who:05d}",
        "date": day.isoformat(),
        "scores": {"overall": overall},
        "nps": min(10, max(0, overall * 2 + rng.randint(-1, 0))),
    }


def seal_orders(store: Store, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The orders as a store requiring encryption keeps them: prices sealed for readers."""
    from formulactl.crypto.sealing import seal
    from formulactl.parallel import parallel_map

    schema = store.schema("order")

    def sealed(record: dict[str, Any]) -> dict[str, Any]:
        return seal(store.settings, store.team, schema, str(record["id"]), record)

    return parallel_map(sealed, records)


def add_reader(root: Path, public_key: Path) -> None:
    """zhang.min, a reader of orders, with the given SSH public key; sealing stays required."""
    key = " ".join(public_key.read_text(encoding="utf-8").split()[:2])
    team = {
        "people": [
            {
                "id": "zhang.min",
                "name": "张敏 Zhang Min",
                "email": "zhang.min@example.com",
                "roles": ["entry", "approver"],
                "keys": [{"key": key}],
            }
        ]
    }
    store = Store(root)
    (root / "team.yaml").write_text(yamlio.dump(team, store.schema("team").shape), "utf-8")


def generate(
    root: Path,
    customers: int = 2_000,
    orders: int = 120_000,
    interactions: int = 80_000,
    sealed: Path | None = None,
    seed: int = SEED,
) -> dict[str, int]:
    """Create and commit the store at `root`; return record counts by kind."""
    init = [formulactl_command(), "init", str(root)]
    subprocess.run(init, check=True, stdout=subprocess.DEVNULL)
    if sealed is None:
        keep_plain_text(root)
    else:
        add_reader(root, sealed)
    store = Store(root)
    rng = random.Random(seed)
    suppliers, materials, formulas = 30, 300, 200
    write_kind(store, "supplier", "suppliers", [supplier(rng, n) for n in range(1, suppliers + 1)])
    write_kind(store, "material", "materials", [material(rng, n, suppliers) for n in range(1, 301)])
    people = customers_with_twins(rng, customers)
    write_kind(store, "customer", "customers", people)
    made = [formula(rng, n, customers, materials) for n in range(1, formulas + 1)]
    write_kind(store, "formula", "formulas", made)
    taken: set[str] = set()
    plan = order_plan(rng, customers, orders)
    records = [order(rng, unique_id(rng, "O", day, taken), who, day, formulas) for who, day in plan]
    if sealed is not None:
        records = seal_orders(store, records)
    write_kind(store, "order", "orders", records)
    owners = {n + 1: str(p.get("owner", PEOPLE[0])) for n, p in enumerate(people)}
    contacts = [
        interaction(rng, unique_id(rng, "I", day, taken), who, day, owners[who])
        for who, day in order_plan(rng, customers, interactions)
    ]
    write_kind(store, "interaction", "interactions", contacts)
    span = (END - START).days
    dates = [
        (rng.randint(1, customers), START + timedelta(days=rng.randrange(span)))
        for _ in range(customers)
    ]
    notes = [feedback(rng, unique_id(rng, "FB", day, taken), who, day) for who, day in dates]
    write_kind(store, "feedback", "feedback", notes)
    polls = [
        survey(rng, unique_id(rng, "SV", day, taken), rng.randint(1, customers), day)
        for _, day in dates[: customers // 2] + dates[: customers // 2]
    ]
    write_kind(store, "survey", "surveys", polls)
    git = ["git", "-C", str(root)]
    subprocess.run([*git, "add", "-A"], check=True)
    message = "Generated customer archive"
    subprocess.run([*git, *GIT_IDENTITY, "commit", "-q", "--no-verify", "-m", message], check=True)
    return {
        "customer": len(people),
        "order": len(records),
        "interaction": len(contacts),
        "feedback": len(notes),
        "survey": len(polls),
        "formula": formulas,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("target", type=Path, help="folder for the new store (new or empty)")
    parser.add_argument("--customers", type=int, default=2_000)
    parser.add_argument("--orders", type=int, default=120_000)
    parser.add_argument("--interactions", type=int, default=80_000)
    parser.add_argument("--sealed", type=Path, help="seal order prices for this SSH public key")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args()
    started = time.perf_counter()
    counts = generate(
        args.target, args.customers, args.orders, args.interactions, args.sealed, args.seed
    )
    summary = ", ".join(f"{count} {kind}" for kind, count in counts.items())
    print(f"generated {summary} in {args.target} ({time.perf_counter() - started:.1f} s)")


if __name__ == "__main__":
    main()
