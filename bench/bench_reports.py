"""Time every `formulactl report …` on the generated customer archive, in one run.

    python bench/bench_reports.py                              # full size (archive_store.py)
    python bench/bench_reports.py --customers 200 --orders 5000 --interactions 3000
    python bench/bench_reports.py --store /tmp/archive         # reuse a plain store made before
    python bench/bench_reports.py --store /tmp/archive --reports classify,churn --no-sealed

The reports are discovered from `formulactl report --help`, so reports added later are
timed too (`--reports` picks some). Targets (issue 15): each report warm < 1 s; cold (its
caches deleted) ≤ 2× a cold `validate`; a revenue report opening sealed prices (`report
classify --identity`) ≤ 1.3× the floor of one pyrage decryption per order (the data-key
unwrap alone), measured on a second store whose order prices are sealed (`--no-sealed`
skips it). Besides cold and warm, each report runs once with only its remembered answers
deleted ("new"): the first run after a commit that changes the folders it reads, record and
facts caches warm. Every time is the wall clock and the CPU time (user + system) of a whole
command run as a subprocess, the best of `--repeat` runs for warm ones.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from archive_store import generate
from generate import formulactl_command

OUT = Path(__file__).resolve().parent / "out" / "reports.json"
TARGETS = {"warm_seconds": 1.0, "cold_over_validate": 2.0, "decrypt_over_floor": 1.3}


CPU: dict[str, float] = {}  # CPU seconds (user + system) of the last run of each command


def run(root: Path, *args: str) -> tuple[float, int, str]:
    """Seconds, exit code and the first error line of one formulactl command in `root`; its
    CPU time, the steadier figure on a shared machine, is kept in CPU under its arguments."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}  # as installed
    done = subprocess.run(
        [formulactl_command(), *args],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    used = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    CPU[" ".join(args)] = used
    return seconds, done.returncode, (done.stderr.strip().splitlines() or [""])[0]


def cold(root: Path, *args: str) -> tuple[float, int, str]:
    shutil.rmtree(root / ".git" / "formulactl", ignore_errors=True)
    return run(root, *args)


def reports(root: Path) -> list[str]:
    """The subcommands `formulactl report --help` lists."""
    done = subprocess.run(
        [formulactl_command(), "report", "--help"], cwd=root, capture_output=True, text=True
    )
    text = done.stdout.split("Commands:", 1)[-1]
    return re.findall(r"^\s{2}([a-z][a-z-]*)\s", text, re.MULTILINE)


def best_warm(root: Path, repeat: int, *args: str) -> tuple[float, float]:
    """The best wall and the best CPU seconds of `repeat` warm runs (each its own best)."""
    walls, cpus = [], []
    for _ in range(repeat):
        walls.append(run(root, *args)[0])
        cpus.append(CPU[" ".join(args)])
    return min(walls), min(cpus)


def new_answer(root: Path, *args: str) -> tuple[float, float]:
    """Wall and CPU seconds with the remembered answers deleted, every other cache kept."""
    for path in (root / ".git" / "formulactl").glob("answers-*.marshal"):
        path.unlink()
    seconds = run(root, *args)[0]
    return seconds, CPU[" ".join(args)]


def time_reports(root: Path, repeat: int, only: list[str] | None) -> dict[str, Any]:
    validate_cold = cold(root, "validate")[0]
    validate_cpu = CPU["validate"]
    found: dict[str, Any] = {
        "validate_cold": validate_cold,
        "validate_cold_cpu": validate_cpu,
        "reports": {},
    }
    for name in reports(root):
        if only is not None and name not in only:
            continue
        first, code, error = cold(root, "report", name)
        first_cpu = CPU[f"report {name}"]
        warm, warm_cpu = best_warm(root, repeat, "report", name)
        fresh, fresh_cpu = new_answer(root, "report", name)
        found["reports"][name] = {
            "cold": first,
            "cold_cpu": first_cpu,
            "warm": warm,
            "warm_cpu": warm_cpu,
            "new_answer": fresh,
            "new_answer_cpu": fresh_cpu,
            "exit": code,
            "error": error if code not in (0, 1) else "",
            "cold_over_validate": first / validate_cold,
            "cold_over_validate_cpu": first_cpu / validate_cpu,
        }
    return found


def floor_seconds(root: Path, key: Path) -> float:
    """One pyrage decryption per sealed order: unwrapping its data key and nothing else."""
    from formulactl.crypto import crypto
    from formulactl.store import yamlio

    identity = crypto.load_identity(key)
    wrapped = []
    for path in sorted((root / "records" / "orders").glob("*.yaml")):
        data = yamlio.load_record(path.read_bytes(), path.name, 1 << 20)
        wrapped.append(str(data["encryption"]["recipients"]["zhang.min"]).split(":")[1])
    started = time.perf_counter()
    for text in wrapped:
        crypto.unwrap("floor", text, [identity.secret])
    return time.perf_counter() - started


def time_sealed(folder: Path, customers: int, orders: int, repeat: int) -> dict[str, Any]:
    key = folder / "zhang"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    root = folder / "sealed"
    counts = generate(root, customers, orders, 0, key.with_name("zhang.pub"))
    args = ("report", "classify", "--identity", str(key))
    run(root, *args)  # fill the parsed-record cache
    warm, warm_cpu = best_warm(root, repeat, *args)
    floor = floor_seconds(root, key)
    return {
        "orders": counts["order"],
        "classify_decrypt_warm": warm,
        "classify_decrypt_warm_cpu": warm_cpu,
        "floor": floor,
        "decrypt_over_floor": warm / floor,
        "decrypt_over_floor_cpu": warm_cpu / floor,
    }


def show(results: dict[str, Any]) -> None:
    plain = results["plain"]
    print(f"\nplain store: {results['counts']}")
    print(
        f"cold validate {plain['validate_cold']:.2f} s wall, {plain['validate_cold_cpu']:.2f} s CPU"
    )
    print("wall and CPU seconds; ratios against a cold validate, wall (CPU)")
    header = f"{'report':<14}{'cold':>8}{'cpu':>8}{'warm':>8}{'cpu':>8}{'new':>8}{'cpu':>8}"
    header += f"{'cold/validate':>18}"
    print(header + "  verdict")
    for name, row in plain["reports"].items():
        ok = row["warm"] < TARGETS["warm_seconds"]
        ok = ok and row["cold_over_validate"] <= TARGETS["cold_over_validate"]
        verdict = "ok" if ok and not row["error"] else "MISSED"
        if row["error"]:
            verdict += f" (exit {row['exit']}: {row['error'][:70]})"
        ratio = f"{row['cold_over_validate']:.2f} ({row['cold_over_validate_cpu']:.2f})"
        print(
            f"{name:<14}{row['cold']:>8.2f}{row['cold_cpu']:>8.2f}{row['warm']:>8.2f}"
            f"{row['warm_cpu']:>8.2f}{row['new_answer']:>8.2f}{row['new_answer_cpu']:>8.2f}"
            f"{ratio:>18}  {verdict}"
        )
    sealed = results["sealed"]
    if sealed is None:
        return
    print(
        f"\nsealed prices, {sealed['orders']} orders: classify --identity "
        f"{sealed['classify_decrypt_warm']:.2f} s ({sealed['classify_decrypt_warm_cpu']:.2f} s "
        f"CPU), floor (one pyrage decryption per order) {sealed['floor']:.2f} s, ratio "
        f"{sealed['decrypt_over_floor']:.2f} ({sealed['decrypt_over_floor_cpu']:.2f} by CPU; "
        f"target ≤ {TARGETS['decrypt_over_floor']})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--store", type=Path, help="reuse a plain store from archive_store.py")
    parser.add_argument("--keep", type=Path, help="keep the generated plain store here")
    parser.add_argument("--customers", type=int, default=2_000)
    parser.add_argument("--orders", type=int, default=120_000)
    parser.add_argument("--interactions", type=int, default=80_000)
    parser.add_argument("--sealed-orders", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--reports", help="comma-separated reports to time (default: all)")
    parser.add_argument("--no-sealed", action="store_true", help="skip the sealed-price store")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        root = args.store or args.keep or folder / "plain"
        counts: dict[str, int] | str = "reused"
        if args.store is None:
            started = time.perf_counter()
            counts = generate(root, args.customers, args.orders, args.interactions)
            print(f"generated {counts} in {time.perf_counter() - started:.0f} s")
        results = {
            "counts": counts,
            "plain": time_reports(root, args.repeat, args.reports and args.reports.split(",")),
            "sealed": None
            if args.no_sealed
            else time_sealed(folder, args.customers, args.sealed_orders, args.repeat),
            "targets": TARGETS,
        }
    show(results)
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
