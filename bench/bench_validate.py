"""Time `formulactl validate` (cold and warm cache) against check-jsonschema and bare parsing.

    .venv/bin/python bench/bench_validate.py                      # 10,000 formulas, temp store
    .venv/bin/python bench/bench_validate.py --formulas 500       # quick run
    .venv/bin/python bench/bench_validate.py --keep /tmp/store    # generate there and keep it
    .venv/bin/python bench/bench_validate.py --store /tmp/store   # reuse a generated store

Every time is the wall clock of a whole command run as a subprocess, interpreter startup
included. Results are printed as a table and written to bench/out/validate.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import formulactl_command, generate

BIN = Path(sys.executable).parent
OUT = Path(__file__).resolve().parent / "out" / "validate.json"
TARGETS = {"cjs_over_cold": 15.0, "cold_over_bare": 1.5, "warm_seconds": 0.5}

# The bare-parse baseline: list the record folders, read each file, parse it with
# PyYAML's C loader. Nothing else, so it is the floor for any tool that parses YAML.
BARE_PARSE = """
import os, sys, yaml
count = 0
for folder in os.scandir("records"):
    if folder.is_dir():
        for entry in os.scandir(folder.path):
            if entry.name.endswith(".yaml"):
                with open(entry.path, "rb") as stream:
                    yaml.load(stream.read(), Loader=yaml.CSafeLoader)
                count += 1
