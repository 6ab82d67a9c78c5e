"""Sealed values carry commitments: a rekey provably keeps every value, a value altered or
moved is caught without a key, and a reader who opens a value checks it against its
commitment."""

from __future__ import annotations

import json
import os
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import Invoke, Member, act_as, commit_as, findings, git, raw, write_raw
from formulactl.crypto import crypto
from formulactl.crypto.sealing import data_key
from formulactl.model.sealed import SALT_BYTES, parse, place
from formulactl.store.store import Store
from test_encryption import JSON

FORMULA = "formulas/F-000001.yaml"
FIELD = "ingredients[material=M-00001,phase=A].percent"
OTHER = "ingredients[material=M-00002,phase=A].percent"
REKEY = "rekey 1 records\n\nFormulactl-Action: rekey\nFormulactl-Meaning: administered\n"


def opened_key(store: Store, admin: Member) -> crypto.DataKey:
    """F-000001's data key, as an admin who reads it holds it."""
    return data_key("F-000001", raw(store, FORMULA), [crypto.load_identity(admin.key)])


def where(store: Store, field: str) -> bytes:
    return place(store.settings.store_id, "F-000001", field)


def forged_rekey(store: Store, admin: Member, value: Any, keep_commitment: bool) -> str:
    """An admin reseals F-000001's first percent with `value` and commits it as a rekey."""
    key = opened_key(store, admin)
    data = raw(store, FORMULA)
    line = data["ingredients"][0]
    if keep_commitment:  # the old commitment kept, another value sealed under its name
        commitment = line["percent"].split(":")[2]
        plaintext = os.urandom(SALT_BYTES) + crypto.encode_value(value)
        line["percent"] = crypto.seal_plaintext(key, where(store, FIELD), plaintext, commitment)
    else:
        line["percent"] = crypto.seal_value(key, where(store, FIELD), value)
    write_raw(store, FORMULA, data)
    return commit_as(store.root, admin, REKEY)


def one_character_changed(sealed: str) -> str:
    """The sealed value with one character of its ciphertext replaced (not its padding)."""
    return sealed[:-5] + ("A" if sealed[-5] != "A" else "B") + sealed[-4:]


