"""Time `backup --to DIR` (bundle, verify, restore drill with `audit verify`, the drill's
signed commit) against git doing the same copying alone plus formulactl's own history check,
and `report html` against a cold `validate` of the same store.

    .venv/bin/python bench/bench_backup_html.py                  # 10,000 signed commits
    .venv/bin/python bench/bench_backup_html.py --commits 2000   # quick run
    .venv/bin/python bench/bench_backup_html.py --store /tmp/history  # from generate_history.py

The store is generate_history.py's (every commit signed, so the drill passes). Every time is
the wall clock of a whole command as a subprocess, best of --repeat. Results go to
bench/out/backup_html.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import formulactl_command
from generate_history import ADMIN, KEYS_DIR, generate_history

OUT = Path(__file__).resolve().parent / "out" / "backup_html.json"


def timed(action: Callable[[], None], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - started)
    return best


def run(root: Path, *args: str) -> None:
    subprocess.run(args, cwd=root, check=True, capture_output=True)


def formulactl(root: Path, *args: str) -> None:
    run(root, *formulactl_command().split(), *args)


def clear_cache(root: Path) -> None:
    shutil.rmtree(root / ".git" / "formulactl", ignore_errors=True)


def git_copy(root: Path, scratch: Path) -> None:
    """What git alone does for a backup: bundle every ref, verify, clone it back."""
    bundle = scratch / "git.bundle"
    run(root, "git", "bundle", "create", "-q", str(bundle), "--all")
    run(root, "git", "bundle", "verify", "-q", str(bundle))
    clone = scratch / "clone"
    run(scratch, "git", "clone", "-q", str(bundle), str(clone))
    shutil.rmtree(clone)
    bundle.unlink()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--commits", type=int, default=10_000)
    parser.add_argument("--store", type=Path, help="an existing generate_history.py store")
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="formulactl-bench-backup-") as folder:
        scratch = Path(folder)
        root = options.store or scratch / "store"
        if options.store is None:
            print(f"generating {options.commits} signed commits …", flush=True)
            generate_history(root, options.commits)
        key = root / ".git" / KEYS_DIR / ADMIN.id
        formulactl(root, "setup-signing", "--key", str(key))
        backups = scratch / "backups"

        def backup() -> None:
            formulactl(root, "backup", "--to", str(backups))
            shutil.rmtree(backups)

        def html_cold() -> None:
            clear_cache(root)
            formulactl(root, "report", "html", "--output", str(scratch / "report.html"))

        def validate_cold() -> None:
            clear_cache(root)
            formulactl(root, "validate")

        def history_cold() -> None:
            clear_cache(root)
            formulactl(root, "validate", "--history")

        figures = {
            "git bundle + verify + clone": timed(lambda: git_copy(root, scratch), options.repeat),
            "validate --history, cold": timed(history_cold, options.repeat),
            "backup --to (with drill)": timed(backup, options.repeat),
            "validate, cold": timed(validate_cold, options.repeat),
            "report html, cold": timed(html_cold, options.repeat),
            "report html, warm": timed(
                lambda: formulactl(root, "report", "html", "--output", str(scratch / "r.html")),
                options.repeat,
            ),
        }
    floor = figures["git bundle + verify + clone"] + figures["validate --history, cold"]
    ratios = {
        "backup / (git copy + validate --history cold)": figures["backup --to (with drill)"]
        / floor,
        "report html cold / validate cold": figures["report html, cold"]
        / figures["validate, cold"],
        "report html warm / validate cold": figures["report html, warm"]
        / figures["validate, cold"],
    }
    for name, seconds in figures.items():
        print(f"{name:<46}{seconds:>8.2f} s")
    for name, ratio in ratios.items():
        print(f"{name:<46}{ratio:>8.2f}")
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(
        json.dumps(
            {
                "commits": options.commits,
                "seconds": figures,
                "ratios": ratios,
                "load": os.getloadavg(),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
