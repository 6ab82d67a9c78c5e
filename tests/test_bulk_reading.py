"""Bulk reading for readers: `list KIND --decrypt --json` and `show ID… --decrypt` open many
records with one identity load, and say which ones this user cannot read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import Invoke, Member, make_key
from formulactl.errors import FormulaError
from formulactl.store.store import Store


def test_list_decrypt_opens_every_formula_for_a_reader(
    sample_signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    key = team_keys["zhang.min"].key
    done = invoke(
        "list", "formula", "--decrypt", "--identity", key, "--json", cwd=sample_signed_store.root
    )
    assert done.code == 0, done.err
    formulas = json.loads(done.out)
    assert len(formulas) == len(sample_signed_store.ids("formula"))
    shower_gel = next(item for item in formulas if item["id"] == "F-000014")
    assert shower_gel["ingredients"][1]["percent"] == 12.0
    assert all("encryption" not in item for item in formulas)


def test_list_decrypt_keeps_sealed_what_the_user_cannot_read(
    sample_signed_store: Store, invoke: Invoke, tmp_path: Path
) -> None:
    stranger = make_key(tmp_path / "stranger", "stranger")
    done = invoke(
        "list",
        "formula",
        "--where",
        "customer=C-00014",
        "--decrypt",
        "--identity",
        stranger,
        "--json",
        cwd=sample_signed_store.root,
    )
    assert done.code == 0
    assert "not a reader of 1 records, shown sealed: F-000014" in done.err
    assert str(json.loads(done.out)[0]["ingredients"][1]["percent"]).startswith("fcx2:")


def test_show_opens_many_ids_at_once(
    sample_signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    key = team_keys["zhang.min"].key
    done = invoke(
        "show",
        "F-000013",
        "F-000014",
        "--decrypt",
        "--identity",
        key,
        "--json",
        cwd=sample_signed_store.root,
    )
    assert done.code == 0, done.err
    assert [item["id"] for item in json.loads(done.out)] == ["F-000013", "F-000014"]
    text = invoke("show", "F-000013", "F-000014", "--decrypt", "--identity", key)
    assert text.out.count("\n---\n") == 1 and "percent: 12.0" in text.out


def test_show_decrypt_tells_a_non_reader_who_the_readers_are(
    sample_signed_store: Store, invoke: Invoke, tmp_path: Path
) -> None:
    stranger = make_key(tmp_path / "stranger", "stranger")
    done = invoke(
        "show", "F-000014", "--decrypt", "--identity", stranger, cwd=sample_signed_store.root
    )
    assert done.code == 2
    assert "is not a reader of F-000014" in done.err


def test_list_decrypt_json_is_the_text_of_the_whole_list_when_written_on_every_core(
    sample_signed_store: Store,
    invoke: Invoke,
    team_keys: dict[str, Member],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each record is opened and written as JSON in a worker; the joined text must be what
    one json.dumps of the whole list gives, for a reader and for someone who reads none."""
    import formulactl.parallel
    from formulactl.cli.common import json_text
    from formulactl.crypto import crypto
    from formulactl.crypto.opening import open_or_why

    monkeypatch.setattr(formulactl.parallel, "WORTH_IT", 2)  # forked workers even for a few
    store = sample_signed_store
    records = [store.load(record_id) for record_id in store.ids("formula")]
    assert len(records) > 2
    stranger = make_key(tmp_path / "stranger", "stranger")
    for key in (team_keys["zhang.min"].key, stranger):
        done = invoke("list", "formula", "--decrypt", "--identity", key, "--json", cwd=store.root)
        assert done.code == 0, done.err
        who = [crypto.load_identity(key)]
        opened = [open_or_why(store, record, who) for record in records]
        expected = [
            record.data if isinstance(found, FormulaError) else found
            for record, found in zip(records, opened, strict=True)
        ]
        assert done.out == json_text(expected) + "\n"
        assert ("shown sealed" in done.err) == ("fcx2:" in done.out) == (key == stranger)


def test_list_decrypt_names_a_damaged_record_as_damaged_not_as_unreadable(
    sample_signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    """Two sealed percentages swapped between lines: the record does not open for anyone.
    Listing it must say so (and exit 1), never pass it off as not this user's to read."""
    from conftest import raw, write_raw

    store = sample_signed_store
    data = raw(store, "formulas/F-000014.yaml")
    lines = data["ingredients"]
    lines[0]["percent"], lines[1]["percent"] = lines[1]["percent"], lines[0]["percent"]
    write_raw(store, "formulas/F-000014.yaml", data)
    key = team_keys["zhang.min"].key
    for form in (["--json"], []):
        done = invoke("list", "formula", "--decrypt", "--identity", key, *form, cwd=store.root)
        assert done.code == 1, done.err
        assert "F-000014.yaml: F-000014: the sealed value of" in done.err
        assert "shown sealed" in done.err and "not a reader" not in done.err
        assert "F-000013" in done.out  # the others are listed, opened
    listed = invoke("list", "formula", "--decrypt", "--identity", key, "--json", cwd=store.root)
    damaged = next(item for item in json.loads(listed.out) if item["id"] == "F-000014")
    assert str(damaged["ingredients"][0]["percent"]).startswith("fcx2:")
