"""Time the quality reports (complaints, satisfaction, suppliers warm and cold against a cold
`validate`; kpi against a cold `validate --history`) on generated stores.

    .venv/bin/python bench/bench_quality.py                  # 2,000 customers, 2,000 commits
    .venv/bin/python bench/bench_quality.py --scale 0.25     # a quarter of every count

Records store: 2,000 customers, 2,000 formulas, 3,000 materials and 300 suppliers (with
three evaluations each) from generate.py, plus 5,000 complaints with CAPA actions and
effectiveness checks and 20,000 surveys. History store: 2,000 signed workflow commits from
generate_history.py. Every time is a whole command run as a subprocess; results go to
bench/out/quality.json.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_trace import cold, warm
from formulactl.store import yamlio
from formulactl.store.store import Store
from generate import GIT_IDENTITY, customer_id, generate, write_kind

OUT = Path(__file__).resolve().parent / "out" / "quality.json"
START = date(2024, 1, 1)


def _day(rng: random.Random, spread: int = 1000) -> date:
    return START + timedelta(days=rng.randrange(spread))


def complaint(rng: random.Random, n: int, customers: int) -> dict[str, Any]:
    received = _day(rng)
    capa = [
        {
            "type": rng.choice(["corrective", "preventive"]),
            "action": f"action {n}-{i}",
            "owner": "li.wei",
            "due": (received + timedelta(days=rng.randrange(10, 90))).isoformat(),
        }
        for i in range(rng.randrange(0, 3))
    ]
    data: dict[str, Any] = {
        "id": f"FB-{received:%Y%m%d}-{n:04x}",
        "customer": customer_id(rng.randrange(1, customers + 1)),
        "date": received.isoformat(),
        "type": "complaint",
        "severity": rng.choice(["low", "medium", "high", "critical"]),
        "formula": f"F-{rng.randrange(1, 200):06d}",
        "description": "generated",
        "response_due": (received + timedelta(days=7)).isoformat(),
        "acknowledged_on": (received + timedelta(days=rng.randrange(0, 4))).isoformat(),
        "status": "investigating",
    }
    if capa:
        data["capa"] = capa
        data["effectiveness"] = {"due": (received + timedelta(days=120)).isoformat()}
    return data


def survey(rng: random.Random, n: int, customers: int) -> dict[str, Any]:
    taken = _day(rng)
    return {
        "id": f"SV-{taken:%Y%m%d}-{n:04x}",
        "customer": customer_id(rng.randrange(1, customers + 1)),
        "date": taken.isoformat(),
        "scores": {"overall": rng.randrange(1, 6)},
        "nps": rng.randrange(0, 11),
    }


def with_evaluations(store: Store, rng: random.Random) -> None:
    for path in sorted((store.root / "records" / "suppliers").glob("*.yaml")):
        data = yamlio.load_record(path.read_bytes(), path.name, 1 << 20)
        data["evaluations"] = [
            {
                "date": f"{year}-06-30",
                "by": "li.wei",
                "scores": {k: rng.randrange(40, 100) for k in ("quality", "delivery")},
                "result": rng.choice(["approved", "approved", "conditional", "disqualified"]),
            }
            for year in (2024, 2025, 2026)
        ]
        path.write_text(yamlio.dump(data, store.schema("supplier").shape), encoding="utf-8")


def build_records(root: Path, scale: float, seed: int) -> None:
    size = {k: max(10, int(v * scale)) for k, v in SIZE.items()}
    generate(root, size["formula"], size["customer"], size["material"], seed=seed)
    store, rng = Store(root), random.Random(seed)
    with_evaluations(store, rng)
    write_kind(
        store,
        "feedback",
        "feedback",
        [complaint(rng, n, size["customer"]) for n in range(size["feedback"])],
    )
    write_kind(
        store,
        "survey",
        "surveys",
        [survey(rng, n, size["customer"]) for n in range(size["survey"])],
    )
    subprocess.run(["git", "-C", str(root), "add", "-A"], check=True)
    commit = [*GIT_IDENTITY, "commit", "-q", "--no-verify", "-m", "quality records"]
    subprocess.run(["git", "-C", str(root), *commit], check=True)


SIZE = {"customer": 2_000, "formula": 2_000, "material": 3_000, "feedback": 5_000, "survey": 20_000}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--seed", type=int, default=20261201)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        records, history = Path(folder) / "records-store", Path(folder) / "history-store"
        started = time.perf_counter()
        build_records(records, args.scale, args.seed)
        commits = str(max(50, int(2_000 * args.scale)))
        generator = Path(__file__).resolve().parent / "generate_history.py"
        subprocess.run(
            [sys.executable, str(generator), str(history), "--commits", commits],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        print(f"generated in {time.perf_counter() - started:.0f} s")
        times = {"validate cold": cold(records, ["validate"])}
        for name in ("complaints", "satisfaction", "suppliers"):
            command = ["report", name, "--json"]
            times[f"{name} cold"] = cold(records, command)
            times[f"{name} warm"] = warm(records, command, args.repeat)
        times["validate --history cold"] = cold(history, ["validate", "--history"])
        times["kpi cold"] = cold(history, ["report", "kpi", "--json"])
        times["kpi warm"] = warm(history, ["report", "kpi", "--json"], args.repeat)
    ratios = {
        f"{name} / validate cold (CPU)": times[name][1] / times["validate cold"][1]
        for name in ("complaints cold", "satisfaction cold", "suppliers cold")
    }
    ratios["kpi cold / validate --history cold (CPU)"] = (
        times["kpi cold"][1] / times["validate --history cold"][1]
    )
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(json.dumps({"times": times, "ratios": ratios, "scale": args.scale}, indent=2))
    print(f"{'':28} {'wall':>8} {'CPU':>8} {'peak':>8}")
    for name, (seconds, cpu, peak) in times.items():
        print(f"{name:28} {seconds:7.2f}s {cpu:7.2f}s {peak / 1024:6.0f}MB")
    for name, ratio in ratios.items():
        print(f"{name:44} {ratio:5.2f}")


if __name__ == "__main__":
    main()
