"""Time `formulactl dedupe customer` on 2,000 customers with planted duplicates.

    .venv/bin/python bench/bench_dedupe.py                    # 2,000 customers
    .venv/bin/python bench/bench_dedupe.py --customers 500    # quick run

Generates company names the way a plant's archive holds them (a two-character brand, a
trade word, a city in front and a legal form behind), plants duplicates of some in other
spellings (traditional characters, another legal form, full-width, English/pinyin) and
near-misses (one character of the brand changed), commits them to a temporary store and
measures:
- the matching alone in one process (`duplicate_pairs`) against the baseline a Python
  double loop of `fuzz.ratio` over the same normalised names would take;
- the command itself, cold (a fresh parsed-record cache) and warm, against the 2 s target
  and against `formulactl list customer` (reading the same customers, the floor);
- how many planted duplicates were found and how many near-misses were (wrongly) certain.
Results are printed and written to bench/out/dedupe.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_validate import machine
from formulactl.archive.matching import duplicate_pairs, normalise
from formulactl.store import yamlio
from formulactl.store.store import Store, create_store

OUT = Path(__file__).resolve().parent / "out" / "dedupe.json"
TARGET_SECONDS = 2.0
BRAND = "华嘉美金银宏盛鑫泰丰恒源达昌兴隆瑞祥安康永福德信和顺通运广利新创宝丽雅汇联科"
TRADES = ["涂料", "化工", "胶粘", "化妆品", "食品", "材料", "油墨", "树脂"]
TRADE_EN = {
    "涂料": "Coatings",
    "化工": "Chemical",
    "胶粘": "Adhesives",
    "化妆品": "Cosmetics",
    "食品": "Foods",
    "材料": "Materials",
    "油墨": "Ink",
    "树脂": "Resins",
}
CITIES = ["上海", "深圳", "广州", "杭州", "苏州", "佛山", "成都", "厦门", "南京", "宁波"]
SUFFIXES = ["有限公司", "股份有限公司", "科技有限公司", "有限责任公司"]
TRADITIONAL = str.maketrans(
    "华丰兴隆达昌宝丽汇联涂胶粘料业广顺运", "華豐興隆達昌寶麗匯聯塗膠黏料業廣順運"
)


def names(count: int, rng: random.Random) -> list[tuple[str, str, str]]:
    """Distinct (brand, trade, city) triples: a brand is unique within its trade."""
    seen: set[tuple[str, str]] = set()
    found = []
    while len(found) < count:
        brand = "".join(rng.sample(BRAND, 2))
        trade = rng.choice(TRADES)
        if (brand, trade) in seen:
            continue
        seen.add((brand, trade))
        found.append((brand, trade, rng.choice(CITIES)))
    return found


def spellings(brand: str, trade: str, city: str, rng: random.Random) -> str:
    """Another spelling of the same company, one of the ways people type it."""
    from pypinyin import lazy_pinyin

    choice = rng.randrange(4)
    if choice == 0:
        return f"{city}{brand}{trade}{rng.choice(SUFFIXES)}".translate(TRADITIONAL)
    if choice == 1:
        return f"{brand}{trade}（{city}）{rng.choice(SUFFIXES)}"
    if choice == 2:
        return "".join(chr(ord(c) + 0xFEE0) if c.isascii() else c for c in f"{brand}{trade}集团")
    english = TRADE_EN[trade]
    return f"{''.join(lazy_pinyin(brand)).title()} {english} Co., Ltd."


def build(root: Path, customers: int, seed: int) -> dict[str, Any]:
    """A store with `customers` customers of whom 5 % are planted duplicates and 2 %
    near-misses, committed with plain git (dedupe reads commits)."""
    rng = random.Random(seed)
    store = create_store(root)
    originals = names(customers, rng)
    shape = store.schema("customer").shape
    planted: list[tuple[str, str]] = []
    near: list[tuple[str, str]] = []
    records = [
        (brand, trade, city, f"{city}{brand}{trade}{rng.choice(SUFFIXES)}")
        for brand, trade, city in originals
    ]
    total = len(records)
    for index in rng.sample(range(total), total // 20):
        brand, trade, city, _ = records[index]
        planted.append((f"C-{index + 1:05d}", f"C-{len(records) + 1:05d}"))
        records.append((brand, trade, city, spellings(brand, trade, city, rng)))
    taken = {(brand, trade) for brand, trade, _, _ in records}
    for index in rng.sample(range(total), total // 50):
        brand, trade, city, _ = records[index]
        other = brand[0] + rng.choice([c for c in BRAND if c not in brand])
        if (other, trade) in taken:
            continue
        taken.add((other, trade))
        near.append((f"C-{index + 1:05d}", f"C-{len(records) + 1:05d}"))
        records.append((other, trade, city, f"{city}{other}{trade}有限公司"))
    folder = root / "records" / "customers"
    for number, (brand, trade, _city, legal) in enumerate(records, start=1):
        record_id = f"C-{number:05d}"
        data = {
            "id": record_id,
            "name": f"{brand}{trade}",
            "legal_name": legal,
            "type": "existing",
            "class": rng.choice("ABC"),
            "owner": "li.wei",
            "status": "approved",
            "version": 1,
        }
        if legal.isascii() or "（" in legal or "集团" in legal:
            data["name"] = legal  # a duplicate typed by someone else: the name as written
        (folder / f"{record_id}.yaml").write_text(yamlio.dump(data, shape), encoding="utf-8")
    git = ["git", "-C", str(root), "-c", "user.name=bench", "-c", "user.email=b@example.com"]
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "--no-gpg-sign", "-m", "bench"], check=True)
    return {"customers": len(records), "planted": planted, "near_misses": near}


def timed(args: list[str], root: Path) -> tuple[float, float, str]:
    """Wall time, CPU time (user + system: the steadier figure on a shared machine) and
    output of one `formulactl ARGS…` in a process of its own."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "formulactl", *args], cwd=root, capture_output=True, text=True
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(done.stderr)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return wall, cpu, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=20261201)
    options = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-dedupe-"))
    try:
        root = folder / "store"
        made = build(root, options.customers, options.seed)
        store = Store(root)
        customers = {
            path.stem: yamlio.load_record(path.read_bytes(), path.name, 1 << 20)
            for path in sorted((root / "records" / "customers").glob("*.yaml"))
        }
        started, cpu_started = time.perf_counter(), time.process_time()
        pairs = duplicate_pairs(customers)
        matching = time.perf_counter() - started
        matching_cpu = time.process_time() - cpu_started
        loop = double_loop(customers)
        cold, cold_cpu, output = timed(["dedupe", "customer", "--json"], root)
        # warm: the lowest of three runs by CPU (the machine is shared), with its wall time
        warm, warm_cpu, _ = min(
            (timed(["dedupe", "customer", "--json"], root) for _ in range(3)),
            key=lambda run: run[1],
        )
        floor, floor_cpu, _ = timed(["list", "customer"], root)
        found = {(pair["first"], pair["second"]) for pair in json.loads(output)["pairs"]}
        missed = [pair for pair in made["planted"] if tuple(pair) not in found]
        for first, second in missed:
            print(
                "missed",
                customers[first]["name"],
                customers[first]["legal_name"],
                "|",
                customers[second]["name"],
                customers[second]["legal_name"],
                file=sys.stderr,
            )
        certain = {(p.first, p.second) for p in pairs if p.certain}
        results = {
            "machine": machine(),
            "store_id": store.settings.store_id,
            "customers": made["customers"],
            "pairs_listed": len(found),
            "planted_found": sum(1 for pair in made["planted"] if tuple(pair) in found),
            "planted": len(made["planted"]),
            "near_misses_certain": sum(1 for pair in made["near_misses"] if pair in certain),
            "near_misses": len(made["near_misses"]),
            "seconds": {
                "matching": round(matching, 3),
                "python_double_loop": round(loop, 3),
                "command_cold": round(cold, 3),
                "command_warm": round(warm, 3),
                "list_customer_warm": round(floor, 3),
            },
            "cpu_seconds": {
                "matching": round(matching_cpu, 3),
                "command_cold": round(cold_cpu, 3),
                "command_warm": round(warm_cpu, 3),
                "list_customer_warm": round(floor_cpu, 3),
            },
            "load_average": os.getloadavg()[0],
            "ratios": {
                "matching_over_double_loop": round(matching / loop, 3),
                "command_warm_over_target": round(warm / TARGET_SECONDS, 3),
                "command_cold_over_target": round(cold / TARGET_SECONDS, 3),
                "command_warm_over_list": round(warm / floor, 3),
                "command_warm_cpu_over_target": round(warm_cpu / TARGET_SECONDS, 3),
                "command_warm_cpu_over_list_cpu": round(warm_cpu / floor_cpu, 3),
            },
        }
        OUT.parent.mkdir(exist_ok=True)
        OUT.write_text(json.dumps(results, indent=2, ensure_ascii=False))
        print(json.dumps(results, indent=2, ensure_ascii=False))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def double_loop(customers: dict[str, dict[str, Any]]) -> float:
    """The baseline: every pair of normalised names scored by a Python loop."""
    from rapidfuzz import fuzz

    flat = [normalise(str(record["name"])) for record in customers.values()]
    started = time.perf_counter()
    for index, first in enumerate(flat):
        for second in flat[index + 1 :]:
            fuzz.ratio(first, second, score_cutoff=85)
    return time.perf_counter() - started


if __name__ == "__main__":
    main()