def test_a_rekey_that_reseals_a_value_with_another_number_is_a_history_finding(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    forged_rekey(signed_store, team_keys["chen.jing"], 70.0, keep_commitment=False)
    code, found = findings(invoke, signed_store)
    assert code == 1
    rekeys = [f for f in found if f["rule"] == "rekey-changes-values"]
    assert len(rekeys) == 1 and FIELD in rekeys[0]["message"]
    assert invoke("audit", "verify", cwd=signed_store.root).code == 1


def test_diff_and_blame_show_the_value_a_false_rekey_changed(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    before = git(signed_store.root, "rev-parse", "HEAD")
    forged = forged_rekey(signed_store, team_keys["chen.jing"], 70.0, keep_commitment=False)
    diff = invoke("diff", "F-000001", before, forged, "--json", cwd=signed_store.root)
    fields = {c["field"]: (c["before"], c["after"]) for c in json.loads(diff.out)["changes"]}
    assert fields[FIELD] == ("(sealed)", "(sealed)")
    [row] = json.loads(invoke("blame", "F-000001", FIELD, "--json", cwd=signed_store.root).out)
    assert (row["commit"], row["action"]) == (forged, "rekey")


def test_a_rekey_that_puts_back_an_earlier_drafts_ciphertext_is_a_history_finding(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    zhang = team_keys["zhang.min"]
    earlier = raw(signed_store, FORMULA)  # v2 as approved at import: 62.5 and 37.5
    assert invoke("revise", "F-000001", "--reason", "new pigment", cwd=signed_store.root).code == 0
    changed = invoke(
        "set",
        "F-000001",
        "ingredients[material=M-00001].percent=60",
        "ingredients[material=M-00002].percent=40",
        "--identity",
        zhang.key,
        cwd=signed_store.root,
    )
    assert changed.code == 0, changed.err
    assert invoke("submit", "F-000001", cwd=signed_store.root).code == 0
    act_as(signed_store, team_keys["wang.fang"])
    assert invoke("approve", "F-000001", cwd=signed_store.root).code == 0
    data = raw(signed_store, FORMULA)
    for line, old in zip(data["ingredients"], earlier["ingredients"], strict=True):
        line["percent"] = old["percent"]  # the same data key: the old ciphertexts open
    data["encryption"] = earlier["encryption"]
    write_raw(signed_store, FORMULA, data)
    commit_as(signed_store.root, team_keys["chen.jing"], REKEY)
    assert (
        invoke("show", "F-000001", "--decrypt", "--identity", zhang.key, cwd=signed_store.root).code
        == 0
    )  # it opens: only the commitments tell
    code, found = findings(invoke, signed_store)
    assert code == 1
    assert {"rekey-changes-values", "approved-edited"} <= {f["rule"] for f in found}


def test_a_reader_opening_a_value_resealed_under_its_old_commitment_is_told_it_was_tampered(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    forged_rekey(signed_store, team_keys["chen.jing"], 70.0, keep_commitment=True)
    shown = invoke(
        "show", "F-000001", "--decrypt", "--identity", team_keys["zhang.min"].key,
        cwd=signed_store.root,
    )  # fmt: skip
    assert shown.code == 2
    assert shown.err.count("\n") == 1
    assert f"F-000001: the sealed value of {FIELD} was tampered with" in shown.err


def test_diff_with_a_key_reports_a_value_resealed_under_its_old_commitment(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    before = git(signed_store.root, "rev-parse", "HEAD")
    forged = forged_rekey(signed_store, team_keys["chen.jing"], 70.0, keep_commitment=True)
    zhang = team_keys["zhang.min"]
    diff = invoke(
        "diff", "F-000001", before, forged, "--decrypt", "--identity", zhang.key,
        cwd=signed_store.root,
    )  # fmt: skip
    assert diff.code == 2
    assert f"the sealed value of {FIELD} was tampered with" in diff.err


def test_a_real_rekey_keeps_every_commitment_and_the_approval(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    before = raw(signed_store, FORMULA)
    act_as(signed_store, team_keys["chen.jing"])
    assert invoke("team", "remove", "li.wei", "--reason", "left", cwd=signed_store.root).code == 0
    done = invoke("rekey", "--all", "--identity", team_keys["chen.jing"].key, cwd=signed_store.root)
    assert done.code == 0, done.err
    after = raw(signed_store, FORMULA)
    assert after["encryption"]["key_id"] != before["encryption"]["key_id"]
    for old, new in zip(before["ingredients"], after["ingredients"], strict=True):
        old_parts, new_parts = parse(old["percent"]), parse(new["percent"])
        assert old_parts is not None and new_parts is not None
        assert new_parts.commitment == old_parts.commitment
        assert new_parts.body != old_parts.body
    assert findings(invoke, signed_store) == (0, [])
    diff = invoke("diff", "F-000001", "HEAD~1", "HEAD", "--json", cwd=signed_store.root)
    assert [c["field"] for c in json.loads(diff.out)["changes"]] == ["readers"]


def test_a_sealed_value_changed_by_one_character_is_a_finding_without_keys(
    signed_store: Store, invoke: Invoke
) -> None:
    data = raw(signed_store, FORMULA)
    sealed = data["ingredients"][0]["percent"]
    data["ingredients"][0]["percent"] = one_character_changed(sealed)
    write_raw(signed_store, FORMULA, data)
    found = json.loads(invoke("validate", "--json", cwd=signed_store.root).out)
    assert [f["rule"] for f in found] == ["sealed-check"]
    assert FIELD in found[0]["message"]


def test_a_sealed_value_changed_in_an_approved_version_is_a_history_finding(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    data = raw(signed_store, FORMULA)
    sealed = data["ingredients"][0]["percent"]
    data["ingredients"][0]["percent"] = one_character_changed(sealed)
    write_raw(signed_store, FORMULA, data)
    commit_as(signed_store.root, team_keys["zhang.min"], "a character")
    code, found = findings(invoke, signed_store)
    assert code == 1 and [f["rule"] for f in found] == ["approved-edited"]


def test_a_rekey_writing_an_altered_ciphertext_is_a_history_finding(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    data = raw(signed_store, FORMULA)
    sealed = data["ingredients"][0]["percent"]
    data["ingredients"][0]["percent"] = one_character_changed(sealed)
    write_raw(signed_store, FORMULA, data)
    commit_as(signed_store.root, team_keys["chen.jing"], REKEY)
    code, found = findings(invoke, signed_store)
    assert code == 1
    assert [f["rule"] for f in found] == ["reseal-damaged"]
    assert FIELD in found[0]["message"]


def test_two_lines_with_swapped_ciphertexts_are_findings_without_keys(
    signed_store: Store, invoke: Invoke
) -> None:
    data = raw(signed_store, FORMULA)
    first, second = data["ingredients"]
    first["percent"], second["percent"] = second["percent"], first["percent"]
    write_raw(signed_store, FORMULA, data)
    found = json.loads(invoke("validate", "--json", cwd=signed_store.root).out)
    assert [f["rule"] for f in found] == ["sealed-check", "sealed-check"]
    assert FIELD in found[0]["message"] and OTHER in found[1]["message"]


def test_a_truncated_key_envelope_is_a_validate_finding(
    signed_store: Store, invoke: Invoke
) -> None:
    data = raw(signed_store, FORMULA)
    entry = data["encryption"]["recipients"]["zhang.min"]
    data["encryption"]["recipients"]["zhang.min"] = entry[: len(entry) - 24]
    write_raw(signed_store, FORMULA, data)
    found = json.loads(invoke("validate", "--json", cwd=signed_store.root).out)
    assert [f["rule"] for f in found] == ["envelope-damaged"]
    assert "wrapped for zhang.min is damaged" in found[0]["message"]


def test_show_decrypt_of_sealed_values_without_their_envelope_is_an_error(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    data = raw(signed_store, FORMULA)
    del data["encryption"]
    write_raw(signed_store, FORMULA, data)
    shown = invoke(
        "show", "F-000001", "--decrypt", "--identity", team_keys["zhang.min"].key,
        cwd=signed_store.root,
    )  # fmt: skip
    assert shown.code == 2
    assert "holds sealed values but no `encryption:` block" in shown.err
    assert "fcx2:" not in shown.out


def test_bulk_opening_finds_the_secrets_the_leak_guard_finds(empty_store: Store) -> None:
    from formulactl.crypto.confidential import sealed_in, secrets_in

    formula = {
        "id": "F-000009",
        "ingredients": [
            {"material": "M-00001", "phase": "A", "percent": 60},
            {"material": "M-00002", "percent": 40},
            {"percent": 0},
        ],
        "process": [
            {"step": 1, "operation": "mix", "parameters": {"temperature_c": 40, "speed": "low"}},
            {"step": 2, "operation": "rest"},
        ],
    }
    customer = {
        "id": "C-00009",
        "contacts": [{"name": "陈", "phone": "+86 10 1234", "email": "a@b.cn"}],
    }
    for kind, data in (("formula", formula), ("customer", customer)):
        schema = empty_store.schema(kind)
        walked = []
        for number, secret in enumerate(secrets_in(schema, data)):
            secret.parent[secret.slot] = f"fcx2:{number}"  # how a sealed value begins
            walked.append((secret.name, f"fcx2:{number}"))
        found = sealed_in(schema, data)
        placed = sorted((name, parent[slot]) for parent, slot, name, _value in found)
        assert placed == sorted(walked)
        assert all(parent[slot] == value for parent, slot, _name, value in found)
        assert walked


@settings(max_examples=100, deadline=None)
@given(st.lists(JSON, max_size=6))
def test_a_records_values_open_in_one_pass_as_they_were_sealed(values: list[Any]) -> None:
    key = crypto.new_data_key()
    prefix = b"fst-1\0F-000001\0"
    names = [f"process[step={n}].parameters.p" for n in range(len(values))]
    pairs = zip(names, values, strict=True)
    sealed = [crypto.seal_value(key, prefix + name.encode(), value) for name, value in pairs]
    opened = crypto.open_values(key, prefix, list(zip(names, sealed, strict=True)))
    assert json.dumps(opened, sort_keys=True) == json.dumps(values, sort_keys=True)
