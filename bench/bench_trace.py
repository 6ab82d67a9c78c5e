"""Time where-used, trace and recall (warm and cold) against a cold `validate` of the same
store, with each command's peak memory.

    .venv/bin/python bench/bench_trace.py                         # full size (see --help)
    .venv/bin/python bench/bench_trace.py --scale 0.2             # a fifth of every count
    .venv/bin/python bench/bench_trace.py --keep /tmp/trace-store # generate there and keep it
    .venv/bin/python bench/bench_trace.py --store /tmp/trace-store

Full size: 10,000 formulas, 3,000 materials, 2,000 customers, 50,000 batches of 2–20 lots
(5 % also use an intermediate batch), 20,000 orders delivering 1–3 batches each, 500
complaints. Every time is the wall clock of a whole command run as a subprocess,
interpreter start included. Results go to bench/out/trace.json.
"""

from __future__ import annotations

import argparse
import json
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
from formulactl.store import yamlio
from formulactl.store.store import Store
from generate import GIT_IDENTITY, formulactl_command, generate, write_kind

OUT = Path(__file__).resolve().parent / "out" / "trace.json"
WARM_GOAL = 0.5  # seconds
START = date(2025, 1, 1)
MEASURED = """
import resource, subprocess, sys, time
started = time.perf_counter()
done = subprocess.run(sys.argv[1:], capture_output=True, text=True)
seconds = time.perf_counter() - started
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, done.returncode)
"""


def approved_formulas(root: Path) -> list[tuple[str, list[str]]]:
    """(F-…@V, materials) of every approved formula the generator wrote."""
    found = []
    for path in sorted((root / "records" / "formulas").glob("*.yaml")):
        data = yamlio.load_record(path.read_bytes(), path.name, 1 << 20)
        if data.get("status") == "approved":
            materials = [line["material"] for line in data["ingredients"]]
            found.append((f"{data['id']}@{data['version']}", materials))
    return found


