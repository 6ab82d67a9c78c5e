"""A reader's keyring: the data keys their identity unwrapped and the records they opened,
kept sealed in the clone's cache folder, so the next bulk opening needs no age decryption
and opens no value again. It must give exactly what unwrapping and opening give: never a
key or a record to someone who is no longer a reader, never a record whose file changed or
moved, never anything from a file someone else wrote, nothing readable without the
identity."""

from __future__ import annotations

import json
import marshal
import os
from pathlib import Path
from typing import Any

import pytest

from conftest import Invoke, Member, act_as, make_key
from formulactl.crypto import crypto
from formulactl.crypto import keyring as keyrings_module
from formulactl.crypto.keyring import Keyring, index, secret_of
from formulactl.crypto.opening import open_or_why
from formulactl.crypto.sealing import data_key
from formulactl.errors import FormulaError
from formulactl.store.query import records_cache, select_records
from formulactl.store.store import Record, Store


def keyrings(store: Store) -> list[Path]:
    return sorted(store.cache_dir.glob("keys-*"))


def listed(invoke: Invoke, store: Store, key: Path) -> tuple[int, list[dict[str, Any]], str]:
    done = invoke("list", "formula", "--decrypt", "--identity", key, "--json", cwd=store.root)
    return done.code, json.loads(done.out or "[]"), done.err


def counting(monkeypatch: pytest.MonkeyPatch, name: str) -> list[Any]:
    """The first argument of every call of `crypto.<name>` made in this process (the sample
    store's few formulas are opened here, not in workers)."""
    made: list[Any] = []
    real = getattr(crypto, name)

    def counted(*args: Any) -> Any:
        made.append(args[0])
        return real(*args)

    monkeypatch.setattr(crypto, name, counted)
    return made


