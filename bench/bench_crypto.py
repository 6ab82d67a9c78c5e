"""Time sealing and opening confidential fields against the floor of age itself.

    .venv/bin/python bench/bench_crypto.py                 # 10,000 formulas
    .venv/bin/python bench/bench_crypto.py --formulas 500  # quick run

Two measures, both in one process with records already parsed (parsing is measured by
bench_validate.py):
- opening every sealed formula of a store (open every percentage and check it against its
  commitment) against the floor of one pyrage decryption per record (the unwrap alone):
  the first time, unwrapping each data key, and again, with the data keys this reader's
  keyring kept (reading the keyring counted); and the format floor: that decryption plus
  one ChaCha20-Poly1305 decryption and one sha256 per value, everything taken apart
  beforehand. The one-core figures are CPU time, measured in alternating blocks of 100
  records, so that a machine shared with other work gives the same ratios; every core is
  wall clock (a first opening);
- sealing a record with 20 confidential values (a new data key, 20 sealed values, the key
  wrapped for each reader) against one age encryption to the same readers.
Results are printed and written to bench/out/crypto.json.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pyrage

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_validate import cpu_in_blocks, machine
from formulactl.crypto import crypto
from formulactl.crypto.confidential import readers, sealed_in
from formulactl.crypto.keyring import Keyring
from formulactl.crypto.sealing import data_key, open_secrets, seal
from formulactl.model.sealed import place
from formulactl.model.settings import Settings
from formulactl.model.team import Team
from formulactl.parallel import parallel_map
from formulactl.store.store import DEFAULT_SETTINGS, Store
from generate import SEED

BLOCK = 100  # records per timed block
OUT = Path(__file__).resolve().parent / "out" / "crypto.json"
TARGETS = {
    "open_kept_over_floor": 1.2,
    "open_every_core_over_floor": 1.2,
    "seal_over_one_age_encryption": 2.0,
}


def keys(folder: Path) -> tuple[Team, crypto.Identity, str]:
    """Two readers with throwaway ed25519 keys and an age recovery identity."""
    people = []
    for name in ("zhang.min", "chen.jing"):
        path = folder / name
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True)
        public = " ".join(path.with_name(name + ".pub").read_text().split()[:2])
        people.append(
            {
                "id": name,
                "name": name,
                "email": f"{name}@example.com",
                "roles": ["entry", "approver"],
                "keys": [{"key": public}],
            }
        )
    _secret, recovery = crypto.new_identity()
    team = Team.from_data({"people": people})
    return team, crypto.load_identity(folder / "zhang.min"), recovery


def formula(rng: random.Random, number: int, lines: int) -> dict[str, Any]:
    percents = [rng.randint(1, 10) for _ in range(lines)]
    scale = 100 / sum(percents)
    return {
        "id": f"F-{number:06d}",
        "customer": "C-00001",
        "product": f"P{number}",
        "version": 1,
        "status": "approved",
        "basis": "mass",
        "review_due": "2027-11-23",
        "ingredients": [
            {"material": f"M-{index:05d}", "percent": round(p * scale, 4)}
            for index, p in enumerate(percents, start=1)
        ],
    }


def bare_values(
    settings: Settings, schema: Any, data: dict[str, Any]
) -> list[tuple[bytes, bytes, bytes, bytes]]:
    """A record's sealed values taken apart ahead of time (nonce, ciphertext, associated
    data, commitment framing): what the format itself makes opening do per value."""
    bare = []
    for _parent, _slot, name, value in sealed_in(schema, data):
        _tag, key_id, commitment, _check, body = value.split(":")
        where = place(settings.store_id, data["id"], name)
        raw = base64.b64decode(body)
        aad = b"fcx2\0" + where + f"\0{key_id}\0{commitment}".encode()
        framing = b"fcx2-commitment\0" + len(where).to_bytes(4, "big") + where
        bare.append((raw[:12], raw[12:], aad, framing))
    return bare


def open_bare(key: crypto.DataKey | None, bare: list[tuple[bytes, bytes, bytes, bytes]]) -> None:
    """The format floor: one ChaCha20-Poly1305 decryption and one sha256 per value, nothing
    parsed, found, copied or decoded."""
    assert key is not None
    decrypt, sha256 = key.cipher.decrypt, hashlib.sha256
    for nonce, ciphertext, aad, framing in bare:
        sha256(framing + decrypt(nonce, ciphertext, aad)).digest()


def schema_and_settings(folder: Path, recovery: str) -> tuple[Any, Settings, Store]:
    subprocess.run(
        [sys.executable, "-m", "formulactl", "init", str(folder / "store"), "--recovery", recovery],
        check=True,
        capture_output=True,
    )
    store = Store(folder / "store")
    data = dict(DEFAULT_SETTINGS, store_id=store.settings.store_id)
    data["encryption"] = dict(data["encryption"], recovery=recovery)
    return store.schema("formula"), Settings.from_data(data), store


def benchmark(formulas: int) -> dict[str, Any]:
    rng = random.Random(SEED)
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        team, identity, recovery = keys(folder)
        schema, settings, store = schema_and_settings(folder, recovery)
        sealed = [
            seal(settings, team, schema, f"F-{n:06d}", formula(rng, n, rng.randint(5, 20)))
            for n in range(1, formulas + 1)
        ]

        def open_one(data: dict[str, Any], keyring: Keyring | None = None) -> dict[str, Any]:
            key = data_key(data["id"], data, [identity], keyring)
            return open_secrets(settings, schema, data["id"], data, key)

        learning = Keyring.of(store, [identity])
        assert learning is not None
        for data in sealed:  # a first run: every data key unwrapped, and kept
            open_one(data, learning)
        learning.save()
        started = time.process_time()
        keyring = Keyring.of(store, [identity])  # a later run reads the keyring once
        kept = time.process_time() - started
        assert keyring is not None and len(keyring.known) == formulas

        mine = [data["encryption"]["recipients"]["zhang.min"].split(":")[1] for data in sealed]
        bare = [bare_values(settings, schema, data) for data in sealed]
        floor, opening, kept_opening, format_floor = cpu_in_blocks(
            formulas,
            BLOCK,
            [
                lambda n: crypto.unwrap("floor", mine[n], [identity.secret]),
                lambda n: open_one(sealed[n]),
                lambda n: open_one(sealed[n], keyring),
                lambda n: open_bare(crypto.unwrap("floor", mine[n], [identity.secret]), bare[n]),
            ],
        )
        kept += kept_opening
        started = time.perf_counter()
        parallel_map(open_one, sealed)
        opening_all_cores = time.perf_counter() - started
        started = time.perf_counter()
        for wrapped in mine:
            crypto.unwrap("floor", wrapped, [identity.secret])
        floor_wall = time.perf_counter() - started

        twenty = formula(rng, 999_999, 20)
        wanted = readers(settings, team, "formula", twenty["id"], twenty)
        everyone = [crypto.recipient(text) for texts in wanted.values() for text in texts]
        rounds = 200
        started = time.perf_counter()
        for _ in range(rounds):
            seal(settings, team, schema, twenty["id"], twenty)
        sealing = (time.perf_counter() - started) / rounds
        started = time.perf_counter()
        for _ in range(rounds):
            pyrage.encrypt(b"\0" * 32, everyone)
        one_age = (time.perf_counter() - started) / rounds
    return {
        "machine": machine(),
        "formulas": formulas,
        "readers": sorted(wanted),
        "seconds": {
            "open_all": opening,
            "open_all_kept": kept,
            "open_all_every_core": opening_all_cores,
            "floor_unwrap_all": floor,
            "format_floor_all": format_floor,
            "floor_unwrap_all_wall": floor_wall,
            "seal_20_values": sealing,
            "one_age_encryption": one_age,
        },
        "ratios": {
            "open_over_floor": opening / floor,
            "open_kept_over_floor": kept / floor,
            "format_floor_over_floor": format_floor / floor,
            "open_every_core_over_floor": opening_all_cores / floor_wall,
            "seal_over_one_age_encryption": sealing / one_age,
        },
        "targets": TARGETS,
    }


def report(results: dict[str, Any]) -> None:
    s, r = results["seconds"], results["ratios"]
    print(f"\n{results['formulas']} sealed formulas, readers: {', '.join(results['readers'])}")
    print(f"\n{'measure':<52}{'seconds':>10}")
    print(f"{'open every formula (unwrap + open every percent)':<52}{s['open_all']:>10.3f}")
    print(f"{'  again, data keys from the keyring':<52}{s['open_all_kept']:>10.3f}")
    print(f"{'  the same on every core':<52}{s['open_all_every_core']:>10.3f}")
    print(f"{'floor: one pyrage decryption per formula':<52}{s['floor_unwrap_all']:>10.3f}")
    print(
        f"{'format floor: + one AEAD and one sha256 per value':<52}{s['format_floor_all']:>10.3f}"
    )
    print(f"{'seal one record with 20 confidential values':<52}{s['seal_20_values']:>10.5f}")
    print(f"{'one age encryption to the same readers':<52}{s['one_age_encryption']:>10.5f}")
    print(f"\n{'ratio':<52}{'value':>10}  target")
    for name, label in (
        ("open_over_floor", "open the first time / floor (one core)"),
        ("open_kept_over_floor", "open again, keys kept / floor (one core)"),
        ("format_floor_over_floor", "format floor / floor (one core)"),
        ("open_every_core_over_floor", "open on every core / floor (wall clock)"),
        ("seal_over_one_age_encryption", "seal 20 values / one age encryption"),
    ):
        if name not in TARGETS:
            print(f"{label:<52}{r[name]:>10.2f}  (for comparison)")
            continue
        ok = "ok" if r[name] <= TARGETS[name] else "MISSED"
        print(f"{label:<52}{r[name]:>10.2f}  <= {TARGETS[name]:g}  {ok}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--formulas", type=int, default=10_000)
    results = benchmark(parser.parse_args().formulas)
    report(results)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwritten to {OUT.relative_to(Path.cwd()) if OUT.is_relative_to(Path.cwd()) else OUT}")


if __name__ == "__main__":
    main()
