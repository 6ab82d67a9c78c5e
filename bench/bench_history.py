"""Time `formulactl validate --history` (cold and warm cache) against `git log %G?`, and the
audit commands (`log ID`, `audit verify`) against a plain `git log --name-only` walk.

    .venv/bin/python bench/bench_history.py                        # 10,000 signed commits
    .venv/bin/python bench/bench_history.py --commits 500          # quick run
    .venv/bin/python bench/bench_history.py --keep /tmp/history    # generate there and keep it
    .venv/bin/python bench/bench_history.py --store /tmp/history   # reuse a generated store

Every time is the wall clock of a whole command run as a subprocess, interpreter startup
included; the cold check and git are also given in CPU seconds (user + system of the command
and everything it started), which other work on a shared machine disturbs less. Both tools
judge every commit: formulactl must report 0 findings, git must say `G` for every commit,
and formulactl's own per-commit verdicts must agree with git's.
Results are printed as a table and written to bench/out/history.json.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_validate import best_of, cache_dir, machine, run
from formulactl.audit.history import History
from formulactl.store.store import Store
from generate import SEED, formulactl_command
from generate_history import KEYS_DIR, allowed_signers, generate_history

OUT = Path(__file__).resolve().parent / "out" / "history.json"
TARGETS = {"git_over_cold": 20.0}
SUMMARY = re.compile(r"(\d+) commits checked \((\d+) signed\), (\d+) findings")


def validate_history(store: Path, commits: int) -> float:
    """One `formulactl validate --history`; it must check every commit and find nothing."""
    seconds, output = run([formulactl_command(), "validate", "--history"], store)
    found = SUMMARY.search(output)
    if not found or found.groups() != (str(commits), str(commits), "0"):
        sys.exit(f"formulactl validate --history did not pass cleanly:\n{output[-2000:]}")
    return seconds


def children_cpu() -> float:
    """CPU seconds of every finished child so far (and of the processes they waited for)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def time_cold(store: Path, commits: int, repeat: int) -> tuple[float, float]:
    """The best wall-clock and the best CPU seconds of `repeat` runs with an emptied cache."""
    walls, cpus = [], []
    for _ in range(repeat):
        shutil.rmtree(cache_dir(store), ignore_errors=True)
        before = children_cpu()
        walls.append(validate_history(store, commits))
        cpus.append(children_cpu() - before)
    return min(walls), min(cpus)


def time_warm(store: Path, commits: int, repeat: int) -> float:
    validate_history(store, commits)  # make sure the cache is filled
    return best_of(repeat, lambda: validate_history(store, commits))


def git_verdicts(store: Path, signers: Path) -> tuple[float, float, dict[str, str]]:
    """`git log --format='%H %G?'`: git runs ssh-keygen for every commit. Wall and CPU
    seconds, and commit → letter."""
    config = f"gpg.ssh.allowedSignersFile={signers}"
    before = children_cpu()
    seconds, output = run(["git", "-c", config, "log", "--format=%H %G?"], store)
    cpu = children_cpu() - before
    letters = dict(line.split() for line in output.splitlines() if line.strip())
    return seconds, cpu, letters


def formulactl_verdicts(store: Path) -> tuple[float, dict[str, str]]:
    """formulactl's verdicts in-process, with an empty cache: `G` when the signature is good
    and its key belongs to the team of the commit's parent, else `B`."""
    started = time.perf_counter()
    letters: dict[str, str] = {}
    with (
        tempfile.TemporaryDirectory() as scratch,
        History(Store(store), cache_dir=Path(scratch)) as history,
    ):
        for commit in history.commits(["HEAD"]):
            good = commit.verdict.status == "good" and history.signer(commit) is not None
            letters[commit.id] = "G" if good else "B"
    return time.perf_counter() - started, letters