@pytest.fixture
def unwraps(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every age decryption of a data key (its key ID)."""
    return counting(monkeypatch, "unwrap")


@pytest.fixture
def openings(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every record whose values were opened one by one (its data key)."""
    return counting(monkeypatch, "open_values")


def test_a_second_listing_needs_no_age_decryption_and_opens_no_value(
    sample_signed_store: Store,
    invoke: Invoke,
    team_keys: dict[str, Member],
    unwraps: list[Any],
    openings: list[Any],
) -> None:
    store, key = sample_signed_store, team_keys["zhang.min"].key
    code, first, _err = listed(invoke, store, key)
    assert code == 0 and unwraps and openings, "the first listing unwraps and opens each"
    assert len(keyrings(store)) == 1
    kept = Keyring.of(store, [crypto.load_identity(key)])
    assert kept is not None and len(kept.opened) == len(openings)
    unwraps.clear()
    openings.clear()
    code, second, _err = listed(invoke, store, key)
    assert code == 0 and second == first
    assert unwraps == [], "every data key came from the keyring"
    assert openings == [], "every formula came from the keyring, as it opened"


def test_a_formula_changed_on_disk_is_opened_again_and_its_damage_named(
    sample_signed_store: Store, invoke: Invoke, team_keys: dict[str, Member], openings: list[Any]
) -> None:
    """Two sealed percentages swapped between lines: the file is another blob, so the kept
    opening is not used and the move is found, as on a first opening."""
    store, key = sample_signed_store, team_keys["zhang.min"].key
    listed(invoke, store, key)
    path = store.root / "records/formulas/F-000014.yaml"
    text = path.read_text()
    first, second = [
        line.split("percent: ", 1)[1] for line in text.splitlines() if "percent: fcx2:" in line
    ][:2]
    path.write_text(text.replace(first, "SWAP").replace(second, first).replace("SWAP", second))
    openings.clear()
    code, found, err = listed(invoke, Store(store.root), key)
    assert code == 1, err  # a finding: the listing goes on, the damaged record shown sealed
    assert "F-000014.yaml" in err and "cannot be opened" in err and "shown sealed" in err
    assert len(openings) == 1, "only the changed formula is opened again"
    assert "fcx2:" in json.dumps(next(item for item in found if item["id"] == "F-000014"))


def test_a_kept_opening_is_given_only_for_the_same_record_blob_and_schema(
    sample_signed_store: Store, team_keys: dict[str, Member], tmp_path: Path
) -> None:
    """The same bytes under another record ID (a file copied), or opened against another
    schema (another field made confidential): opened again, as they would be the first
    time, never recalled."""
    store = sample_signed_store
    identity = crypto.load_identity(team_keys["zhang.min"].key)
    keyring = Keyring(tmp_path / "keys", b"\3" * 32, store.settings.store_id)
    record = next(
        r
        for r in select_records(store, "formula", [], records_cache(store)).records
        if r.id == "F-000014"
    )
    assert record.blob
    plain = open_or_why(store, record, [identity], keyring)
    assert isinstance(plain, dict) and len(keyring.opened) == 1
    digest = store.schema("formula").digest
    assert keyring.recall(record, digest) == plain
    assert keyring.recall(record, digest) is not keyring.recall(record, digest), "a copy each"
    copied = Record("F-000015", record.kind, record.path, record.data, blob=record.blob)
    assert keyring.recall(copied, digest) is None
    moved = open_or_why(store, copied, [identity], keyring)
    assert isinstance(moved, FormulaError) and "cannot be opened" in moved.finding.message
    assert keyring.recall(record, "another schema") is None
    assert keyring.recall(Record(record.id, record.kind, record.path, record.data), digest) is None


def test_the_keyring_is_private_and_holds_no_data_key_or_record_in_plain(
    sample_signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    store, key = sample_signed_store, team_keys["zhang.min"].key
    listed(invoke, store, key)
    [path] = keyrings(store)
    assert os.stat(path).st_mode & 0o077 == 0
    identity = crypto.load_identity(key)
    record = store.load("F-000014")
    envelope = record.data["encryption"]
    secret = next(
        found.secret
        for entry in envelope["recipients"].values()
        if (found := crypto.unwrap("k", entry.rpartition(":")[2], [identity.secret]))
    )
    assert secret not in path.read_bytes()
    listed_record = next(
        r
        for r in select_records(store, "formula", [], records_cache(store)).records
        if r.id == "F-000014"
    )
    plain = open_or_why(store, listed_record, [identity])
    assert isinstance(plain, dict) and "fcx2:" not in json.dumps(plain)
    assert marshal.dumps(plain) not in path.read_bytes()
    kept = Keyring.of(store, [identity])
    assert kept is not None and marshal.dumps(plain) in kept.opened.values()


def test_a_reader_removed_by_a_rekey_is_refused_though_their_keyring_is_warm(
    sample_signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    store, leaving = sample_signed_store, team_keys["li.wei"].key
    code, _before, err = listed(invoke, store, leaving)
    assert code == 0 and "shown sealed" not in err
    act_as(store, team_keys["chen.jing"])
    assert invoke("team", "remove", "li.wei", "--reason", "left", cwd=store.root).code == 0
    done = invoke("rekey", "--all", "--identity", team_keys["chen.jing"].key, cwd=store.root)
    assert done.code == 0, done.err
    code, after, err = listed(invoke, store, leaving)
    assert code == 0
    sealed = [item["id"] for item in after if "fcx2:" in json.dumps(item)]
    assert sealed and f"not a reader of {len(sealed)} records" in err
    show = invoke("show", sealed[0], "--decrypt", "--identity", leaving, cwd=store.root)
    assert show.code == 2 and "not a reader" in show.err


def test_a_keyring_written_by_someone_else_or_altered_is_ignored_and_replaced(
    sample_signed_store: Store,
    invoke: Invoke,
    team_keys: dict[str, Member],
    tmp_path: Path,
    unwraps: list[Any],
) -> None:
    store, key = sample_signed_store, team_keys["zhang.min"].key
    code, expected, _err = listed(invoke, store, key)
    [path] = keyrings(store)
    # Another person's keyring in this user's file, sealed with the key derived from their
    # own identity (anyone may have written it there): it does not open with this one's.
    other = secret_of([crypto.load_identity(make_key(tmp_path / "other", "other"))])
    assert other is not None
    foreign = Keyring(path, other, store.settings.store_id)
    foreign.absorb([(index("a copy"), b"\2" * 32)], [])
    foreign.save()
    for forged in (
        path.read_bytes(),
        path.read_bytes()[:-1] + bytes([path.read_bytes()[-1] ^ 1]),
        b"garbage",
    ):
        path.write_bytes(forged)
        unwraps.clear()
        code, found, _err = listed(invoke, store, key)
        assert code == 0 and found == expected
        assert unwraps, "nothing was taken from a keyring that does not open"
        replaced = Keyring.of(store, [crypto.load_identity(key)])
        assert replaced is not None and len(replaced.known) == len(unwraps)


def test_a_kept_key_is_given_only_for_the_very_copy_it_was_unwrapped_from(
    sample_signed_store: Store, team_keys: dict[str, Member], tmp_path: Path
) -> None:
    """The same data key ID with this reader's copy gone (an envelope edited by hand, or a
    rekey that kept the key ID): refused, as unwrapping would refuse it."""
    store = sample_signed_store
    identity = crypto.load_identity(team_keys["zhang.min"].key)
    record = store.load("F-000014")
    keyring = Keyring(tmp_path / "keys", b"\3" * 32, store.settings.store_id)
    key = data_key(record.id, record.data, [identity], keyring)
    assert len(keyring.known) == 1
    assert data_key(record.id, record.data, [identity], keyring) == key
    envelope = record.data["encryption"]
    others = {name: copy for name, copy in envelope["recipients"].items() if name != "zhang.min"}
    without = dict(record.data, encryption=dict(envelope, recipients=others))
    with pytest.raises(FormulaError, match="not a reader of F-000014"):
        data_key(record.id, without, [identity], keyring)


def test_a_keyring_that_is_a_link_is_never_read_or_written_through(
    sample_signed_store: Store,
    invoke: Invoke,
    team_keys: dict[str, Member],
    tmp_path: Path,
    unwraps: list[Any],
) -> None:
    store, key = sample_signed_store, team_keys["zhang.min"].key
    code, expected, _err = listed(invoke, store, key)
    [path] = keyrings(store)
    outside = tmp_path / "outside"
    outside.write_bytes(path.read_bytes())
    path.unlink()
    path.symlink_to(outside)
    before = outside.read_bytes()
    unwraps.clear()
    code, found, _err = listed(invoke, store, key)
    assert code == 0 and found == expected
    assert unwraps, "no key was read through the link"
    assert outside.read_bytes() == before


def test_a_store_that_keeps_no_keys_and_a_run_that_trusts_no_cache_keep_none(
    sample_signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    store, key = sample_signed_store, team_keys["zhang.min"].key
    assert Keyring.of(store.without_cache(), [crypto.load_identity(key)]) is None
    assert listed(invoke, store, key)[0] == 0 and keyrings(store)
    settings = store.root / "formulactl.yaml"
    text = settings.read_text()
    settings.write_text(text.replace("encryption:\n", "encryption:\n  keep_data_keys: false\n", 1))
    assert "keep_data_keys: false" in settings.read_text()
    code, found, err = listed(invoke, Store(store.root), key)
    assert code == 0 and "shown sealed" not in err, err
    assert found and keyrings(store) == [], "the keyring kept before is removed"


def test_forked_workers_hand_back_what_they_learned(
    sample_signed_store: Store,
    invoke: Invoke,
    team_keys: dict[str, Member],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import formulactl.parallel

    monkeypatch.setattr(formulactl.parallel, "WORTH_IT", 2)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)  # workers even on a one-core machine
    store, key = sample_signed_store, team_keys["zhang.min"].key
    code, _first, _err = listed(invoke, store, key)
    assert code == 0
    kept = Keyring.of(store, [crypto.load_identity(key)])
    assert kept is not None
    sealed = [r for r in map(store.load, store.ids("formula")) if "encryption" in r.data]
    assert len(kept.known) == len(kept.opened) == len(sealed)


def test_a_keyring_that_cannot_be_written_only_costs_speed(
    sample_signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    """The clone's cache folder is a plain file (a disk full, a read-only folder): the
    listing opens every formula all the same, and says nothing about the keyring."""
    store, key = sample_signed_store, team_keys["zhang.min"].key
    code, expected, _err = listed(invoke, store, key)
    folder = store.cache_dir
    for path in folder.iterdir():
        path.unlink()
    folder.rmdir()
    folder.write_text("not a folder")
    code, found, err = listed(invoke, Store(store.root), key)
    assert code == 0 and found == expected
    assert "Traceback" not in err and "keys-" not in err


def test_a_full_keyring_gives_up_the_records_used_longest_ago(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Room for two opened records. One run learns F-000001 and F-000002, the next only
    recalls F-000001, the third learns F-000003: F-000002 goes, F-000001 stays."""
    monkeypatch.setattr(keyrings_module, "KEPT_OPENED", 2 * (161 + keyrings_module._ENTRY))
    path, secret, digests = tmp_path / "keys", b"\4" * 32, {"formula": "schema"}
    kept = [
        Record(f"F-00000{n}", "formula", f"records/formulas/F-00000{n}.yaml", {}, blob=f"{n}" * 40)
        for n in (1, 2, 3)
    ]
    plain = {"notes": "x" * 150}
    assert len(marshal.dumps(plain)) == 161
    first = Keyring(path, secret, "fst-test")
    for record in kept[:2]:
        first.remember(record, "schema", plain)
    first.save()
    second = Keyring(path, secret, "fst-test")
    assert second.recall(kept[0], "schema") == plain
    second.used([kept[0]], digests)
    second.save()
    third = Keyring(path, secret, "fst-test")
    third.remember(kept[2], "schema", plain)
    third.save()
    again = Keyring(path, secret, "fst-test")
    assert again.recall(kept[0], "schema") == plain
    assert again.recall(kept[2], "schema") == plain
    assert again.recall(kept[1], "schema") is None


def substitute_json(invoke: Invoke, store: Store, key: Path) -> dict[str, Any]:
    done = invoke(
        "substitute", "--replace", "M-00027", "--with", "M-00081", "--dry-run",
        "--identity", key, "--json", cwd=store.root,
    )  # fmt: skip
    assert done.code == 0, done.err
    found: dict[str, Any] = json.loads(done.out)
    return found


def test_a_substitution_takes_formulas_from_the_keyring_without_reading_their_sealed_form(
    sample_signed_store: Store,
    invoke: Invoke,
    team_keys: dict[str, Member],
    monkeypatch: pytest.MonkeyPatch,
    openings: list[Any],
) -> None:
    """With a warm keyring (a listing opened every formula) the sealed formulas are neither
    unmarshalled from the records cache nor opened; a formula whose file changed since is
    read and opened again, alone, and the plan is the one a first run makes."""
    from formulactl.store.cache import PackedCache

    store, key = sample_signed_store, team_keys["zhang.min"].key
    first = substitute_json(invoke, store, key)
    assert listed(invoke, store, key)[0] == 0
    asked: list[str] = []
    real_get = PackedCache.get

    def get(cache: PackedCache, blob: str) -> Any:
        asked.append(blob)
        return real_get(cache, blob)

    monkeypatch.setattr(PackedCache, "get", get)
    formulas = store.listing("records/formulas")
    key_ids = {
        store.load(path.rsplit("/", 1)[1][:-5]).data["encryption"]["key_id"]: path
        for path in formulas
    }

    def formulas_opened() -> list[str]:  # the materials' sealed costs are opened too
        return [key_ids[key.id] for key in openings if key.id in key_ids]

    openings.clear()
    assert substitute_json(invoke, Store(store.root), key) == first
    assert formulas_opened() == [], "every formula came from the keyring"
    read = sorted(path for path, blob in formulas.items() if blob in asked)
    assert read == [], "no formula read from the records cache"
    # a note added to F-000006 (it uses M-00027): another blob, opened again
    path = store.root / "records/formulas/F-000006.yaml"
    path.write_text(path.read_text() + "notes: changed after the last run\n")
    openings.clear()
    assert substitute_json(invoke, Store(store.root), key) == first
    assert formulas_opened() == ["records/formulas/F-000006.yaml"], "it alone is opened again"
    import formulactl.parallel  # the same in forked workers, each formula recalled or not

    monkeypatch.setattr(formulactl.parallel, "WORTH_IT", 2)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    path.write_text(path.read_text() + "# and once more\n")
    assert substitute_json(invoke, Store(store.root), key) == first


def test_select_records_takes_what_the_keyring_kept_and_leaves_the_rest_sealed(
    sample_signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    from formulactl.crypto.opening import kept_opened

    store, key = sample_signed_store, team_keys["zhang.min"].key
    code, expected, _err = listed(invoke, store, key)
    assert code == 0
    path = store.root / "records/formulas/F-000006.yaml"
    path.write_text(path.read_text() + "notes: changed after the listing\n")
    keyring = Keyring.of(store, [crypto.load_identity(key)])
    kept = kept_opened(store, "formula", keyring)
    assert kept is not None and kept_opened(store, "formula", None) is None
    selection = select_records(store, "formula", [], records_cache(store), kept=kept)
    by_id = {item["id"]: item for item in expected}
    sealed = {r.id for r in selection.records if "encryption" in r.data}
    assert sealed == {"F-000006"}, "a file changed since is read as it is now, sealed"
    plain = {(r.id, r.blob) for r in selection.records if r.id not in sealed}
    assert selection.opened == plain
    for record in selection.records:
        if (record.id, record.blob) in selection.opened:
            assert record.blob and {**record.data, "id": record.id} == by_id[record.id]
    other = Keyring.of(store, [crypto.load_identity(team_keys["li.wei"].key)])
    assert other is not None and not other.opened
    nothing = select_records(
        store, "formula", [], records_cache(store), kept=kept_opened(store, "formula", other)
    )
    assert nothing.opened == set(), "another reader's keyring recalls nothing"


def test_records_opened_by_another_formulactl_are_dropped_and_the_keys_kept(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """After an upgrade no kept record could be recalled (the code version is in its key):
    the keyring drops them rather than reading them every run; data keys do not depend on
    the code and stay."""
    path, secret = tmp_path / "keys", b"\5" * 32
    record = Record("F-000001", "formula", "records/formulas/F-000001.yaml", {}, blob="1" * 40)
    first = Keyring(path, secret, "fst-test")
    first.learn("a copy", b"\2" * 32)
    first.remember(record, "schema", {"notes": "opened"})
    first.save()
    assert len(Keyring(path, secret, "fst-test").opened) == 1
    monkeypatch.setattr(keyrings_module, "code_version", lambda: "a later formulactl")
    upgraded = Keyring(path, secret, "fst-test")
    assert upgraded.opened == {} and upgraded.get("a copy") == b"\2" * 32
    size = path.stat().st_size
    upgraded.save()  # learned nothing, but the dead records are left out of the file
    assert path.stat().st_size < size
    assert Keyring(path, secret, "fst-test").get("a copy") == b"\2" * 32
