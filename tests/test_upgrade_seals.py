"""Stores sealed before commitments existed: `validate` asks for the upgrade, an admin's
`upgrade-seals` gives every value a commitment under the same key, and history accepts that
one commit only when it changed nothing but the sealed-value format."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Any

import pytest

from conftest import Invoke, Member, act_as, findings, git, raw, write_raw
from formulactl.crypto import crypto
from formulactl.crypto.confidential import secrets_in
from formulactl.crypto.sealing import data_key, open_secrets
from formulactl.model.sealed import is_legacy, is_sealed, parse, place
from formulactl.store.store import Store

FORMULA = "formulas/F-000001.yaml"


def legacy_value(key: crypto.DataKey, where: bytes, value: Any) -> str:
    """A value as formulactl sealed it before commitments: `fcx1`, JSON, no salt."""
    nonce = os.urandom(12)
    aad = b"fcx1\0" + where + b"\0" + key.id.encode()
    plain = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
    body = base64.urlsafe_b64encode(nonce + key.cipher.encrypt(nonce, plain, aad))
    return f"fcx1:{key.id}:{body.decode().rstrip('=')}"


def amend_as(root: Path, signer: Member) -> None:
    """Stage everything into the last commit, signed again by `signer`."""
    git(root, "add", "-A")
    git(root, "-c", f"user.signingkey={signer.key}", "commit", "-q", "--amend", "--no-edit", "-S")


@pytest.fixture
def recovery(tmp_path: Path) -> Path:
    return tmp_path / "recovery-identity.txt"


@pytest.fixture
def legacy_store(signed_store: Store, team_keys: dict[str, Member], recovery: Path) -> Store:
    """The signed store as an older formulactl made it: its import sealed values as fcx1."""
    identity = crypto.load_identity(recovery)
    for path in sorted((signed_store.root / "records").glob("*/*.yaml")):
        name = f"{path.parent.name}/{path.name}"
        data = raw(signed_store, name)
        if "encryption" not in data:
            continue
        record_id = str(data["id"])
        schema = signed_store.schema(signed_store.kind_of(record_id))
        key = data_key(record_id, data, [identity])
        plain = open_secrets(signed_store.settings, schema, record_id, data, key)
        for secret, opened in zip(secrets_in(schema, data), secrets_in(schema, plain), strict=True):
            where = place(signed_store.settings.store_id, record_id, secret.name)
            secret.parent[secret.slot] = legacy_value(key, where, opened.value)
        write_raw(signed_store, name, data)
    amend_as(signed_store.root, team_keys["chen.jing"])  # the founding import, as it was
    return signed_store


def sealed_values(store: Store) -> list[str]:
    data = raw(store, FORMULA)
    return [line["percent"] for line in data["ingredients"] if is_sealed(line["percent"])]


def upgraded(store: Store, invoke: Invoke, admin: Member, recovery: Path) -> None:
    act_as(store, admin)
    done = invoke("upgrade-seals", "--identity", recovery, cwd=store.root)
    assert done.code == 0, done.err


def test_a_store_sealed_before_commitments_is_told_to_upgrade(
    legacy_store: Store, invoke: Invoke
) -> None:
    assert all(is_legacy(value) for value in sealed_values(legacy_store))
    found = json.loads(invoke("validate", "--json", cwd=legacy_store.root).out)
    assert {f["rule"] for f in found} == {"sealed-format"}
    assert "formulactl upgrade-seals" in found[0]["hint"]
    assert findings(invoke, legacy_store) == (0, [])


def test_upgrade_seals_gives_every_value_a_commitment_that_history_accepts(
    legacy_store: Store, invoke: Invoke, team_keys: dict[str, Member], recovery: Path
) -> None:
    key_id = raw(legacy_store, FORMULA)["encryption"]["key_id"]
    upgraded(legacy_store, invoke, team_keys["chen.jing"], recovery)
    assert all(parse(value) is not None for value in sealed_values(legacy_store))
    assert raw(legacy_store, FORMULA)["encryption"]["key_id"] == key_id
    assert git(legacy_store.root, "log", "-1", "--format=%(trailers:key=Formulactl-Action)") == (
        "Formulactl-Action: upgrade-seals"
    )
    assert invoke("validate", cwd=legacy_store.root).code == 0
    assert findings(invoke, legacy_store) == (0, [])
    shown = invoke("show", "F-000001", "--decrypt", "--identity", recovery, "--json",
                   cwd=legacy_store.root)  # fmt: skip
    assert [line["percent"] for line in json.loads(shown.out)["ingredients"]] == [62.5, 37.5]


def test_an_upgrade_that_also_changes_a_plain_field_is_a_history_finding(
    legacy_store: Store, invoke: Invoke, team_keys: dict[str, Member], recovery: Path
) -> None:
    upgraded(legacy_store, invoke, team_keys["chen.jing"], recovery)
    data = raw(legacy_store, FORMULA)
    data["product"] = "另一种漆 another paint"
    write_raw(legacy_store, FORMULA, data)
    amend_as(legacy_store.root, team_keys["chen.jing"])
    code, found = findings(invoke, legacy_store)
    assert code == 1
    assert "upgrade-seals-changes-values" in {f["rule"] for f in found}


def test_an_upgrade_signed_by_someone_not_an_admin_is_a_history_finding(
    legacy_store: Store, invoke: Invoke, team_keys: dict[str, Member], recovery: Path
) -> None:
    upgraded(legacy_store, invoke, team_keys["chen.jing"], recovery)
    amend_as(legacy_store.root, team_keys["wang.fang"])
    code, found = findings(invoke, legacy_store)
    assert code == 1
    assert "upgrade-seals-changes-values" in {f["rule"] for f in found}
    assert any("not an admin" in f["message"] for f in found)


def test_rekey_of_a_legacy_record_asks_for_the_upgrade_first(
    legacy_store: Store, invoke: Invoke, team_keys: dict[str, Member], recovery: Path
) -> None:
    act_as(legacy_store, team_keys["chen.jing"])
    assert invoke("team", "remove", "li.wei", "--reason", "left", cwd=legacy_store.root).code == 0
    refused = invoke("rekey", "--all", "--identity", recovery, cwd=legacy_store.root)
    assert refused.code == 2
    assert "run `formulactl upgrade-seals` first" in refused.err


def test_a_legacy_value_still_opens_for_its_readers(
    legacy_store: Store, invoke: Invoke, recovery: Path
) -> None:
    shown = invoke("show", "F-000001", "--decrypt", "--identity", recovery, "--json",
                   cwd=legacy_store.root)  # fmt: skip
    assert [line["percent"] for line in json.loads(shown.out)["ingredients"]] == [62.5, 37.5]