def compare(git: dict[str, str], ours: dict[str, str]) -> int:
    """Stop unless both saw the same commits, git says G for all, and formulactl agrees."""
    if set(git) != set(ours):
        sys.exit(f"git listed {len(git)} commits, formulactl {len(ours)}: not the same set")
    not_good = [commit for commit, letter in git.items() if letter != "G"]
    if not_good:
        sys.exit(f"git does not say G for {len(not_good)} commits, such as {not_good[0]}")
    disagree = [commit for commit in git if git[commit] != ours[commit]]
    if disagree:
        sys.exit(f"formulactl and git disagree on {len(disagree)} commits, such as {disagree[0]}")
    return len(git)


def busiest_record(store: Path) -> tuple[float, str]:
    """A plain `git log --name-only` walk (the floor for reading history) and the record it
    shows changed most often, for `formulactl log`."""
    seconds, output = run(["git", "log", "--format=", "--name-only"], store)
    counts: dict[str, int] = {}
    for line in output.splitlines():
        if line.startswith("records/") and line.endswith(".yaml"):
            counts[line] = counts.get(line, 0) + 1
    busiest = max(counts, key=lambda path: counts[path])
    return seconds, busiest.rsplit("/", 1)[1].removesuffix(".yaml")


def time_audit(store: Path, command: list[str], repeat: int) -> tuple[float, float]:
    """Cold (empty cache) and warm seconds of one formulactl audit command."""

    def cold() -> float:
        shutil.rmtree(cache_dir(store), ignore_errors=True)
        return run([formulactl_command(), *command], store)[0]

    cold_seconds = best_of(repeat, cold)
    run([formulactl_command(), *command], store)
    return cold_seconds, best_of(repeat, lambda: run([formulactl_command(), *command], store)[0])


def check_tree(store: Path) -> None:
    """The final tree passes `formulactl validate` too."""
    _, output = run([formulactl_command(), "validate"], store)
    if " 0 findings" not in output:
        sys.exit(f"the final tree has findings:\n{output[-2000:]}")


def benchmark(store: Path, repeat: int) -> dict[str, Any]:
    signers = allowed_signers(store, cache_dir(store).parent / KEYS_DIR / "allowed_signers")
    _, listed = run(["git", "rev-list", "--count", "HEAD"], store)
    commits = int(listed)
    check_tree(store)
    print(f"timing on {commits} signed commits in {store} ...", flush=True)
    load_before = os.getloadavg()[0]
    cold, cold_cpu = time_cold(store, commits, repeat)
    warm = time_warm(store, commits, repeat)
    in_process, ours = formulactl_verdicts(store)
    walk, record = busiest_record(store)
    log_cold, log_warm = time_audit(store, ["log", record], repeat)
    audit_cold, audit_warm = time_audit(store, ["audit", "verify"], repeat)
    print("running git log --format='%H %G?' once (one ssh-keygen per commit, slow) ...")
    git_seconds, git_cpu, theirs = git_verdicts(store, signers)
    agreed = compare(theirs, ours)
    return {
        "machine": machine(),
        # Other work on the machine slows git's thousands of ssh-keygen processes most.
        "load_average": {"before": load_before, "after": os.getloadavg()[0]},
        "commits": commits,
        "verdicts_agreed": agreed,
        "repeat": repeat,
        "seconds": {
            "formulactl_cold": cold,
            "formulactl_cold_cpu": cold_cpu,
            "formulactl_warm": warm,
            "formulactl_verdicts_in_process": in_process,
            "git_log_signatures": git_seconds,
            "git_log_signatures_cpu": git_cpu,
            "git_log_name_only": walk,
            "log_record_cold": log_cold,
            "log_record_warm": log_warm,
            "audit_verify_cold": audit_cold,
            "audit_verify_warm": audit_warm,
        },
        "log_record": record,
        "ratios": {
            "git_over_cold": git_seconds / cold,
            "git_over_cold_cpu": git_cpu / cold_cpu,
            "git_over_warm": git_seconds / warm,
            "log_warm_over_walk": log_warm / walk,
            "audit_cold_over_walk": audit_cold / walk,
            "audit_warm_over_walk": audit_warm / walk,
        },
        "targets": TARGETS,
    }


