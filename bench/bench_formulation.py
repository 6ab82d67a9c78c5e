"""Time formula work on a large store of sealed formulas against the floor of age itself.

    .venv/bin/python bench/bench_formulation.py                  # 10,000 formulas
    .venv/bin/python bench/bench_formulation.py --formulas 2000  # quicker run

Measures (ratios in one run):
- bulk opening of every formula (as `list formula --decrypt --json` does), one core and
  every core, against one pyrage decryption per formula: the first time (each data key
  unwrapped), with the keys kept (from this reader's keyring, reading it counted) and
  again (each formula recalled from the keyring as it opened); on one core in CPU seconds,
  measured in alternating blocks against the floor's own CPU seconds;
- `list formula --decrypt --json` end to end, warm, pinned to one core and on every core,
  best of three (wall and CPU), against the same floor;
- `substitute --dry-run` in one process for a material that every formula uses, against
  the same floor, one core and every core, with the keys kept and the first time;
- `scale`, `cost`, `check`, `declare` on one formula, end to end (process start included),
  warm (after one run), best of five, wall and CPU, with and without --draft.
Results are printed and written to bench/out/formulation.json.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import formulactl.parallel
from bench_validate import cpu_in_blocks, machine
from formulactl.cli.root import collect_seldom
from formulactl.crypto import crypto
from formulactl.crypto.keyring import Keyring
from formulactl.crypto.opening import open_many, open_or_why, open_record
from formulactl.crypto.sealing import seal
from formulactl.formulation.source import Reader
from formulactl.formulation.substitution import plan_substitution
from formulactl.store import yamlio
from formulactl.store.query import records_cache, select_records
from formulactl.store.store import Store
from generate import GIT_IDENTITY, generate

OUT = Path(__file__).resolve().parent / "out" / "formulation.json"
COMMON = "M-00001"  # put on every formula, so substitute touches them all
BLOCK = 100  # records per timed block of the one-core opening measures
TARGETS = {
    "bulk_open_one_core_kept_over_floor": 1.2,
    "list_decrypt_json_one_core_over_floor": 1.2,
    "substitute_over_floor": 1.5,
    "substitute_one_core_over_floor": 1.5,
    "command_seconds": 0.3,
}


def team_and_keys(root: Path) -> Path:
    """Two readers with throwaway keys and a recovery recipient; sealing required."""
    people = []
    for name in ("zhang.min", "chen.jing"):
        key = root.parent / name
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
        public = " ".join(key.with_name(name + ".pub").read_text().split()[:2])
        people.append(
            {
                "id": name,
                "name": name,
                "email": f"{name}@example.com",
                "roles": ["entry", "approver"],
                "keys": [{"key": public}],
            }
        )
    store = Store(root)
    (root / "team.yaml").write_text(
        yamlio.dump({"people": people}, store.schema("team").shape), encoding="utf-8"
    )
    settings = yamlio.load_record((root / "formulactl.yaml").read_bytes(), "s", 1 << 20)
    _secret, recovery = crypto.new_identity()
    settings["encryption"] = dict(settings["encryption"], require=True, recovery=recovery)
    (root / "formulactl.yaml").write_text(
        yamlio.dump(settings, store.schema("settings").shape), encoding="utf-8"
    )
    return root.parent / "zhang.min"


def seal_formulas(root: Path) -> int:
    """Every formula gets the common material as its first line, then is sealed."""
    store = Store(root)
    schema = store.schema("formula")
    count = 0
    for record_id in store.ids("formula"):
        record = store.load(record_id)
        lines = [line for line in record.data["ingredients"] if line["material"] != COMMON]
        first = lines[0]
        lines.insert(0, {"material": COMMON, "percent": first["percent"]})
        first["percent"] = 0.0
        data = dict(record.data, ingredients=lines)
        data.pop("encryption", None)
        sealed = seal(store.settings, store.team, schema, record_id, data)
        store.write_text(record.path, yamlio.dump(sealed, schema.shape))
        count += 1
    subprocess.run(["git", "-C", str(root), "add", "-A"], check=True)
    subprocess.run(
        ["git", "-C", str(root), *GIT_IDENTITY, "commit", "-q", "--no-verify", "-m", "sealed"],
        check=True,
    )
    return count


def timed(action: Any) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def opening_cpu(
    store: Store, records: list[Any], identity: crypto.Identity, wrapped: list[str]
) -> tuple[float, float, float, float]:
    """CPU seconds of the floor, of opening every formula the first time, of opening them
    with the data keys kept and of recalling them as they opened (reading the keyring
    counted for both), in alternating blocks of BLOCK records, so that a machine shared
    with other work weighs on the four alike."""
    started = time.process_time()
    keyring = Keyring.of(store, [identity])
    reading = time.process_time() - started
    assert keyring is not None and len(keyring.opened) == len(records)
    floor, first, kept, recalled = cpu_in_blocks(
        len(records),
        BLOCK,
        [
            lambda n: crypto.unwrap("floor", wrapped[n], [identity.secret]),
            lambda n: open_record(store, records[n], [identity]),
            lambda n: open_record(store, records[n], [identity], keyring),
            lambda n: open_or_why(store, records[n], [identity], keyring),
        ],
    )
    return floor, first, reading + kept, reading + recalled


def warm_env(key: Path) -> dict[str, str]:
    """As installed: compiled bytecode kept (PYTHONDONTWRITEBYTECODE would time the
    compiler), the reader's identity set."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["FORMULACTL_IDENTITY"] = str(key)
    return env


