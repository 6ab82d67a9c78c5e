"""Start-up: `formulactl --help` and a warm `validate` of the sample store, each against the
floor of starting Python with typer and rich imported, measured pair by pair in one run; and
completing a record ID (bash, the way the completion script asks) in a store of 10,000
formulas.

    .venv/bin/python bench/bench_startup.py [--runs 15] [--records 10000]

Targets (issue 11): --help at most 1.3× the floor, a warm validate of a small store at
most 2×; (issue 16) completion of a record ID in a 10k store under 0.2 s. Completion lists
`records/`'s folders and parses nothing, so that store holds 10,000 record files that are
never read.
Results are printed and written to bench/out/startup.json.
"""

from __future__ import annotations

import argparse
import json
import os
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


# As installed: Python keeps compiled bytecode (a session with PYTHONDONTWRITEBYTECODE set
# would compile formulactl's modules on every start, and time the compiler).
USER_ENV = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}


def timed(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, capture_output=True, check=True, env=env or USER_ENV)
    return time.perf_counter() - start


def paired(
    first: list[str], second: list[str], cwd: Path, runs: int, env: dict[str, str] | None = None
) -> dict[str, float]:
    """Median seconds of each and the median of their ratios, run A B A B … after a warm-up
    (`env` for the first command only)."""
    timed(first, cwd, env), timed(second, cwd)
    a, b = [], []
    for _ in range(runs):
        a.append(timed(first, cwd, env))
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


def listed_store(folder: Path, count: int) -> Path:
    """A store whose records/ holds `count` formula files in git's index (never parsed)."""
    store = folder / "listed"
    subprocess.run([str(TOOLS / "formulactl"), "init", str(store)], check=True, capture_output=True)
    formulas = store / "records" / "formulas"
    for n in range(1, count + 1):
        (formulas / f"F-{n:06d}.yaml").write_text(f"id: F-{n:06d}\nversion: 3\n")
    subprocess.run(["git", "-C", str(store), "add", "records"], check=True)
    return store


def completion_env(words: str) -> dict[str, str]:
    """What the bash completion script sets when Tab is pressed after `words`."""
    return {
        **USER_ENV,
        "_FORMULACTL_COMPLETE": "complete_bash",
        "COMP_WORDS": words,
        "COMP_CWORD": str(len(words.split(" ")) - 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--records", type=int, default=10_000)
    options = parser.parse_args()
    runs = options.runs
    floor = [sys.executable, "-c", "import typer, rich"]
    formulactl = str(TOOLS / "formulactl")
    with tempfile.TemporaryDirectory() as folder:
        store = sample_store(Path(folder))
        subprocess.run(
            [formulactl, "validate"], cwd=store, capture_output=True, check=False, env=USER_ENV
        )
        listed = listed_store(Path(folder), options.records)
        asked = completion_env("formulactl show F-00012")
        results = {
            "help": paired([formulactl, "--help"], floor, store, runs),
            "validate_warm": paired([formulactl, "validate"], floor, store, runs),
            "complete_id_10k": paired([formulactl], floor, listed, runs, asked),
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
