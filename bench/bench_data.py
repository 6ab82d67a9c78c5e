"""Time `export --format parquet` of 10,000 formulas against a cold `validate` of the same
store, then a grouped-count `query` over 200,000 orders, cold (building the cached tables)
and warm.

    .venv/bin/python bench/bench_data.py                        # full size
    .venv/bin/python bench/bench_data.py --scale 0.1            # a tenth of every count
    .venv/bin/python bench/bench_data.py --keep /tmp/data-store # generate there and keep it
    .venv/bin/python bench/bench_data.py --store /tmp/data-store
    .venv/bin/python bench/bench_data.py --store /tmp/data-store --warm-only  # no cold build

Targets (issue 16): the export ≤ 1.5 × `validate` cold; the query warm < 0.5 s. Every time
is the wall clock of a whole command run as a subprocess, interpreter start included, with
its CPU time (the steadier figure on a shared machine), with Python's compiled bytecode
written and used as an installed formulactl has it (PYTHONDONTWRITEBYTECODE, set in some
development shells, would recompile every module on every run). Results go to
bench/out/data.json.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_trace import cold, measure, show, warm
from formulactl.store.store import Store
from generate import GIT_IDENTITY, generate, write_kind

OUT = Path(__file__).resolve().parent / "out" / "data.json"
START = date(2024, 1, 1)
QUERY = "SELECT customer, count(*) AS orders FROM orders GROUP BY customer ORDER BY 2 DESC LIMIT 5"


def orders(rng: random.Random, count: int, customers: int, formulas: int) -> list[dict[str, Any]]:
    """Orders of one to three lines, 200 a day, for random customers and formulas."""
    made = []
    for n in range(count):
        day = START + timedelta(days=n // 200)
        made.append(
            {
                "id": f"O-{day:%Y%m%d}-{n % 65536:04x}",
                "customer": f"C-{rng.randint(1, customers):05d}",
                "date": day.isoformat(),
                "currency": "CNY",
                "lines": [
                    {
                        "line": line,
                        "formula": f"F-{rng.randint(1, formulas):06d}",
                        "product": "coating",
                        "quantity": rng.choice([200, 500, 1000, 5000]),
                        "unit": "kg",
                        "unit_price": round(rng.uniform(8, 40), 2),
                    }
                    for line in range(1, rng.randint(1, 3) + 1)
                ],
                "delivery": {"status": rng.choice(["pending", "partial", "delivered"])},
            }
        )
    return made


def add_orders(store: Path, count: int, customers: int, formulas: int, seed: int) -> None:
    rng = random.Random(seed)
    write_kind(Store(store), "order", "orders", orders(rng, count, customers, formulas))
    subprocess.run(["git", "-C", str(store), "add", "-A"], check=True)
    subprocess.run(
        ["git", "-C", str(store), *GIT_IDENTITY, "commit", "-q", "--no-verify", "-m", "orders"],
        check=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the full size")
    parser.add_argument("--store", type=Path, help="reuse a store made by --keep")
    parser.add_argument("--keep", type=Path, help="generate there and keep it")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument(
        "--warm-only",
        action="store_true",
        help="with --store: keep the cached tables a run before built (the cold build of "
        "200,000 orders takes minutes) and time the warm query only",
    )
    args = parser.parse_args()
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    formulas, customers = int(10_000 * args.scale), max(1, int(2_000 * args.scale))
    order_count = int(200_000 * args.scale)
    temporary = None
    store = args.store or args.keep or Path(temporary := tempfile.mkdtemp()) / "store"
    try:
        if args.store is None:
            started = time.perf_counter()
            generate(store, formulas, customers, max(1, int(3_000 * args.scale)))
            print(f"generated {formulas} formulas in {time.perf_counter() - started:.0f} s")
        results = run_all(store, formulas, customers, order_count, args)
        results["machine"] = f"{platform.machine()}, {platform.python_version()}"
        show(results, OUT, 28, 44)
    finally:
        if temporary:
            shutil.rmtree(temporary, ignore_errors=True)


def run_all(
    store: Path, formulas: int, customers: int, order_count: int, args: argparse.Namespace
) -> dict[str, Any]:
    out = Path(tempfile.mkdtemp()) / "formulas.parquet"
    export = ["export", "formula", "--format", "parquet", "--output", str(out), "--force"]
    times: dict[str, tuple[float, float, int]] = {}
    if not any((store / "records" / "orders").glob("*.yaml")):
        times["validate cold"] = cold(store, ["validate"])
        times["export parquet cold"] = cold(store, export)
        times["export parquet warm"] = warm(store, export, args.repeat)
        started = time.perf_counter()
        add_orders(store, order_count, customers, formulas, args.seed)
        print(f"added {order_count} orders in {time.perf_counter() - started:.0f} s")
    query = ["query", QUERY, "--format", "json"]
    if not args.warm_only:
        times["query cold (builds tables)"] = cold(store, query)
    measure(store, query)
    times["query warm"] = min(measure(store, query) for _ in range(args.repeat))
    # The floor every command pays before its own work: the interpreter, typer, the help.
    times["start-up floor (--help)"] = min(measure(store, ["--help"]) for _ in range(args.repeat))
    ratios: dict[str, float] = {
        "query warm, seconds (target < 0.5)": times["query warm"][0],
        "query warm, CPU seconds": times["query warm"][1],
        "query warm - start-up floor, CPU seconds": times["query warm"][1]
        - times["start-up floor (--help)"][1],
    }
    if "validate cold" in times:
        base = times["validate cold"]
        ratios["export parquet cold / validate cold (wall)"] = (
            times["export parquet cold"][0] / base[0]
        )
        ratios["export parquet cold / validate cold (CPU)"] = (
            times["export parquet cold"][1] / base[1]
        )
    shutil.rmtree(out.parent, ignore_errors=True)
    return {"times": times, "ratios": ratios, "orders": order_count, "formulas": formulas}


if __name__ == "__main__":
    main()