def report(results: dict[str, Any]) -> None:
    """Print the machine, the history size and the table with the ratio and its target."""
    m, s, r = results["machine"], results["seconds"], results["ratios"]
    print(f"\nmachine: {m['cores']} cores, {m['implementation']} {m['python']}, {m['platform']}")
    load = results["load_average"]
    print(f"load average (1 min): {load['before']:.2f} before, {load['after']:.2f} after")
    print(
        f"history: {results['commits']} SSH-signed commits; git and formulactl agree on "
        f"{results['verdicts_agreed']} verdicts (all good), formulactl: 0 findings"
    )
    print(f"\n{'tool':<44}{'seconds':>10}")
    rows = [
        ("formulactl validate --history (cold cache)", s["formulactl_cold"]),
        ("  the same, CPU seconds", s["formulactl_cold_cpu"]),
        ("formulactl validate --history (warm cache)", s["formulactl_warm"]),
        ("formulactl verdicts in-process (no cache)", s["formulactl_verdicts_in_process"]),
        ("git log --format='%H %G?'", s["git_log_signatures"]),
        ("  the same, CPU seconds", s["git_log_signatures_cpu"]),
    ]
    for name, seconds in rows:
        print(f"{name:<44}{seconds:>10.2f}")
    limit = TARGETS["git_over_cold"]
    met = "ok" if r["git_over_cold"] >= limit else "MISSED"
    print(f"\n{'measure':<44}{'value':>10}  target")
    print(f"{'git log / formulactl cold':<44}{r['git_over_cold']:>10.1f}  >= {limit:g}  {met}")
    print(f"{'git log / formulactl cold, CPU seconds':<44}{r['git_over_cold_cpu']:>10.1f}")
    print(f"{'git log / formulactl warm':<44}{r['git_over_warm']:>10.1f}")
    print(f"\n{'audit (' + results['log_record'] + ')':<44}{'seconds':>10}  target")
    audit_rows = [
        ("git log --name-only (plain walk)", s["git_log_name_only"], ""),
        ("formulactl log ID (cold cache)", s["log_record_cold"], ""),
        ("formulactl log ID (warm cache)", s["log_record_warm"], "< 1 s"),
        ("formulactl audit verify (cold cache)", s["audit_verify_cold"], ""),
        ("formulactl audit verify (warm cache)", s["audit_verify_warm"], "< 2 s"),
    ]
    for name, seconds, target in audit_rows:
        print(f"{name:<44}{seconds:>10.2f}  {target}")
    print(f"{'audit verify cold / plain walk':<44}{r['audit_cold_over_walk']:>10.1f}")
    print(f"{'audit verify warm / plain walk':<44}{r['audit_warm_over_walk']:>10.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--commits", type=int, default=10_000)
    parser.add_argument("--records", type=int, help="default: commits / 25, at least 12")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--store", type=Path, help="reuse this generated store")
    parser.add_argument("--keep", type=Path, help="generate the store here and keep it")
    parser.add_argument("--repeat", type=int, default=3, help="best of N for formulactl runs")
    args = parser.parse_args()

    temporary, generated = None, None
    if args.store:
        store = args.store.resolve()
    else:
        if args.keep:
            store = args.keep.resolve()
        else:
            temporary = tempfile.mkdtemp(prefix="formulactl-bench-history-")
            store = Path(temporary) / "store"
        started = time.perf_counter()
        summary = generate_history(store, args.commits, args.records, args.seed)
        generated = dict(summary, seconds=time.perf_counter() - started)
        print(
            f"generated {summary['commits']} signed commits over "
            f"{sum(summary['records'].values())} records in "
            f"{time.perf_counter() - started:.1f} s (HEAD {summary['head'][:12]})"
        )
    try:
        results = benchmark(store, args.repeat)
    finally:
        if temporary:
            shutil.rmtree(temporary, ignore_errors=True)
    if generated:
        results["generated"] = generated
    report(results)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"\nwritten to {OUT.relative_to(Path.cwd()) if OUT.is_relative_to(Path.cwd()) else OUT}")


if __name__ == "__main__":
    main()