def batches(
    rng: random.Random, count: int, formulas: list[tuple[str, list[str]]], suppliers: int
) -> list[dict[str, Any]]:
    per_day = 400
    made: list[dict[str, Any]] = []
    for n in range(count):
        day = START + timedelta(days=n // per_day)
        ref, materials = rng.choice(formulas)
        chosen = rng.sample(materials, min(len(materials), rng.randint(2, 20)))
        week = (n // per_day) // 7
        lots: list[dict[str, Any]] = [
            {
                "material": material,
                "supplier": f"S-{rng.randint(1, suppliers):04d}",
                "supplier_lot": f"SL{material[2:]}-{week}",
                "lot": f"L{material[2:]}-{week}",
                "quantity": round(rng.uniform(1, 500), 1),
                "unit": "kg",
            }
            for material in chosen
        ]
        if made and rng.random() < 0.05:
            earlier = made[rng.randrange(max(0, len(made) - 2000), len(made))]["id"]
            lots.append({"batch": earlier, "lot": earlier, "quantity": 50, "unit": "kg"})
        made.append(
            {
                "id": f"B-{day:%Y%m%d}-{n % per_day + 1:03d}",
                "formula": ref,
                "date": day.isoformat(),
                "size": {"quantity": 1000, "unit": "kg"},
                "lots": lots,
                "disposition": "released",
                "operator": "zhang.min",
            }
        )
    return made


def orders(
    rng: random.Random, count: int, made: list[dict[str, Any]], customers: int
) -> list[dict[str, Any]]:
    found = []
    for n in range(count):
        shipped = made[(n * 5 // 2) % len(made) : (n * 5 // 2) % len(made) + rng.randint(1, 3)]
        day = date.fromisoformat(shipped[-1]["date"]) + timedelta(days=2)
        found.append(
            {
                "id": f"O-{day:%Y%m%d}-{n % 65536:04x}",
                "customer": f"C-{rng.randint(1, customers):05d}",
                "date": day.isoformat(),
                "currency": "CNY",
                "lines": [
                    {
                        "line": 1,
                        "formula": shipped[0]["formula"].split("@")[0],
                        "product": "coating",
                        "quantity": 1000,
                        "unit": "kg",
                    }
                ],
                "delivery": {"status": "partial" if rng.random() < 0.1 else "delivered"},
                "deliveries": [
                    {"date": day.isoformat(), "batch": batch["id"], "quantity": 500, "unit": "kg"}
                    for batch in shipped
                ],
            }
        )
    return found


def complaints(rng: random.Random, count: int, sent: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found = []
    for n in range(count):
        order = rng.choice(sent)
        day = date.fromisoformat(order["date"]) + timedelta(days=5)
        found.append(
            {
                "id": f"FB-{day:%Y%m%d}-{n:04x}",
                "customer": order["customer"],
                "date": day.isoformat(),
                "type": "complaint",
                "severity": "medium",
                "batches": [d["batch"] for d in order["deliveries"]],
                "description": "film whitening",
                "response_due": (day + timedelta(days=7)).isoformat(),
                "status": "open",
            }
        )
    return found


def build(root: Path, scale: float, seed: int) -> dict[str, int]:
    size = {k: max(1, int(v * scale)) for k, v in FULL.items()}
    generate(root, size["formula"], size["customer"], size["material"], seed=seed)
    store = Store(root)
    rng = random.Random(seed + 1)
    suppliers = max(1, min(300, size["material"] // 10))
    made = batches(rng, size["batch"], approved_formulas(root), suppliers)
    sent = orders(rng, size["order"], made, size["customer"])
    write_kind(store, "batch", "batches", made)
    write_kind(store, "order", "orders", sent)
    write_kind(store, "feedback", "feedback", complaints(rng, size["feedback"], sent))
    subprocess.run(["git", "-C", str(root), "add", "-A"], check=True)
    commit = [*GIT_IDENTITY, "commit", "-q", "--no-verify", "-m", "batches and orders"]
    subprocess.run(["git", "-C", str(root), *commit], check=True)
    return size


FULL = {
    "formula": 10_000,
    "material": 3_000,
    "customer": 2_000,
    "batch": 50_000,
    "order": 20_000,
    "feedback": 500,
}


def measure(store: Path, args: list[str]) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds, peak resident kB) of one whole command: on a shared,
    busy machine the CPU time is the steadier figure. Python may write its bytecode, as it
    does for an installed formulactl: a warm command that compiles its modules on every run
    (PYTHONDONTWRITEBYTECODE) measures the compiler, not formulactl."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    done = subprocess.run(
        [sys.executable, "-c", MEASURED, formulactl_command(), *args],
        cwd=store,
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    seconds, cpu, peak, code = done.stdout.split()
    if int(code) not in (0, 1):
        sys.exit(f"formulactl {' '.join(args)} failed with {code}")
    return float(seconds), float(cpu), int(peak)


def cold(store: Path, args: list[str]) -> tuple[float, float, int]:
    shutil.rmtree(cache_dir(store), ignore_errors=True)
    return measure(store, args)


def warm(store: Path, args: list[str], repeat: int) -> tuple[float, float, int]:
    measure(store, args)
    runs = [measure(store, args) for _ in range(repeat)]
    return min(runs)


def cache_dir(store: Path) -> Path:
    return store / ".git" / "formulactl"


def questions(store: Path) -> dict[str, list[str]]:
    """A material, a shared lot and a batch with an intermediate, picked from the store."""
    sample = sorted((store / "records" / "batches").glob("*.yaml"))
    for path in reversed(sample):
        data = yamlio.load_record(path.read_bytes(), path.name, 1 << 20)
        if any("batch" in line for line in data["lots"]):
            line = data["lots"][0]
            return {
                "where-used": ["where-used", line["material"], "--json"],
                "trace": ["trace", data["id"], "--json"],
                "recall": ["recall", "--lot", line["lot"], "--json"],
            }
    sys.exit("no batch with an intermediate")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the full size")
    parser.add_argument("--store", type=Path, help="reuse a store made by --keep")
    parser.add_argument("--keep", type=Path, help="generate here and keep it")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20240601)
    args = parser.parse_args()
    temporary = None
    if args.store:
        store, size = args.store, {}
    else:
        store = args.keep or Path(temporary := tempfile.mkdtemp()) / "store"
        started = time.perf_counter()
        size = build(store, args.scale, args.seed)
        print(f"generated {size} in {time.perf_counter() - started:.0f} s")
    try:
        report = run_all(store, args.repeat)
        report.update(size=size, machine=f"{platform.machine()}, {platform.python_version()}")
        show(report, OUT, 16, 40)
    finally:
        if temporary:
            shutil.rmtree(temporary, ignore_errors=True)


def show(report: dict[str, Any], out: Path, width: int, ratio_width: int) -> None:
    """Save the report as JSON and print its times and ratios."""
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(report, indent=2))
    print(f"{'':{width}} {'wall':>8} {'CPU':>8} {'peak':>8}")
    for name, (seconds, cpu, peak) in report["times"].items():
        print(f"{name:{width}} {seconds:7.2f}s {cpu:7.2f}s {peak / 1024:6.0f}MB")
    for name, ratio in report["ratios"].items():
        print(f"{name:{ratio_width}} {ratio:5.2f}")


def run_all(store: Path, repeat: int) -> dict[str, Any]:
    times: dict[str, tuple[float, float, int]] = {"validate cold": cold(store, ["validate"])}
    for name, command in questions(store).items():
        times[f"{name} cold"] = cold(store, command)
        times[f"{name} warm"] = warm(store, command, repeat)
    base = times["validate cold"][1]
    ratios = {
        f"{name} / validate cold (CPU)": times[name][1] / base
        for name in times
        if name.endswith(" cold") and name != "validate cold"
    }
    # the warm goal: under half a second, process start included
    ratios.update(
        {
            f"{name} / {WARM_GOAL} s goal ({kind})": times[name][column] / WARM_GOAL
            for name in times
            if name.endswith(" warm")
            for kind, column in (("wall", 0), ("CPU", 1))
        }
    )
    return {
        "times": times,
        "ratios": ratios,
        "peak_kb": max(peak for _s, _c, peak in times.values()),
    }


if __name__ == "__main__":
    main()
