"""Start-up: `formulactl --help` and a warm `validate` of the sample store, each against the
floor of starting Python with typer and rich imported, measured pair by pair in one run.

    .venv/bin/python bench/bench_startup.py [--runs 15]

Targets (issue 11): --help at most 1.3× the floor, a warm validate of a small store at
most 2×. Results are printed and written to bench/out/startup.json.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent
TOOLS = Path(sys.executable).parent


def timed(command: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, capture_output=True, check=True)
    return time.perf_counter() - start


def paired(first: list[str], second: list[str], cwd: Path, runs: int) -> dict[str, float]:
    """Median seconds of each and the median of their ratios, run A B A B … after a warm-up."""
    timed(first, cwd), timed(second, cwd)
    a, b = [], []
    for _ in range(runs):
        a.append(timed(first, cwd))
        b.append(timed(second, cwd))
    ratios = [x / y for x, y in zip(a, b, strict=True)]
    return {
        "seconds": statistics.median(a),
        "floor_seconds": statistics.median(b),
        "ratio": statistics.median(ratios),
    }


def sample_store(folder: Path) -> Path:
    """A plain copy of this repository's sample store (its own git repository)."""
    store = folder / "store"
    store.mkdir()
    for name in ("formulactl.yaml", "team.yaml"):
        shutil.copy(PROJECT / name, store / name)
    for name in ("records", "schemas"):
        shutil.copytree(PROJECT / name, store / name)
    subprocess.run(["git", "init", "-q", str(store)], check=True)
    subprocess.run(["git", "-C", str(store), "add", "-A"], check=True)
    return store


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    runs = parser.parse_args().runs
    floor = [sys.executable, "-c", "import typer, rich"]
    formulactl = str(TOOLS / "formulactl")
    with tempfile.TemporaryDirectory() as folder:
        store = sample_store(Path(folder))
        subprocess.run([formulactl, "validate"], cwd=store, capture_output=True, check=False)
        results = {
            "help": paired([formulactl, "--help"], floor, store, runs),
            "validate_warm": paired([formulactl, "validate"], floor, store, runs),
        }
    for name, result in results.items():
        print(
            f"{name:<14} {result['seconds']:.3f} s, floor {result['floor_seconds']:.3f} s, "
            f"ratio {result['ratio']:.2f}×"
        )
    out = HERE / "out"
    out.mkdir(exist_ok=True)
    (out / "startup.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
