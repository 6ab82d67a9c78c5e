"""The shortcuts bulk opening takes find and open exactly what the slow ways do: the sealed
values found along the sensitive paths are the leak guard's, one's own wrapped copy of a data
key comes first whichever stanza is ours, and a record marshal cannot copy still opens."""

from __future__ import annotations

import datetime
import subprocess
from pathlib import Path
from typing import Any

from formulactl.crypto import crypto
from formulactl.crypto.confidential import sealed_in, secrets_in
from formulactl.crypto.sealing import open_secrets
from formulactl.model.sealed import is_sealed, place
from formulactl.model.settings import Settings
from formulactl.store.store import DEFAULT_SETTINGS, Store


def public_key(folder: Path, name: str) -> str:
    path = folder / name
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True)
    return " ".join(path.with_name(name + ".pub").read_text().split()[:2])


def test_sealed_values_are_found_where_the_leak_guard_finds_them(empty_store: Store) -> None:
    sealed = "fcx2:0123456789abcdef:x"
    formula = {
        "id": "F-000009",
        "ingredients": [
            {"material": "M-00001", "phase": "A", "percent": sealed + "1"},
            {"percent": sealed + "2", "material": "M-00002"},
            {"percent": 7},
            "not a line",
        ],
        "process": [
            {"step": 1, "parameters": {"temperature_c": sealed + "3", "speed": "low"}},
            {"step": 2, "operation": "rest"},
        ],
    }
    customer = {"id": "C-00009", "contacts": [{"name": "陈", "phone": sealed + "4", "email": 5}]}
    for kind, data in (("formula", formula), ("customer", customer)):
        schema = empty_store.schema(kind)
        found = sealed_in(schema, data)
        assert all(parent[slot] == value for parent, slot, _name, value in found)
        guarded = [(s.name, s.value) for s in secrets_in(schema, data) if is_sealed(s.value)]
        assert sorted((name, value) for _p, _s, name, value in found) == sorted(guarded)
    assert [name for _p, _s, name, _v in sealed_in(empty_store.schema("formula"), formula)] == [
        "ingredients[material=M-00001,phase=A].percent",
        "ingredients[material=M-00002].percent",
        "process[step=1].parameters.temperature_c",
    ]


def test_ones_own_copy_of_a_data_key_comes_first_whichever_stanza_is_ours(
    tmp_path: Path,
) -> None:
    mine, other, third = (public_key(tmp_path, name) for name in ("mine", "other", "third"))
    key = crypto.new_data_key()
    first = crypto.wrap(key, [mine])
    second = crypto.wrap(key, [other, mine])  # ours is the second stanza of this copy
    others = crypto.wrap(key, [other]), crypto.wrap(key, [third])
    assert crypto.own_copies_first([*others, first], [mine]) == [first, *others]
    assert crypto.own_copies_first([*others, second], [mine]) == [second, *others]
    damaged = "Q" * 49  # cut short inside its first stanza: not ours, and no crash
    assert crypto.own_copies_first([damaged, *others, second], [mine]) == [
        second,
        damaged,
        *others,
    ]
    _secret, age = crypto.new_identity()
    assert crypto.own_copies_first([*others, first], [age]) == [*others, first]


def test_a_record_marshal_cannot_copy_opens_as_one_it_can(empty_store: Store) -> None:
    settings = Settings.from_data(dict(DEFAULT_SETTINGS, store_id="fst-1"))
    schema = empty_store.schema("formula")
    key = crypto.new_data_key()
    name = "ingredients[material=M-00001].percent"
    percent = crypto.seal_value(key, place("fst-1", "F-000001", name), 12.5)
    record: dict[str, Any] = {
        "id": "F-000001",
        "ingredients": [{"material": "M-00001", "percent": percent}],
        "encryption": {"key_id": key.id, "recipients": {}},
    }
    dated = dict(record, review_due=datetime.date(2027, 1, 31))
    for data in (record, dated):
        opened = open_secrets(settings, schema, "F-000001", data, key)
        assert opened["ingredients"] == [{"material": "M-00001", "percent": 12.5}]
        assert "encryption" not in opened
        assert data["ingredients"][0]["percent"] == percent  # the record itself is untouched
    assert open_secrets(settings, schema, "F-000001", dated, key)["review_due"] == (
        datetime.date(2027, 1, 31)
    )