print(count)
"""


def run(args: list[str], cwd: Path, expect_ok: bool = True) -> tuple[float, str]:
    """Wall-clock seconds of one command; its stdout+stderr; fails loudly on a bad exit."""
    started = time.perf_counter()
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    output = done.stdout + done.stderr
    if expect_ok and done.returncode != 0:
        sys.exit(f"{' '.join(args[:3])} ... failed ({done.returncode}):\n{output[-2000:]}")
    return elapsed, output


def best_of(repeat: int, action: Callable[[], float]) -> float:
    return min(action() for _ in range(repeat))


def cpu_in_blocks(count: int, block: int, measures: list[Callable[[int], Any]]) -> list[float]:
    """CPU seconds of each measure over items 0…count-1, the measures taking turns block by
    block, so that a machine shared with other work weighs on all of them alike."""
    spent = [0.0] * len(measures)
    for start in range(0, count, block):
        for which, measure in enumerate(measures):
            started = time.process_time()
            for item in range(start, min(start + block, count)):
                measure(item)
            spent[which] += time.process_time() - started
    return spent


def cache_dir(store: Path) -> Path:
    """formulactl's cache: `formulactl/` inside the store's git folder."""
    done = subprocess.run(
        ["git", "-C", str(store), "rev-parse", "--path-format=absolute", "--git-common-dir"],
        capture_output=True,
        text=True,
        check=True,
    )
    return Path(done.stdout.strip()) / "formulactl"


def record_files(store: Path) -> dict[str, list[str]]:
    """Kind → record files (relative to the store), for the kinds present."""
    kinds = {
        "customers": "customer",
        "formulas": "formula",
        "materials": "material",
        "suppliers": "supplier",
        "batches": "batch",
        "interactions": "interaction",
        "orders": "order",
        "feedback": "feedback",
        "surveys": "survey",
    }
    found: dict[str, list[str]] = {}
    for folder, kind in kinds.items():
        path = store / "records" / folder
        names = sorted(p.name for p in path.glob("*.yaml")) if path.is_dir() else []
        if names:
            found[kind] = [f"records/{folder}/{name}" for name in names]
    return found


def chunks(files: list[str], budget: int) -> list[list[str]]:
    """Split a file list so no command line exceeds `budget` bytes."""
    groups: list[list[str]] = [[]]
    size = 0
    for name in files:
        if groups[-1] and size + len(name) + 1 > budget:
            groups.append([])
            size = 0
        groups[-1].append(name)
        size += len(name) + 1
    return groups


def arg_budget() -> int:
    """Bytes of file arguments per command: half of what the OS allows after the environment."""
    try:
        limit = os.sysconf("SC_ARG_MAX")
    except (ValueError, OSError):
        limit = 128 * 1024
    environment = sum(len(key) + len(value) + 2 for key, value in os.environ.items())
    return max(32 * 1024, (limit - environment) // 2)


def time_validate_cold(store: Path, repeat: int) -> float:
    def once() -> float:
        shutil.rmtree(cache_dir(store), ignore_errors=True)
        seconds, output = run([formulactl_command(), "validate"], store)
        if " 0 findings" not in output:
            sys.exit(f"the generated store has findings:\n{output[-2000:]}")
        return seconds

    return best_of(repeat, once)


def time_validate_warm(store: Path, repeat: int) -> float:
    run([formulactl_command(), "validate"], store)  # make sure the cache is filled
    return best_of(repeat, lambda: run([formulactl_command(), "validate"], store)[0])


def time_check_jsonschema(store: Path, files: dict[str, list[str]]) -> tuple[float, int]:
    """Sum over kinds (and argument-list chunks) of check-jsonschema runs; also the run count."""
    executable = BIN / "check-jsonschema"
    if not executable.exists():
        executable = Path(shutil.which("check-jsonschema") or "check-jsonschema")
    total, runs = 0.0, 0
    for kind, names in files.items():
        for group in chunks(names, arg_budget()):
            args = [str(executable), "--schemafile", f"schemas/{kind}.schema.json", *group]
            seconds, _ = run(args, store)
            total += seconds
            runs += 1
    return total, runs


def time_bare_parse(store: Path, repeat: int, expected: int) -> float:
    def once() -> float:
        seconds, output = run([sys.executable, "-c", BARE_PARSE], store)
        if int(output.split()[0]) != expected:
            sys.exit(f"bare parse read {output.split()[0]} files, expected {expected}")
        return seconds

    return best_of(repeat, once)


def machine() -> dict[str, Any]:
    return {
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
    }


def report(results: dict[str, Any]) -> None:
    """Print the machine, the record counts and the table with ratios and targets."""
    m, s, r = results["machine"], results["seconds"], results["ratios"]
    print(f"\nmachine: {m['cores']} cores, {m['implementation']} {m['python']}, {m['platform']}")
    print(
        "records: "
        + ", ".join(f"{n} {k}" for k, n in results["records"].items())
        + f" ({sum(results['records'].values())} files)"
    )
    print(f"\n{'tool':<36}{'seconds':>10}")
    rows = [
        ("formulactl validate (cold cache)", s["formulactl_cold"]),
        ("formulactl validate (warm cache)", s["formulactl_warm"]),
        (f"check-jsonschema ({results['check_jsonschema_runs']} runs)", s["check_jsonschema"]),
        ("bare PyYAML CSafeLoader parse", s["bare_parse"]),
    ]
    for name, seconds in rows:
        print(f"{name:<36}{seconds:>10.2f}")

    print(f"\n{'measure':<36}{'value':>10}  target")
    checks = [
        ("check-jsonschema / formulactl cold", r["cjs_over_cold"], ">=", "cjs_over_cold"),
        ("formulactl cold / bare parse", r["cold_over_bare"], "<=", "cold_over_bare"),
        ("formulactl warm (seconds)", s["formulactl_warm"], "<=", "warm_seconds"),
    ]
    for name, value, sense, target in checks:
        limit = TARGETS[target]
        met = value >= limit if sense == ">=" else value <= limit
        print(f"{name:<36}{value:>10.2f}  {sense} {limit:g}  {'ok' if met else 'MISSED'}")


def benchmark(store: Path, repeat: int) -> dict[str, Any]:
    files = record_files(store)
    count = sum(len(names) for names in files.values())
    print(f"timing on {count} record files in {store} ...", flush=True)
    cold = time_validate_cold(store, repeat)
    warm = time_validate_warm(store, repeat)
    bare = time_bare_parse(store, repeat, count)
    print("running check-jsonschema once (slow) ...", flush=True)
    cjs, runs = time_check_jsonschema(store, files)
    return {
        "machine": machine(),
        "records": {kind: len(names) for kind, names in files.items()},
        "repeat": repeat,
        "check_jsonschema_runs": runs,
        "seconds": {
            "formulactl_cold": cold,
            "formulactl_warm": warm,
            "check_jsonschema": cjs,
            "bare_parse": bare,
        },
        "ratios": {"cjs_over_cold": cjs / cold, "cold_over_bare": cold / bare},
        "targets": TARGETS,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--formulas", type=int, default=10_000)
    parser.add_argument("--customers", type=int, help="default: formulas / 5")
    parser.add_argument("--materials", type=int, help="default: formulas * 3 / 10")
    parser.add_argument("--store", type=Path, help="reuse this generated store")
    parser.add_argument("--keep", type=Path, help="generate the store here and keep it")
    parser.add_argument("--repeat", type=int, default=3, help="best of N for the cheap runs")
    args = parser.parse_args()

    temporary = None
    if args.store:
        store = args.store.resolve()
    else:
        if args.keep:
            store = args.keep.resolve()
        else:
            temporary = tempfile.mkdtemp(prefix="formulactl-bench-")
            store = Path(temporary) / "store"
        started = time.perf_counter()
        customers = max(1, args.formulas // 5) if args.customers is None else args.customers
        materials = max(20, args.formulas * 3 // 10) if args.materials is None else args.materials
        counts = generate(store, args.formulas, customers, materials)
        print(f"generated {sum(counts.values())} records in {time.perf_counter() - started:.1f} s")
    try:
        results = benchmark(store, args.repeat)
    finally:
        if temporary:
            shutil.rmtree(temporary, ignore_errors=True)
    report(results)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"\nwritten to {OUT.relative_to(Path.cwd()) if OUT.is_relative_to(Path.cwd()) else OUT}")


if __name__ == "__main__":
    main()