def run_seconds(
    args: list[str], env: dict[str, str], cores: set[int] | None
) -> tuple[float, float]:
    """(wall, CPU of the process and its workers) of one run, pinned to `cores` if given."""
    pin = None if cores is None else (lambda: os.sched_setaffinity(0, cores))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = timed(
        lambda: subprocess.run(
            args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=pin
        )
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def list_seconds(root: Path, key: Path) -> dict[str, float]:
    """`list formula --decrypt --json`, warm, best of three, on one core and on every core."""
    env = warm_env(key)
    args = [sys.executable, "-m", "formulactl", "list", "formula", "--decrypt", "--json"]
    args += ["--store", str(root)]
    run_seconds(args, env, None)
    found = {}
    for name, cores in (("one_core", {min(os.sched_getaffinity(0))}), ("every_core", None)):
        runs = [run_seconds(args, env, cores) for _run in range(3)]
        found[f"list_decrypt_json_{name}"] = min(wall for wall, _cpu in runs)
        found[f"list_decrypt_json_{name}_cpu"] = min(cpu for _wall, cpu in runs)
    return found


def command_seconds(root: Path, key: Path) -> dict[str, float]:
    """Each report on one formula, end to end, warm (after one run): the best wall time and
    the best CPU time (this process's children) of five runs, on the latest approved version
    (found from history, the default) and with --draft (the file as it is)."""
    env = warm_env(key)
    found = {}
    for command in ("scale", "cost", "check", "declare"):
        for draft in ([], ["--draft"]):
            args = [sys.executable, "-m", "formulactl", command, "F-000001", *draft]
            args += ["--store", str(root)]
            subprocess.run(args, env=env, capture_output=True, check=False)
            walls, cpus = [], []
            for _run in range(5):
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                walls.append(
                    timed(
                        lambda args=args: subprocess.run(
                            args, env=env, capture_output=True, check=False
                        )
                    )
                )
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
            name = f"{command}{'_draft' if draft else ''}"
            found[f"{name}_one_formula"] = min(walls)
            found[f"{name}_one_formula_cpu"] = min(cpus)
    return found


def benchmark(formulas: int) -> dict[str, Any]:
    collect_seldom()  # as the `formulactl` command does
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch) / "store"
        generate(root, formulas, max(1, formulas // 5), max(30, formulas * 3 // 10))
        key = team_and_keys(root)
        seal_formulas(root)
        store = Store(root)
        identity = crypto.load_identity(key)
        records = select_records(store, "formula", [], records_cache(store)).records
        wrapped = [r.data["encryption"]["recipients"]["zhang.min"].split(":")[1] for r in records]
        # The floor's best of three: the ratios against it are then the conservative ones.
        floor = min(
            timed(lambda: [crypto.unwrap("floor", w, [identity.secret]) for w in wrapped])
            for _run in range(3)
        )
        every_core = timed(lambda: open_many(store, records, [identity]))  # keeps the keys
        floor_cpu, one_core, one_core_kept, one_core_recalled = opening_cpu(
            store, records, identity, wrapped
        )

        def substitution() -> None:
            reader = Reader(store, [identity])
            plan_substitution(reader, COMMON, "M-00002", Decimal(1), [], to_write=False)

        substitution()  # warms the caches
        substitute = timed(substitution)
        every, formulactl.parallel.WORTH_IT = formulactl.parallel.WORTH_IT, 1 << 62
        substitute_one_core = timed(substitution)
        formulactl.parallel.WORTH_IT = every
        for keyring in store.cache_dir.glob("keys-*"):
            keyring.unlink()
        substitute_first = timed(substitution)
        commands = command_seconds(root, key) | list_seconds(root, key)
    return {
        "machine": machine(),
        "formulas": formulas,
        "seconds": {
            "floor_one_decryption_per_formula": floor,
            "floor_one_decryption_per_formula_cpu": floor_cpu,
            "bulk_open_one_core": one_core,
            "bulk_open_one_core_kept": one_core_kept,
            "bulk_open_one_core_recalled": one_core_recalled,
            "bulk_open_every_core": every_core,
            "substitute_dry_run": substitute,
            "substitute_dry_run_one_core": substitute_one_core,
            "substitute_dry_run_first_time": substitute_first,
            **commands,
        },
        "ratios": {
            "bulk_open_one_core_over_floor": one_core / floor_cpu,
            "bulk_open_one_core_kept_over_floor": one_core_kept / floor_cpu,
            "bulk_open_one_core_recalled_over_floor": one_core_recalled / floor_cpu,
            "bulk_open_every_core_over_floor": every_core / floor,
            "list_decrypt_json_one_core_over_floor": commands["list_decrypt_json_one_core"] / floor,
            "list_decrypt_json_one_core_cpu_over_floor": commands["list_decrypt_json_one_core_cpu"]
            / floor,
            "list_decrypt_json_every_core_over_floor": commands["list_decrypt_json_every_core"]
            / floor,
            "substitute_over_floor": substitute / floor,
            "substitute_one_core_over_floor": substitute_one_core / floor,
            "substitute_first_time_over_floor": substitute_first / floor,
        },
        "targets": TARGETS,
    }


def report(results: dict[str, Any]) -> None:
    print(f"\n{results['formulas']} sealed formulas")
    for name, value in results["seconds"].items():
        limit = TARGETS["command_seconds"]
        verdict = f"  target < {limit:g} s {'ok' if value < limit else 'MISSED'}"
        print(f"{name:<44}{value:>10.3f} s{verdict if name.endswith('_one_formula') else ''}")
    for name, value in results["ratios"].items():
        target = TARGETS.get(name)
        verdict = (
            ""
            if target is None
            else f"  target <= {target:g} {'ok' if value <= target else 'MISSED'}"
        )
        print(f"{name:<44}{value:>10.2f}{verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--formulas", type=int, default=10_000)
    results = benchmark(parser.parse_args().formulas)
    report(results)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
